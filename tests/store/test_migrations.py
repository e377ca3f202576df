"""The migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledgerbridge.store import migrate
from ledgerbridge.store.database import Database
from ledgerbridge.store.tables import metadata


def test_the_migrated_schema_matches_the_table_definitions(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_database_is_at_the_newest_revision(db: Database) -> None:
    assert migrate.current_revision(db) == migrate.head_revision()


def test_upgrading_twice_changes_nothing(db: Database) -> None:
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()
