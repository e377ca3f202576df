"""Alembic environment: always run against the connection handed in by ``store.migrate``."""

from __future__ import annotations

from alembic import context

from ledgerbridge.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic CLI
    raise SystemExit("run migrations through `ledgerbridge init` or ledgerbridge.store.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
