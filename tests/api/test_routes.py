"""Every ``/api/v1`` route over real HTTP: the happy path answers what the CLI prints, and the
status rules hold (401 without a key, 403 below the scope, 404 for an unknown id, 400 naming
the field for bad input)."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from ledgerbridge.apikeys import Scope
from ledgerbridge.cli import app as cli
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.api.support import MARCH, STATEMENT, Api, api

__all__ = ["api"]

ROUTES = {
    ("GET", "/api/v1/trial-balance"): Scope.READ,
    ("GET", "/api/v1/fx/rates"): Scope.READ,
    ("GET", "/api/v1/entries"): Scope.READ,
    ("GET", "/api/v1/entries/{entry_id}"): Scope.READ,
    ("GET", "/api/v1/close-report"): Scope.READ,
    ("GET", "/api/v1/events"): Scope.READ,
    ("GET", "/api/v1/events/{event_id}"): Scope.READ,
    ("POST", "/api/v1/events/{event_id}/replay"): Scope.WRITE,
    ("POST", "/api/v1/events/replay-dead"): Scope.WRITE,
    ("GET", "/api/v1/connections"): Scope.READ,
    ("POST", "/api/v1/connections"): Scope.ADMIN,
    ("POST", "/api/v1/statements"): Scope.WRITE,
    ("POST", "/api/v1/reconciliations"): Scope.WRITE,
    ("GET", "/api/v1/discrepancies"): Scope.READ,
    ("POST", "/api/v1/discrepancies/{discrepancy_id}/resolve"): Scope.WRITE,
    ("GET", "/api/v1/mappings"): Scope.READ,
    ("GET", "/api/v1/connections/{name}/mapping"): Scope.READ,
    ("PUT", "/api/v1/connections/{name}/mapping"): Scope.ADMIN,
    ("POST", "/api/v1/connections/{name}/mapping"): Scope.ADMIN,
    ("POST", "/api/v1/connections/{name}/mapping/test"): Scope.ADMIN,
}
BELOW = {Scope.WRITE: Scope.READ, Scope.ADMIN: Scope.WRITE}


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "1", path)


def call(api: Api, method: str, path: str, scope: Scope | None) -> httpx.Response:
    if method == "GET":
        return api.get(path, scope)
    if method == "PUT":
        return httpx.put(f"{api.url}{path}", headers=api.headers(scope), timeout=30)
    return api.post(path, scope)


def error(response: httpx.Response, status: int) -> dict[str, str | None]:
    assert response.status_code == status, response.text
    found: dict[str, str | None] = response.json()["error"]
    return found


def cli_json(api: Api, monkeypatch: pytest.MonkeyPatch, *args: str) -> object:
    """What ``ledgerbridge ARGS --json`` prints for the same book."""
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    url = api.book.db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, [*args, "--json", "--database-url", url])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class TestAccess:
    def test_the_document_lists_exactly_these_routes(self, api: Api) -> None:
        document = httpx.get(f"{api.url}/openapi.json").json()
        listed = {
            (method.upper(), path)
            for path, operations in document["paths"].items()
            if path.startswith("/api/v1/")
            for method in operations
        }
        assert listed == set(ROUTES)
        assert "ApiKey" in document["components"]["securitySchemes"]

    @pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
    def test_no_key_is_401(self, api: Api, method: str, path: str) -> None:
        assert error(call(api, method, concrete(path), None), 401)["code"] == "unauthenticated"

    @pytest.mark.parametrize(
        ("method", "path"), sorted(r for r, scope in ROUTES.items() if scope in BELOW)
    )
    def test_a_key_below_the_scope_is_403(self, api: Api, method: str, path: str) -> None:
        below = BELOW[ROUTES[(method, path)]]
        assert error(call(api, method, concrete(path), below), 403)["code"] == "forbidden"


class TestSameAsTheCli:
    @pytest.mark.parametrize(
        ("path", "args"),
        [
            ("/api/v1/trial-balance", ["report", "trial-balance"]),
            ("/api/v1/entries?from=2026-01-01", ["report", "journal", "--from", "2026-01-01"]),
            ("/api/v1/entries/1", ["entries", "show", "1"]),
            ("/api/v1/events", ["events", "list"]),
            (
                "/api/v1/events?status=dead&connection=shop",
                ["events", "list", "--status", "dead", "--connection", "shop"],
            ),
            ("/api/v1/events/5", ["events", "show", "5"]),
            ("/api/v1/connections", ["connections", "list"]),
            ("/api/v1/close-report?month=2026-03", ["close", "report", "--month", "2026-03"]),
        ],
    )
    def test_a_read_answers_what_the_cli_prints(
        self, api: Api, monkeypatch: pytest.MonkeyPatch, path: str, args: list[str]
    ) -> None:
        api.payouts()  # events 1-4, posted in March 2026
        api.dead_event()  # event 5
        response = api.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == cli_json(api, monkeypatch, *args)


class TestLedger:
    def test_amounts_are_exact_strings_and_the_books_balance(self, api: Api) -> None:
        api.posted_order()
        tb = api.get("/api/v1/trial-balance").json()
        assert tb["total_debit"] == tb["total_credit"] != "0.00"
        assert all(isinstance(a["balance"], str) for a in tb["accounts"])
        [entry] = api.get("/api/v1/entries").json()["entries"]
        assert {line["amount"] for line in entry["lines"]} <= {
            line["amount"] for line in api.get(f"/api/v1/entries/{entry['id']}").json()["lines"]
        }

    def test_an_unknown_entry_is_404(self, api: Api) -> None:
        assert error(api.get("/api/v1/entries/999"), 404)["code"] == "not_found"

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/api/v1/entries/0", "entry_id"),
            ("/api/v1/entries/abc", "entry_id"),
            ("/api/v1/entries/99999999999", "entry_id"),
            ("/api/v1/entries?from=yesterday", "from"),
            ("/api/v1/entries?from=2026-03-02&to=2026-03-01", "from"),
            ("/api/v1/entries?to=9999-12-31", "to"),
            ("/api/v1/trial-balance?as_of=0001-01-01", "as_of"),
            ("/api/v1/fx/rates?currency=eur", "currency.0"),
            ("/api/v1/fx/rates?date=2026-02-30", "date"),
            ("/api/v1/close-report", "month"),
            ("/api/v1/close-report?month=2026-13", "month"),
            ("/api/v1/close-report?month=9999-12", "month"),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, api: Api, path: str, field: str) -> None:
        assert error(api.get(path), 400)["field"] == field

    def test_the_close_report_shows_money_in_transit(self, api: Api) -> None:
        api.payouts()
        report = api.get("/api/v1/close-report?month=2026-03").json()
        bank = next(a for a in report["accounts"] if a["kind"] == "bank")
        assert bank["deposits"] == "485.00" and bank["closing"] == "485.00"
        assert report["from"] == "2026-03-01" and report["to"] == "2026-03-31"


class TestEvents:
    def test_the_dead_letter_queue_is_a_status_filter(self, api: Api) -> None:
        posted, dead = api.posted_order(1), api.dead_event(2)
        listed = api.get("/api/v1/events?status=dead").json()["events"]
        assert [e["id"] for e in listed] == [dead]
        everything = api.get("/api/v1/events?limit=1").json()["events"]
        assert [e["id"] for e in everything] == [dead]
        shown = api.get(f"/api/v1/events/{posted}").json()
        assert shown["status"] == "posted" and shown["entries"] and shown["body"].startswith("{")

    def test_replaying_makes_an_event_due_and_is_audited(self, api: Api) -> None:
        dead = api.dead_event()
        response = api.post(f"/api/v1/events/{dead}/replay")
        assert response.status_code == 200 and response.json() == {"replayed": [dead]}
        with UnitOfWork(api.book.db) as uow:
            assert uow.inbox.get(dead).status is EventStatus.RECEIVED
        assert api.audit_actions("events.replayed") == [{"event_ids": [dead]}]

    def test_replaying_every_dead_letter(self, api: Api) -> None:
        dead = [api.dead_event(1), api.dead_event(2)]
        api.posted_order(3)
        assert api.post("/api/v1/events/replay-dead").json() == {"replayed": sorted(dead)}
        assert api.post("/api/v1/events/replay-dead").json() == {"replayed": []}

    def test_a_posted_event_cannot_be_replayed(self, api: Api) -> None:
        posted = api.posted_order()
        assert error(api.post(f"/api/v1/events/{posted}/replay"), 409)["code"] == (
            "event_already_posted"
        )

    def test_unknown_events_and_connections_are_404(self, api: Api) -> None:
        assert error(api.get("/api/v1/events/42"), 404)["field"] == "id"
        assert error(api.post("/api/v1/events/42/replay"), 404)["code"] == "not_found"
        assert error(api.get("/api/v1/events?connection=nope"), 404)["field"] == "connection"

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/api/v1/events?status=lost", "status"),
            ("/api/v1/events?limit=0", "limit"),
            ("/api/v1/events?limit=1001", "limit"),
            ("/api/v1/events?connection=a%00b", "connection"),
            ("/api/v1/events/-1", "event_id"),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, api: Api, path: str, field: str) -> None:
        assert error(api.get(path), 400)["field"] == field


NEW = {"platform": "stripe", "name": "stripe-eu", "secret": "whsec_new_secret_value"}


class TestConnections:
    def test_listing_shows_sync_status_and_never_secrets(self, api: Api) -> None:
        api.dead_event()
        response = api.get("/api/v1/connections")
        by_name = {c["name"]: c for c in response.json()["connections"]}
        assert set(by_name) == {"shop", "stripe", "woo"}
        assert by_name["shop"]["dead"] == 1 and by_name["shop"]["events"] == {"dead": 1}
        assert "secret" not in response.text

    def test_an_admin_connects_a_gateway(self, api: Api) -> None:
        response = api.post("/api/v1/connections", Scope.ADMIN, json=NEW)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["webhook_path"] == "/webhooks/stripe-eu"
        assert created["clearing_account"].startswith("12")
        names = [c["name"] for c in api.get("/api/v1/connections").json()["connections"]]
        assert "stripe-eu" in names
        assert NEW["secret"] not in json.dumps(api.audit_actions("connection.added"))

    def test_a_taken_name_is_409(self, api: Api) -> None:
        taken = api.post("/api/v1/connections", Scope.ADMIN, json={**NEW, "name": "stripe"})
        assert error(taken, 409)["code"] == "connection_exists"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({**NEW, "platform": "amazon"}, "platform"),
            ({k: v for k, v in NEW.items() if k != "secret"}, "secret"),
            ({**NEW, "secret": ""}, "secret"),
            ({**NEW, "name": "Not A Slug"}, "name"),
            ({**NEW, "api_url": "ftp://example"}, "api_url"),
            ({**NEW, "api_url": "https://" + "x" * 500}, "api_url"),
            ({**NEW, "webhook_secret": "typo"}, "webhook_secret"),
            ({**NEW, "secret": "a\u0000b"}, "secret"),
        ],
    )
    def test_a_bad_body_is_400_naming_the_field(
        self, api: Api, body: dict[str, str], field: str
    ) -> None:
        assert error(api.post("/api/v1/connections", Scope.ADMIN, json=body), 400)["field"] == field

    def test_an_unpaired_surrogate_is_400_not_500(self, api: Api) -> None:
        raw = json.dumps(NEW).replace("whsec_new_secret_value", "\\ud800")
        response = api.post(
            "/api/v1/connections",
            Scope.ADMIN,
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert error(response, 400)["field"] == "secret"


class TestStatements:
    def test_importing_twice_adds_each_line_once(self, api: Api) -> None:
        first = api.post("/api/v1/statements", content=STATEMENT)
        assert first.status_code == 200, first.text
        assert first.json()["format"] == "csv"
        [statement] = first.json()["statements"]
        assert (statement["added"], statement["skipped"], statement["total"]) == (4, 0, "471.20")
        again = api.post("/api/v1/statements?format=csv", content=STATEMENT).json()
        assert (again["statements"][0]["added"], again["statements"][0]["skipped"]) == (0, 4)

    def test_a_broken_file_is_400_naming_the_place(self, api: Api) -> None:
        broken = STATEMENT.replace(b"245.00", b"24x.00")
        found = error(api.post("/api/v1/statements", content=broken), 400)
        assert found["code"] == "statement_invalid" and found["field"] == "line 3, column Amount"
        assert api.get("/api/v1/discrepancies?status=all").json() == {"discrepancies": []}

    @pytest.mark.parametrize(
        ("query", "body", "status", "field"),
        [
            ("", b"", 400, "format"),
            ("?format=qif", STATEMENT, 400, "format"),
            ("?bank_account=9999", STATEMENT, 404, None),
        ],
    )
    def test_refusals(
        self, api: Api, query: str, body: bytes, status: int, field: str | None
    ) -> None:
        found = error(api.post(f"/api/v1/statements{query}", content=body), status)
        assert field is None or found["field"] == field


class TestReconciliation:
    def test_a_run_matches_and_flags_with_reasons(self, api: Api) -> None:
        report = api.reconciled()
        assert (report["from"], report["to"]) == ("2026-03-01", "2026-03-31")
        assert report["summary"]["deposits"] == 4 and report["summary"]["matched"] == 3
        kinds = {d["kind"]: d for d in report["discrepancies"]}
        assert kinds["missing_deposit"]["expected"] == "60.00"
        assert kinds["amount_mismatch"]["difference"] == "-5.00"
        assert all(d["reason"] for d in report["discrepancies"])

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"from": "March"}, "from"),
            ({"from": "2026-03-31", "to": "2026-03-01"}, "from"),
            ({"from": "0001-01-01"}, "from"),
            ({"to": "9999-12-31"}, "to"),
            ({**MARCH, "until": "2026-04-01"}, "until"),
            ({**MARCH, "window_business_days": -1}, "window_business_days"),
        ],
    )
    def test_a_bad_period_is_400_naming_the_field(
        self, api: Api, body: dict[str, object], field: str
    ) -> None:
        assert error(api.post("/api/v1/reconciliations", json=body), 400)["field"] == field

    def test_discrepancies_are_listed_with_amounts_by_status(self, api: Api) -> None:
        api.reconciled()
        open_ = api.get("/api/v1/discrepancies").json()["discrepancies"]
        assert {d["kind"] for d in open_} == {
            "missing_deposit",
            "unexpected_deposit",
            "amount_mismatch",
        }
        unexpected = next(d for d in open_ if d["kind"] == "unexpected_deposit")
        assert unexpected["actual"] == "51.20" and unexpected["status"] == "open"
        assert api.get("/api/v1/discrepancies?status=resolved").json() == {"discrepancies": []}
        assert len(api.get("/api/v1/discrepancies?status=all").json()["discrepancies"]) == 3
        assert error(api.get("/api/v1/discrepancies?status=closed"), 400)["field"] == "status"

    def test_resolving_names_the_api_key_and_books_a_write_off(self, api: Api) -> None:
        api.reconciled()
        open_ = {d["kind"]: d for d in api.get("/api/v1/discrepancies").json()["discrepancies"]}
        short = open_["amount_mismatch"]
        response = api.post(
            f"/api/v1/discrepancies/{short['id']}/resolve",
            json={"action": "write-off", "note": "bank fee"},
        )
        assert response.status_code == 200, response.text
        resolution = response.json()
        assert resolution["action"] == "write-off" and resolution["entry_id"] is not None
        entry = api.get(f"/api/v1/entries/{resolution['entry_id']}").json()
        assert {line["amount"] for line in entry["lines"]} == {"5.00"}
        [audit] = api.audit_actions("discrepancy.resolved")
        assert audit["by"] == "write-key" and audit["note"] == "bank fee"
        again = api.post(
            f"/api/v1/discrepancies/{short['id']}/resolve",
            json={"action": "accept", "note": "again"},
        )
        assert error(again, 409)["code"] == "already_resolved"

    def test_a_manual_match_needs_a_payout_and_a_line(self, api: Api) -> None:
        api.reconciled()
        open_ = {d["kind"]: d for d in api.get("/api/v1/discrepancies").json()["discrepancies"]}
        unexpected = open_["unexpected_deposit"]
        found = error(
            api.post(
                f"/api/v1/discrepancies/{open_['missing_deposit']['id']}/resolve",
                json={"action": "match", "note": "by hand"},
            ),
            400,
        )
        assert found["field"] == "payout"
        matched = api.post(
            f"/api/v1/discrepancies/{unexpected['id']}/resolve",
            json={
                "action": "match",
                "note": "ACME pays for shop orders",
                "payout": "stripe:po_D1B2C3D4E5F6",
                "line": unexpected["bank_line_ids"][0],
            },
        )
        assert matched.status_code == 200, matched.text
        assert matched.json() == {"id": unexpected["id"], "action": "match", "entry_id": None}

    def test_an_unknown_discrepancy_is_404(self, api: Api) -> None:
        response = api.post(
            "/api/v1/discrepancies/77/resolve", json={"action": "accept", "note": "x"}
        )
        assert error(response, 404)["code"] == "not_found"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"action": "ignore", "note": "x"}, "action"),
            ({"action": "accept"}, "note"),
            ({"action": "accept", "note": ""}, "note"),
            ({"action": "match", "note": "x", "payout": "no-colon"}, "payout"),
            ({"action": "match", "note": "x", "payout": "s:po", "line": "first"}, "line"),
            ({"action": "accept", "note": "x", "by": "someone else"}, "by"),
        ],
    )
    def test_a_bad_body_is_400_naming_the_field(
        self, api: Api, body: dict[str, object], field: str
    ) -> None:
        response = api.post("/api/v1/discrepancies/1/resolve", json=body)
        assert error(response, 400)["field"] == field

    def test_a_body_that_is_not_json_is_400(self, api: Api) -> None:
        response = api.post(
            "/api/v1/discrepancies/1/resolve",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert error(response, 400)["code"] == "invalid_input"
