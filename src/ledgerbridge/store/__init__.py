"""Storage adapter: SQLAlchemy 2 tables, Alembic migrations and repositories.

The same code serves SQLite (embedded, WAL) and PostgreSQL (psycopg 3). Amounts are stored as
integer minor units beside a three-letter currency, rates as exact decimal text: neither
database ever sees a float. Repositories never commit; :class:`UnitOfWork` does, once.
"""

from ledgerbridge.store.database import Database, connect
from ledgerbridge.store.unit_of_work import UnitOfWork

__all__ = ["Database", "UnitOfWork", "connect"]
