"""``mapping set|show|test`` and ``report journal --dimension`` as an operator types them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.store import DemoDay
from tests.cli.test_pipeline_cli import book, cli
from tests.pipeline.test_worker import FakeClock

__all__ = ["book"]

GOOD = """\
version: 1
dimensions:
  store: "'us-main'"
  region: shipping_address.province_code
accounts:
  - when: {sku: "TEE-*"}
    role: sales
    account: "4100"
"""
BAD = """\
version: 1
fields:
  channel: "source_name["
accounts:
  - when: {colour: red}
    role: sales
    account: "9999"
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_set_refuses_a_bad_document_listing_each_problem_with_its_path(
    book: str, tmp_path: Path
) -> None:
    assert (
        cli("mapping", "set", "--connection", "shop", write(tmp_path, "good.yaml", GOOD), url=book)[
            0
        ]
        == 0
    )
    code, _, err = cli(
        "mapping", "set", "--connection", "shop", write(tmp_path, "bad.yaml", BAD), url=book
    )
    assert code == 2
    assert "3 problems; nothing was set" in err
    assert 'accounts[0].account: no account "9999" in the chart' in err
    assert "fields.channel: bad JMESPath" in err
    assert 'accounts[0].when.colour: unknown condition "colour"' in err
    code, out, _ = cli("mapping", "show", "--connection", "shop", "--json", url=book)
    [shown] = json.loads(out)["mappings"]
    assert shown["active_version"] == 1 and len(shown["versions"]) == 1


def test_set_twice_is_one_version_and_json_documents_work_too(book: str, tmp_path: Path) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    code, out, _ = cli("mapping", "set", "--connection", "shop", path, "--json", url=book)
    assert code == 0 and json.loads(out)["created"] is True
    code, out, _ = cli("mapping", "set", "--connection", "shop", path, url=book)
    assert code == 0 and "already version 1" in out
    as_json = write(
        tmp_path, "other.json", json.dumps({"version": 1, "defaults": {"sales": "4000"}})
    )
    code, out, _ = cli("mapping", "set", "--connection", "shop", as_json, "--json", url=book)
    assert code == 0 and json.loads(out)["version"] == 2


def test_the_dry_run_shows_the_entry_and_the_journal_stays_empty(book: str, tmp_path: Path) -> None:
    cli("mapping", "set", "--connection", "shop", write(tmp_path, "good.yaml", GOOD), url=book)
    order, _ = DemoDay(FakeClock().now).order(1)
    payload = write(tmp_path, "order.json", encode(order))
    code, out, err = cli(
        "mapping",
        "test",
        "--connection",
        "shop",
        "--topic",
        "orders/paid",
        payload,
        "--json",
        url=book,
    )
    assert code == 0, err
    [entry] = json.loads(out)["entries"]
    assert entry["dimensions"]["store"] == "us-main" and entry["mapping_version"] == 1
    code, out, _ = cli(
        "mapping", "test", "--connection", "shop", "--topic", "orders/paid", payload, url=book
    )
    assert code == 0 and "nothing was posted" in out
    code, out, _ = cli("report", "journal", "--json", url=book)
    assert json.loads(out)["entries"] == []


def test_report_journal_filters_by_dimensions(book: str, tmp_path: Path) -> None:
    cli("mapping", "set", "--connection", "shop", write(tmp_path, "good.yaml", GOOD), url=book)
    day = DemoDay(FakeClock().now)
    first, _ = day.order(1)
    second, _ = day.order(2)
    second["shipping_address"] = {"country_code": "US", "province_code": "NY"}
    for n, order in enumerate((first, second)):
        path = write(tmp_path, f"order{n}.json", encode(order))
        code, _, err = cli(
            "ingest", "--connection", "shop", "--topic", "orders/paid", path, url=book
        )
        assert code == 0, err
    code, out, _ = cli("report", "journal", "--dimension", "region=NY", "--json", url=book)
    assert code == 0
    assert [e["source"]["external_id"] for e in json.loads(out)["entries"]] == [str(second["id"])]
    code, out, _ = cli(
        "report",
        "journal",
        "--dimension",
        "store=us-main",
        "--dimension",
        "region=CA",
        "--json",
        url=book,
    )
    assert [e["source"]["external_id"] for e in json.loads(out)["entries"]] == [str(first["id"])]
    code, _, err = cli("report", "journal", "--dimension", "region", url=book)
    assert code == 2 and "NAME=VALUE" in err


def test_schema_prints_the_documents_json_schema_for_editors() -> None:
    result = CliRunner().invoke(app, ["mapping", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "ledgerbridge mapping document"
    assert "merchant_code" in schema["properties"]["fields"]["propertyNames"]["enum"]
