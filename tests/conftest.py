"""Shared fixtures: the public samples folder and the database backends under test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get("LEDGERBRIDGE_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def samples() -> Path:
    """The public sample payloads and statements (``../shared/samples``), or a visible skip."""
    if not SAMPLES.is_dir():
        pytest.skip(f"public samples folder not found at {SAMPLES}")
    return SAMPLES


# --- databases -----------------------------------------------------------------------------
#
# Storage tests run against SQLite and PostgreSQL. PostgreSQL comes from
# LEDGERBRIDGE_TEST_POSTGRES_URL (default: the local server); each test worker creates its own
# database and drops it at the end. Under CI=true a missing server fails the run.

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from ledgerbridge.store import migrate  # noqa: E402
from ledgerbridge.store.database import Database, connect  # noqa: E402
from ledgerbridge.store.tables import metadata  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "LEDGERBRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _admin_engine():  # type: ignore[no-untyped-def]
    url = make_url(POSTGRES_ADMIN_URL)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test worker, dropped afterwards."""
    admin = _admin_engine()
    name = f"ledgerbridge_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}"
        if IN_CI:
            pytest.fail(message + " (CI=true requires it)")
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    rendered = url.render_as_string(hide_password=False)
    db = connect(rendered)
    migrate.upgrade(db)
    db.dispose()
    try:
        yield rendered
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker name (``gw0``…), or ``main`` without xdist."""
    config = request.config
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


def _reset_postgres(url: str) -> None:
    """Empty every table (TRUNCATE bypasses the append-only row triggers) and re-seed."""
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table in metadata.sorted_tables:  # a tamper test may have switched them off
            conn.execute(text(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER'))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64}
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database: one SQLite file, or the worker's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
        db = connect(url)
        migrate.upgrade(db)
        db.dispose()
        return url
    url = str(request.getfixturevalue("postgres_url"))
    _reset_postgres(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = connect(database_url)
    yield database
    database.dispose()
