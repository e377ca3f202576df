"""The API tests' service: the pipeline's book (three connections) behind the real HTTP service,
with one API key per scope, and helpers that put events, payouts and statements into it the
way production does. Test modules import the ``api`` fixture from here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge import apikeys
from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.apikeys import Scope
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.fx import FixedRates
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver
from tests.servers import serve_in_thread
from tests.services.test_reconcile import PAYOUTS, payout_event

__all__ = ["Api", "api"]

STATEMENT = b"""Date,Description,Amount,Currency,Balance,Account,Reference
2026-03-03,STRIPE TRANSFER,100.00,USD,1100.00,US001,po_A1B2C3D4E5F6
2026-03-04,STRIPE TRANSFER,245.00,USD,1345.00,US001,po_B1B2C3D4E5F6
2026-03-05,STRIPE TRANSFER,75.00,USD,1420.00,US001,BK-0305-77
2026-03-06,ACME CORP REFUND,51.20,USD,1471.20,US001,BK-0306-12
"""
"""Four deposits for :data:`PAYOUTS`: one by reference, one 5.00 short, one by amount and
date, one nobody announced; the fourth payout never arrives (the payouts and their events
are the reconciliation service tests' own)."""

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@dataclass
class Api:
    """The running service and a key of each scope."""

    url: str
    book: Book
    keys: dict[Scope, str]

    def headers(self, scope: Scope | None, idempotency_key: str | None = None) -> dict[str, str]:
        found = {"Authorization": f"Bearer {self.keys[scope]}"} if scope else {}
        if idempotency_key is not None:
            found["Idempotency-Key"] = idempotency_key
        return found

    def get(self, path: str, scope: Scope | None = Scope.READ) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=self.headers(scope), timeout=30)

    def post(
        self,
        path: str,
        scope: Scope | None = Scope.WRITE,
        *,
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = {**self.headers(scope, idempotency_key), **(headers or {})}
        return httpx.post(f"{self.url}{path}", headers=sent, timeout=30, **kwargs)

    def audit_actions(self, action: str) -> list[dict[str, Any]]:
        with UnitOfWork(self.book.db, read_only=True) as uow:
            return [r.data()["data"] for r in uow.audit.records() if r.action == action]

    def dead_event(self, number: int = 1) -> int:
        """An order whose total contradicts its lines: the worker dead-letters it at once."""
        clock = FakeClock()
        order, _ = DemoDay(clock.now).order(number)
        event_id = deliver(
            self.book, "shop", "orders/paid", {**order, "total_price": "1.00"}, clock
        )
        self.book.worker(clock=clock).drain()
        return event_id

    def posted_order(self, number: int = 1) -> int:
        clock = FakeClock()
        order, _ = DemoDay(clock.now).order(number)
        event_id = deliver(self.book, "shop", "orders/paid", order, clock)
        self.book.worker(clock=clock).drain()
        return event_id

    def payouts(self) -> None:
        """Stripe payouts arriving on 2–5 March 2026, posted to clearing and bank."""
        clock = FakeClock()
        for payout_id, (amount, day) in PAYOUTS.items():
            deliver(self.book, "stripe", "", payout_event(payout_id, amount, day), clock)
        self.book.worker(clock=clock).drain()

    def reconciled(self) -> dict[str, Any]:
        """Payouts posted, the statement imported and March reconciled, all over the API."""
        self.payouts()
        assert self.post("/api/v1/statements", content=STATEMENT).status_code == 200
        response = self.post("/api/v1/reconciliations", json=MARCH)
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        return report


@pytest.fixture
def api(book: Book, tmp_path: Path) -> Iterator[Api]:
    keys = {
        scope: apikeys.create_key(book.db, name=f"{scope.value}-key", scope=scope)
        for scope in Scope
    }
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,base,date,rate\nEUR,USD,2026-03-02,1.0850\n")
    state = AppState(
        db=book.db,
        box=book.box,
        directory=ConnectionDirectory(book.db, book.box),
        metrics=Metrics(),
        rates=FixedRates(rates),
    )
    with serve_in_thread(create_app(state)) as url:
        yield Api(url, book, keys)
