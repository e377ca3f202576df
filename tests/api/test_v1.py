"""The JSON API's keys and first routes, over real HTTP: 401 without a key, 403 below scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import Depends, FastAPI
from sqlalchemy import text
from typer.testing import CliRunner

from ledgerbridge import apikeys
from ledgerbridge.api import errors
from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.auth import require
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.apikeys import KeyCache, Scope
from ledgerbridge.cli import app
from ledgerbridge.fx import FixedRates
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books
from ledgerbridge.store.database import Database
from tests.servers import serve_in_thread


@pytest.fixture
def service(db: Database, tmp_path: Path) -> Iterator[str]:
    books.init_book(db, base_currency="USD")
    rates = tmp_path / "rates.csv"
    rates.write_text(
        "currency,base,date,rate\nEUR,USD,2026-11-20,1.0500\nGBP,USD,2026-11-20,1.2600\n"
    )
    box = SecretBox(Fernet.generate_key())
    state = AppState(
        db=db,
        box=box,
        directory=ConnectionDirectory(db, box),
        metrics=Metrics(),
        rates=FixedRates(rates),
        keys=KeyCache(db, ttl_s=0),
    )
    with serve_in_thread(create_app(state)) as url:
        yield url


def get(url: str, path: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{url}{path}", headers=headers, timeout=30)


class TestKeys:
    def test_a_key_is_shown_once_and_only_its_hash_is_stored(self, db: Database) -> None:
        books.init_book(db, base_currency="USD")
        key = apikeys.create_key(db, name="reporting", scope=Scope.READ)
        assert key.startswith("lb_")
        with db.engine.connect() as conn:
            stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM api_keys")).one())
        assert key.split("_", 2)[2] not in stored
        [listed] = apikeys.list_keys(db)
        assert listed["prefix"] == key[:11] + "_…" and listed["scope"] == "read"

    def test_scopes_are_ordered(self) -> None:
        assert Scope.ADMIN.allows(Scope.WRITE) and Scope.WRITE.allows(Scope.READ)
        assert not Scope.READ.allows(Scope.WRITE)


class TestAuthentication:
    @pytest.mark.parametrize("key", [None, "lb_00000000_not-a-real-key-at-all-xx", "garbage"])
    def test_no_key_or_a_bad_key_is_401(self, service: str, key: str | None) -> None:
        response = get(service, "/api/v1/trial-balance", key)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"

    def test_a_revoked_key_stops_working(self, service: str, db: Database) -> None:
        key = apikeys.create_key(db, name="temp", scope=Scope.READ)
        assert get(service, "/api/v1/trial-balance", key).status_code == 200
        apikeys.revoke_key(db, "temp")
        assert get(service, "/api/v1/trial-balance", key).status_code == 401

    def test_a_key_below_the_needed_scope_is_403(self, db: Database) -> None:
        books.init_book(db, base_currency="USD")
        app = FastAPI()
        errors.install(app)
        app.state.ledgerbridge = type("S", (), {"keys": KeyCache(db)})()

        @app.post("/admin-only", dependencies=[Depends(require(Scope.ADMIN))])
        def admin_only() -> dict[str, str]:
            return {"ok": "yes"}

        reader = apikeys.create_key(db, name="reader", scope=Scope.READ)
        admin = apikeys.create_key(db, name="admin", scope=Scope.ADMIN)
        with serve_in_thread(app) as url:
            refused = httpx.post(f"{url}/admin-only", headers={"Authorization": f"Bearer {reader}"})
            allowed = httpx.post(f"{url}/admin-only", headers={"Authorization": f"Bearer {admin}"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert allowed.status_code == 200


class TestRoutes:
    def test_trial_balance_and_fx_rates_as_exact_strings(self, service: str, db: Database) -> None:
        key = apikeys.create_key(db, name="reader", scope=Scope.READ)
        tb = get(service, "/api/v1/trial-balance", key).json()
        assert tb["base_currency"] == "USD" and tb["total_debit"] == "0.00"
        rates = get(service, "/api/v1/fx/rates?date=2026-11-22&currency=EUR", key).json()
        assert rates["rates"] == [
            {
                "currency": "EUR",
                "rate": "1.0500",
                "rate_date": "2026-11-20",
                "source": "fixed:rates.csv",
            }
        ]
        bad = get(service, "/api/v1/fx/rates?date=yesterday", key)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "date"


def test_apikeys_from_the_command_line(db: Database) -> None:
    books.init_book(db, base_currency="USD")
    url = db.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["apikeys", "create", "--name", "ci", "--scope", "write", "--json", "--database-url", url],
    )
    assert created.exit_code == 0, created.stderr
    key = json.loads(created.stdout)["key"]
    assert apikeys.authenticate(db, key).scope is Scope.WRITE
    listed = runner.invoke(app, ["apikeys", "list", "--json", "--database-url", url])
    assert key not in listed.stdout and '"ci"' in listed.stdout
    bad = runner.invoke(
        app, ["apikeys", "create", "--name", "x", "--scope", "root", "--database-url", url]
    )
    assert bad.exit_code == 2
