"""Engines for the two supported databases, configured for a ledger's needs.

SQLite: WAL journal (readers never block the writer), ``synchronous=FULL`` (a committed row is
on disk before we acknowledge it), foreign keys on, and every transaction opened with
``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way with
``database is locked`` when one upgrades from reading to writing.

PostgreSQL: psycopg 3; ``postgresql://`` URLs are taken to mean that driver.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ledgerbridge.errors import InvalidInput, LedgerBridgeError

SQLITE_BUSY_TIMEOUT_S = 30


class StoreUnavailable(LedgerBridgeError):
    """The database cannot be reached; callers should retry (HTTP 503)."""

    code = "store_unavailable"
    http_status = 503
    exit_code = 1


def normalise_url(url: str) -> str:
    """Pick our drivers: psycopg 3 for PostgreSQL, the stdlib for SQLite."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(f"{url!r} is not a database URL", field="database_url") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql",
            field="database_url",
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs)
    # One writer at a time within this process, queued on a Python lock: SQLite's own busy
    # handler makes waiting writers sleep in growing steps (up to 100 ms), which under a burst
    # of webhooks costs far more than the writes. Other processes still meet busy_timeout.
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to us (see "begin" below) instead of pysqlite's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.info.get("read_only"):
            # Readers never wait for the writer in WAL mode; a deferred BEGIN takes no lock.
            conn.exec_driver_sql("BEGIN")
            return
        held = writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_S)
        conn.info["writer_lock_held"] = held
        try:
            sync = "FULL" if conn.info.get("durable", True) else "NORMAL"
            conn.exec_driver_sql(f"PRAGMA synchronous={sync}")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            _release(conn)
            raise

    def _release(conn: Connection) -> None:
        if conn.info.pop("writer_lock_held", False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)

    return engine


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, **kwargs)


@dataclass
class Database:
    """An engine plus the few facts about it the repositories need.

    ``cache`` holds facts that never change once written (the book's base currency, an
    account's id and currency by code), so the hot path need not read them per event.
    """

    engine: Engine
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            raise StoreUnavailable(f"cannot reach the database at {self.url}") from exc
        with conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, **kwargs: Any) -> Database:
    """A :class:`Database` for ``url`` (the schema is not touched; see ``migrate``)."""
    return Database(make_engine(url, **kwargs))
