"""connections, ingest, events and replay from the command line, as an operator uses them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.store import DemoDay

runner = CliRunner()


def cli(*args: str, url: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def book(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # init writes .ledgerbridge.key here; the commands read it
    monkeypatch.delenv("LEDGERBRIDGE_SECRET_KEY", raising=False)
    assert cli("init", url=database_url)[0] == 0
    code, out, err = cli(
        "connections",
        "add",
        "--platform",
        "shopify",
        "--name",
        "shop",
        "--secret",
        "shpss_cli",
        "--json",
        url=database_url,
    )
    assert code == 0, err
    assert json.loads(out)["webhook_path"] == "/webhooks/shop"
    return database_url


def write(tmp_path: Path, name: str, payload: dict[str, object]) -> str:
    path = tmp_path / name
    path.write_bytes(encode(payload))
    return str(path)


class TestConnections:
    def test_the_list_shows_sync_status_and_never_the_secret(self, book: str) -> None:
        code, out, _ = cli("connections", "list", "--json", url=book)
        assert code == 0
        [shop] = json.loads(out)["connections"]
        assert shop["name"] == "shop" and shop["api_access"] is False
        assert shop["waiting"] == 0 and shop["last_event_at"] is None
        assert "shpss_cli" not in out

    def test_a_duplicate_name_and_an_unknown_platform_are_exit_2(self, book: str) -> None:
        code, _, err = cli(
            "connections",
            "add",
            "--platform",
            "shopify",
            "--name",
            "shop",
            "--secret",
            "x",
            url=book,
        )
        assert code == 2 and "already exists" in err
        code, _, err = cli(
            "connections", "add", "--platform", "etsy", "--name", "e", "--secret", "x", url=book
        )
        assert code == 2 and "etsy" in err

    def test_the_secret_is_stored_encrypted(self, book: str) -> None:
        engine = create_engine(book)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT secret_encrypted FROM connections")).scalar_one()
        engine.dispose()
        assert "shpss_cli" not in stored and stored.startswith("gAAAA")  # a Fernet token


class TestIngestAndEvents:
    def test_an_ingested_order_posts_and_shows_its_entry(self, book: str, tmp_path: Path) -> None:
        order, _ = DemoDay(dt.datetime.now(dt.UTC)).order(1)
        path = write(tmp_path, "order.json", order)
        code, out, err = cli(
            "ingest", "--connection", "shop", "--topic", "orders/paid", path, "--json", url=book
        )
        assert code == 0, err
        result = json.loads(out)
        assert result["status"] == "posted" and len(result["entries"]) == 1
        code, out, _ = cli("events", "show", str(result["event_id"]), "--json", url=book)
        shown = json.loads(out)
        assert shown["entries"][0]["source"]["kind"] == "order_paid"
        assert json.loads(shown["body"])["id"] == order["id"]
        code, out, _ = cli(
            "ingest", "--connection", "shop", "--topic", "orders/paid", path, "--json", url=book
        )
        assert json.loads(out)["duplicate"] is True

    def test_a_refund_before_its_order_fails_and_replay_after_the_order_posts_it(
        self, book: str, tmp_path: Path
    ) -> None:
        day = DemoDay(dt.datetime.now(dt.UTC))
        order, _ = day.order(1)
        refund = write(tmp_path, "refund.json", day.refund(day.sales[0], 1))
        code, out, _ = cli(
            "ingest",
            "--connection",
            "shop",
            "--topic",
            "refunds/create",
            refund,
            "--json",
            url=book,
        )
        assert code == 1 and json.loads(out)["status"] == "failed"
        refund_id = json.loads(out)["event_id"]
        code, out, _ = cli("events", "list", "--status", "failed", "--json", url=book)
        assert [e["id"] for e in json.loads(out)["events"]] == [refund_id]
        cli(
            "ingest",
            "--connection",
            "shop",
            "--topic",
            "orders/paid",
            write(tmp_path, "order.json", order),
            url=book,
        )
        code, out, _ = cli("events", "replay", str(refund_id), "--json", url=book)
        assert code == 0 and json.loads(out)["replayed"] == [refund_id]

    def test_replay_needs_an_id_or_dead_and_refuses_posted_events(
        self, book: str, tmp_path: Path
    ) -> None:
        assert cli("events", "replay", url=book)[0] == 2
        order, _ = DemoDay(dt.datetime.now(dt.UTC)).order(2)
        _, out, _ = cli(
            "ingest",
            "--connection",
            "shop",
            "--topic",
            "orders/paid",
            write(tmp_path, "o.json", order),
            "--json",
            url=book,
        )
        code, _, err = cli("events", "replay", str(json.loads(out)["event_id"]), url=book)
        assert code == 2 and "already posted" in err

    def test_unknown_connection_and_event_are_plain_errors(self, book: str) -> None:
        code, _, err = cli("events", "list", "--connection", "nope", url=book)
        assert code == 2 and "no connection named 'nope'" in err
        code, _, err = cli("events", "show", "999", url=book)
        assert code == 2 and "no event 999" in err
