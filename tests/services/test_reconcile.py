"""Reconciliation end to end: payouts posted from webhooks, a bank statement imported, deposits
matched, discrepancies flagged with reasons, resolved with entries, nothing counted twice."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.money import Money
from ledgerbridge.pipeline import daily
from ledgerbridge.services import audit, reconcile, reports
from ledgerbridge.services.close import close_report
from ledgerbridge.services.connections import add_connection
from ledgerbridge.services.discrepancies import Action, resolve
from ledgerbridge.services.payout_pull import pull_and_post
from ledgerbridge.services.statements import import_statement
from ledgerbridge.store.tables import recon_match_lines
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver

PAYOUTS = {
    "po_A1B2C3D4E5F6": (10000, 2),
    "po_B1B2C3D4E5F6": (25000, 3),
    "po_C1B2C3D4E5F6": (7500, 4),
    "po_D1B2C3D4E5F6": (6000, 5),
}
STATEMENT = """Date,Description,Amount,Currency,Balance,Account,Reference
2026-03-03,STRIPE TRANSFER,100.00,USD,1100.00,US001,po_A1B2C3D4E5F6
2026-03-04,STRIPE TRANSFER,245.00,USD,1345.00,US001,po_B1B2C3D4E5F6
2026-03-05,STRIPE TRANSFER,75.00,USD,1420.00,US001,BK-0305-77
2026-03-06,ACME CORP REFUND,51.20,USD,1471.20,US001,BK-0306-12
2026-03-06,RENT MARCH,-300.00,USD,1171.20,US001,BK-0306-13
"""
MARCH = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}


def payout_event(payout_id: str, amount: int, day: int) -> dict[str, object]:
    arrival = int(dt.datetime(2026, 3, day, tzinfo=dt.UTC).timestamp())
    return {
        "id": f"evt_{payout_id}",
        "object": "event",
        "type": "payout.paid",
        "created": arrival - 86400,
        "data": {
            "object": {
                "id": payout_id,
                "object": "payout",
                "amount": amount,
                "currency": "usd",
                "arrival_date": arrival,
                "status": "paid",
                "created": arrival - 86400,
            }
        },
    }


@pytest.fixture
def reconciled(book: Book, tmp_path: Path) -> tuple[Book, dict[str, object]]:
    clock = FakeClock()
    for payout_id, (amount, day) in PAYOUTS.items():
        deliver(book, "stripe", "", payout_event(payout_id, amount, day), clock)
    book.worker(clock=clock).drain()
    used, imported = import_statement(book.db, STATEMENT.encode())
    assert used == "csv" and imported[0].added == 5
    report = reconcile.run(book.db, **MARCH).as_json()
    return book, report


class TestRun:
    def test_deposits_are_matched_by_reference_and_by_amount_and_date(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        _, report = reconciled
        by_payout = {m["payouts"][0]["payout_id"]: m for m in report["matches"]}  # type: ignore[index, union-attr]
        assert by_payout["po_A1B2C3D4E5F6"]["method"] == "reference"
        assert by_payout["po_A1B2C3D4E5F6"]["difference"] == "0.00"
        assert by_payout["po_B1B2C3D4E5F6"]["difference"] == "-5.00"
        assert by_payout["po_C1B2C3D4E5F6"]["method"] in {"amount_date", "descriptor"}
        assert by_payout["po_C1B2C3D4E5F6"]["bank_ref"] == "BK-0305-77"
        assert "po_D1B2C3D4E5F6" not in by_payout

    def test_every_discrepancy_has_a_kind_and_a_reason(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        _, report = reconciled
        kinds = {d["kind"]: d for d in report["discrepancies"]}  # type: ignore[union-attr]
        assert kinds["missing_deposit"]["payout_id"] == "po_D1B2C3D4E5F6"
        assert kinds["missing_deposit"]["expected"] == "60.00"
        assert kinds["unexpected_deposit"]["actual"] == "51.20"
        assert kinds["amount_mismatch"]["difference"] == "-5.00"
        assert all(d["reason"] for d in report["discrepancies"])  # type: ignore[union-attr]
        summary = report["summary"]
        assert summary["deposits"] == 4 and summary["matched"] == 3  # type: ignore[index]
        assert summary["auto_match_rate"] == "0.7500"  # type: ignore[index]

    def test_a_second_run_and_a_reimport_add_nothing(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        book, _ = reconciled
        _, again = import_statement(book.db, STATEMENT.encode())
        assert (again[0].added, again[0].skipped) == (0, 5)
        second = reconcile.run(book.db, **MARCH).as_json()
        assert second["matches"] == [] and second["summary"]["new_discrepancies"] == 0

    def test_the_database_refuses_a_bank_line_matched_twice(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        book, _ = reconciled
        with UnitOfWork(book.db) as uow:
            line_id = uow.connection.execute(recon_match_lines.select()).first().bank_line_id  # type: ignore[union-attr]
            with pytest.raises(IntegrityError):
                uow.connection.execute(
                    recon_match_lines.insert().values(match_id=1, bank_line_id=line_id)
                )


class TestResolve:
    def test_a_bank_fee_is_written_off_to_bank_fees_and_audited(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        book, _ = reconciled
        with UnitOfWork(book.db) as uow:
            found = {d.kind: d for d in uow.reconciliation.discrepancies(status="open")}
        bank_before = reports.trial_balance(book.db).balance_of("1000")
        entry_id = resolve(
            book.db,
            found["amount_mismatch"].id,
            action=Action.WRITE_OFF,
            note="wire fee charged by our bank",
            by="alice",
        )
        assert entry_id is not None
        tb = reports.trial_balance(book.db)
        assert tb.balance_of("6300") == Money.of("5.00", "USD")
        assert tb.balance_of("1000") == bank_before - Money.of("5.00", "USD")
        with UnitOfWork(book.db) as uow:
            record = [r for r in uow.audit.records() if r.action == "discrepancy.resolved"][-1]
        assert record.data()["data"]["by"] == "alice"
        assert audit.verify(book.db).ok

    def test_a_manual_match_teaches_the_next_deposit(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        book, _ = reconciled
        with UnitOfWork(book.db) as uow:
            found = {d.kind: d for d in uow.reconciliation.discrepancies(status="open")}
        unexpected, missing = found["unexpected_deposit"], found["missing_deposit"]
        resolve(
            book.db,
            unexpected.id,
            action=Action.MATCH,
            note="ACME pays Stripe payouts",
            by="bob",
            payout=("stripe", "po_D1B2C3D4E5F6"),
        )
        with UnitOfWork(book.db) as uow:
            rules = uow.reconciliation.rules()
        assert rules and rules[0][1] == "stripe"
        assert missing.id != unexpected.id
        # April: another payout, and another deposit from the same sender with no reference
        clock = FakeClock()
        deliver(book, "stripe", "", payout_event("po_E1B2C3D4E5F6", 8810, 7), clock)
        book.worker(clock=clock).drain()
        april = (
            "Date,Description,Amount,Currency,Balance,Account,Reference\n"
            "2026-03-09,ACME CORP REFUND,88.10,USD,1259.30,US001,BK-0309-01\n"
        )
        import_statement(book.db, april.encode())
        again = reconcile.run(book.db, **MARCH).as_json()
        [learned] = [
            m for m in again["matches"] if m["payouts"][0]["payout_id"] == "po_E1B2C3D4E5F6"
        ]  # type: ignore[index]
        assert learned["method"] == "learned"  # and it says so

    def test_resolving_twice_or_without_a_note_is_refused(
        self, reconciled: tuple[Book, dict[str, object]]
    ) -> None:
        book, _ = reconciled
        with UnitOfWork(book.db) as uow:
            first = uow.reconciliation.discrepancies(status="open")[0]
        with pytest.raises(Exception, match="why"):
            resolve(book.db, first.id, action=Action.ACCEPT, note=" ", by="x")
        resolve(book.db, first.id, action=Action.ACCEPT, note="late deposit", by="x")
        with pytest.raises(Exception, match="already resolved"):
            resolve(book.db, first.id, action=Action.ACCEPT, note="again", by="x")


def test_reconcile_from_the_command_line(
    reconciled: tuple[Book, dict[str, object]], tmp_path: Path
) -> None:
    book, _ = reconciled
    url = book.db.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    path = tmp_path / "statement.csv"
    path.write_text(STATEMENT)
    imported = runner.invoke(
        app, ["statements", "import", str(path), "--json", "--database-url", url]
    )
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["statements"][0]["skipped"] == 5
    listed = runner.invoke(app, ["discrepancies", "list", "--json", "--database-url", url])
    assert {d["kind"] for d in json.loads(listed.stdout)["discrepancies"]} >= {
        "missing_deposit",
        "unexpected_deposit",
        "amount_mismatch",
    }
    failing = runner.invoke(
        app,
        [
            "reconcile",
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-31",
            "--fail-on-discrepancy",
            "--json",
            "--database-url",
            url,
        ],
    )
    assert failing.exit_code == 1
    assert set(json.loads(failing.stdout)) == {"from", "to", "matches", "discrepancies", "summary"}
    broken = tmp_path / "broken.xml"
    broken.write_text("<Document><BkToCstmrStmt><Stmt>")
    refused = runner.invoke(app, ["statements", "import", str(broken), "--database-url", url])
    assert refused.exit_code == 2


def test_the_month_end_close_report(reconciled: tuple[Book, dict[str, object]]) -> None:
    book, _ = reconciled
    report = close_report(book.db, "2026-03")
    rows = {row["code"]: row for row in report["accounts"]}
    assert rows["1000"]["kind"] == "bank" and rows["1000"]["deposits"] == "485.00"
    assert rows["1201"]["payouts"] == "-485.00" and rows["1201"]["closing"] == "-485.00"
    assert report["reconciliation"] == {"deposits": 4, "matched": 3, "auto_match_rate": "0.7500"}
    kinds = {d["kind"] for d in report["open_items"]["discrepancies"]}
    assert kinds == {"missing_deposit", "unexpected_deposit", "amount_mismatch"}
    with pytest.raises(Exception, match="YYYY-MM"):
        close_report(book.db, "March")


def test_the_daily_run_posts_new_discrepancies_to_the_outgoing_webhook(
    book: Book, tmp_path: Path
) -> None:
    received: list[dict[str, object]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    clock = FakeClock()
    for payout_id, (amount, day) in PAYOUTS.items():
        deliver(book, "stripe", "", payout_event(payout_id, amount, day), clock)
    book.worker(clock=clock).drain()
    import_statement(book.db, STATEMENT.encode())
    today = lambda: dt.datetime(2026, 3, 20, tzinfo=dt.UTC)  # noqa: E731
    try:
        first = daily.run_once(book.db, notify_url=url, clock=today)
        second = daily.run_once(book.db, notify_url=url, clock=today)
    finally:
        server.shutdown()
    assert first["summary"]["new_discrepancies"] == 3
    assert second["summary"]["new_discrepancies"] == 0
    assert len(received) == 1  # told once, not every day
    assert "missing_deposit" in str(received[0]["text"])


def test_a_bank_transfer_customer_payment_settles_the_open_receivable(
    book: Book, samples: Path
) -> None:
    order = json.loads((samples / "webhooks/woocommerce/v3_order_create_response.json").read_text())
    order["status"] = "on-hold"  # bank transfer: WooCommerce waits for the money
    clock = FakeClock()
    deliver(book, "woo", "order.created", order, clock)
    book.worker(clock=clock).drain()
    assert reports.trial_balance(book.db).balance_of("1100") == Money.of("29.35", "USD")
    statement = (
        "Date,Description,Amount,Currency,Balance,Account,Reference\n"
        "2017-03-27,TRANSFER J SMITH ORDER 727,29.35,USD,29.35,US001,BK-727\n"
    )
    import_statement(book.db, statement.encode())
    report = reconcile.run(
        book.db, date_from=dt.date(2017, 3, 1), date_to=dt.date(2017, 3, 31)
    ).as_json()
    [matched] = report["matches"]
    assert matched["payouts"] == [{"connection": "woo", "payout_id": "receivable:727"}]
    assert report["discrepancies"] == []
    tb = reports.trial_balance(book.db)
    assert tb.balance_of("1100").is_zero() and tb.balance_of("1000") == Money.of("29.35", "USD")


def test_shopify_payments_payouts_are_pulled_posted_and_matched(book: Book) -> None:
    pages = {
        1: (
            {
                "payouts": [
                    {
                        "id": 901,
                        "status": "paid",
                        "date": "2026-03-10",
                        "currency": "USD",
                        "amount": "120.00",
                        "summary": {},
                    }
                ]
            },
            '<{url}/admin/api/2024-10/shopify_payments/payouts.json?page_info=p2>; rel="next"',
        ),
        2: (
            {
                "payouts": [
                    {
                        "id": 902,
                        "status": "paid",
                        "date": "2026-03-11",
                        "currency": "USD",
                        "amount": "80.50",
                        "summary": {},
                    }
                ]
            },
            "",
        ),
    }
    asked: list[str] = []

    class Shopify(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            assert self.headers["X-Shopify-Access-Token"] == "shpat_test_token"
            body, link = pages[2 if "page_info=p2" in self.path else 1]
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if link:
                self.send_header("Link", link.format(url=url))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shopify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    add_connection(
        book.db,
        book.box,
        name="shop-api",
        platform="shopify",
        secret="s",
        api_url=url,
        api_token="shpat_test_token",
    )
    try:
        posted = pull_and_post(book.db, book.box, book.worker(), since=dt.date(2026, 3, 1))
        again = pull_and_post(book.db, book.box, book.worker(), since=dt.date(2026, 3, 1))
    finally:
        server.shutdown()
    assert (posted, again) == (2, 0)  # pulled twice, stored once
    assert "status=paid" in asked[0] and "page_info=p2" in asked[1]
    statement = (
        "Date,Description,Amount,Currency,Balance,Account,Reference\n"
        "2026-03-11,SHOPIFY PAYOUT 901,120.00,USD,120.00,US001,SHOPIFY 901\n"
        "2026-03-12,SHOPIFY PAYOUT 902,80.50,USD,200.50,US001,SHOPIFY 902\n"
    )
    import_statement(book.db, statement.encode())
    report = reconcile.run(book.db, **MARCH).as_json()
    assert sorted(m["payouts"][0]["payout_id"] for m in report["matches"]) == ["901", "902"]
