"""``connections add --setting`` and ``connections update``: settings as data, secrets never shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.services.audit import verify
from ledgerbridge.store.database import connect
from ledgerbridge.store.unit_of_work import UnitOfWork

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERBRIDGE_SECRET_KEY", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--database-url", database_url])
        return result.exit_code, result.stdout, result.stderr

    assert run("init")[0] == 0
    return run


def test_settings_are_added_changed_and_removed_without_showing_secrets(
    cli: Any,
    database_url: str,
) -> None:
    code, _, err = cli(
        "connections",
        "add",
        "--platform",
        "square",
        "--name",
        "sq",
        "--secret",
        "sig-key-1",
        "--setting",
        "notification_url=https://books.example/webhooks/sq",
        "--setting",
        'gateway_clearing={"paypal": "1203"}',
    )
    assert code == 0, err
    code, out, err = cli(
        "connections",
        "update",
        "--name",
        "sq",
        "--api-url",
        "https://connect.squareup.com",
        "--api-token",
        "EAAA-token",
        "--setting",
        "gateway_clearing=null",
        "--setting",
        "location_id=L1",
        "--json",
    )
    assert code == 0, err
    shown = json.loads(out)
    assert shown["api_access"] is True
    assert shown["settings"] == {
        "notification_url": "https://books.example/webhooks/sq",
        "location_id": "L1",
        # recorded when the connection was made without a token: adding one later does not
        # move Square's fees from the payments to the payouts (they would count twice)
        "fee_source": "payments",
    }
    assert "EAAA-token" not in out and "sig-key-1" not in out
    with UnitOfWork(connect(database_url)) as uow:
        changes = [
            r.data()["data"] for r in uow.audit.records() if r.action == "connection.updated"
        ]
    assert changes and changes[0]["changed"] == ["api_token", "api_url", "settings"]
    assert "EAAA-token" not in json.dumps(changes)
    assert verify(connect(database_url)).ok


def test_bad_updates_are_refused_in_plain_words(cli: Any) -> None:
    assert (
        cli("connections", "add", "--platform", "shopify", "--name", "s", "--secret", "x")[0] == 0
    )
    code, _, err = cli("connections", "update", "--name", "s")
    assert code == 2 and "nothing to change" in err
    code, _, err = cli("connections", "update", "--name", "nope", "--secret", "y")
    assert code == 2 and "nope" in err
    code, _, err = cli("connections", "update", "--name", "s", "--setting", "novalue")
    assert code == 2 and "KEY=VALUE" in err
