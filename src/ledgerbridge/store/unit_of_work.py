"""One transaction, its repositories, and the side effects that must wait for its commit.

Services write ``with UnitOfWork(db) as uow: ...; uow.commit()``. Leaving the block without
``commit()`` rolls back. Callbacks registered with :meth:`UnitOfWork.after_commit` (metrics,
notifications, waking a worker) run only once the data they describe is durable.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from ledgerbridge.store.accounts import AccountRepository
from ledgerbridge.store.audit import AuditLog
from ledgerbridge.store.bank import BankRepository
from ledgerbridge.store.book import BookRepository
from ledgerbridge.store.connections import ConnectionRepository
from ledgerbridge.store.database import Database, StoreUnavailable
from ledgerbridge.store.entries import EntryRepository
from ledgerbridge.store.inbox import InboxRepository
from ledgerbridge.store.mappings import MappingRepository
from ledgerbridge.store.outbox import TargetOutbox
from ledgerbridge.store.rates import RateRepository
from ledgerbridge.store.reconciliation import ReconciliationRepository


class UnitOfWork:
    """A transaction. ``durable=False`` is for work that can be recomputed from durable data
    (posting from the inbox): its commit does not wait for the disk (SQLite
    ``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit=off``). Atomicity is
    unchanged; after a power cut the last such commits may be undone, and since the inbox row's
    ``posted`` status is in the same transaction, the worker simply posts those events again.
    Everything a client is told is stored (webhook receipts, manual entries) stays durable.
    """

    def __init__(self, db: Database, *, durable: bool = True, read_only: bool = False) -> None:
        self.db = db
        self.durable = durable
        self.read_only = read_only
        """A read-only unit of work on SQLite does not queue behind writers (WAL readers)."""
        self._callbacks: list[Callable[[], None]] = []
        self._conn: Connection | None = None

    def __enter__(self) -> UnitOfWork:
        try:
            self._conn = self.db.engine.connect()
            self._conn.info["durable"] = self.durable
            self._conn.info["read_only"] = self.read_only
            self._conn.begin()
            if not self.durable and self.db.dialect == "postgresql":
                self._conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        except OperationalError as exc:
            if self._conn is not None:
                self._conn.close()
            raise StoreUnavailable(f"cannot reach the database at {self.db.url}") from exc
        self.book = BookRepository(self._conn, self.db.cache)
        self.accounts = AccountRepository(self._conn, self.db.cache.setdefault("accounts", {}))
        self.entries = EntryRepository(self._conn, self.accounts)
        self.audit = AuditLog(self._conn)
        self.connections = ConnectionRepository(self._conn)
        self.inbox = InboxRepository(self._conn)
        self.bank = BankRepository(self._conn)
        self.reconciliation = ReconciliationRepository(self._conn)
        self.rates = RateRepository(self._conn)
        self.outbox = TargetOutbox(self._conn)
        self.mappings = MappingRepository(self._conn)
        return self

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "UnitOfWork used outside its with-block"
        return self._conn

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def commit(self) -> None:
        try:
            self.connection.commit()
        except OperationalError as exc:
            raise StoreUnavailable("the database refused the commit") from exc
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self._callbacks.clear()
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        except DBAPIError:  # pragma: no cover - connection already gone
            pass
        finally:
            if self._conn is not None:
                self._conn.close()
