"""The book every history test posts into."""

from __future__ import annotations

import pytest

from ledgerbridge.store.database import Database
from tests.pipeline.conftest import Book

from .ledger_helpers import new_book


@pytest.fixture
def book(db: Database) -> Book:
    """An empty USD book; each test adds the connection it syncs."""
    return new_book(db)
