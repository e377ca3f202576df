"""``/api/v1`` mappings over real HTTP: set (admin, idempotent, 422 with every problem), show,
dry run, and the journal's dimension filter."""

from __future__ import annotations

import json

import httpx
import yaml

from ledgerbridge.apikeys import Scope
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.api.support import Api, api
from tests.pipeline.test_worker import FakeClock

__all__ = ["api"]

DOCUMENT = {
    "version": 1,
    "dimensions": {"store": "'us-main'", "region": "shipping_address.province_code"},
    "accounts": [{"when": {"sku": "TEE-*"}, "role": "sales", "account": "4100"}],
}


def put(
    api: Api, document: object, *, scope: Scope = Scope.ADMIN, **headers: str
) -> httpx.Response:
    return httpx.put(
        f"{api.url}/api/v1/connections/shop/mapping",
        content=json.dumps(document),
        headers={**api.headers(scope), "Content-Type": "application/json", **headers},
        timeout=30,
    )


def test_setting_needs_the_admin_scope(api: Api) -> None:
    assert put(api, DOCUMENT, scope=Scope.WRITE).status_code == 403


def test_a_mapping_is_set_shown_and_the_same_document_changes_nothing(api: Api) -> None:
    first = put(api, DOCUMENT)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["created"] is True
    again = put(api, DOCUMENT)
    assert again.json() == {**first.json(), "created": False}
    shown = api.get("/api/v1/connections/shop/mapping").json()
    assert shown["active_version"] == 1
    assert shown["document"] == DOCUMENT
    listed = api.get("/api/v1/mappings?connection=shop").json()["mappings"]
    assert [m["connection"] for m in listed] == ["shop"]
    assert listed[0]["versions"][0]["created_by"] == "admin-key"
    assert api.audit_actions("mapping.set")[0]["version"] == 1


def test_yaml_is_accepted_and_post_does_what_put_does(api: Api) -> None:
    response = api.post(
        "/api/v1/connections/shop/mapping",
        Scope.ADMIN,
        content=yaml.safe_dump(DOCUMENT),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1


def test_a_bad_document_is_422_with_every_problem_and_leaves_the_active_version(api: Api) -> None:
    assert put(api, DOCUMENT).status_code == 200
    bad = {
        **DOCUMENT,
        "accounts": [{"when": {"colour": "red"}, "role": "sales", "account": "9999"}],
    }
    response = put(api, bad, **{"Idempotency-Key": "bad-mapping-1"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "mapping_invalid"
    assert {(p["path"], p["message"]) for p in error["problems"]} >= {
        ("accounts[0].account", 'no account "9999" in the chart'),
    }
    assert "accounts[0].when.colour" in {p["path"] for p in error["problems"]}
    replayed = put(api, bad, **{"Idempotency-Key": "bad-mapping-1"})
    assert replayed.status_code == 422
    assert replayed.headers.get("Idempotency-Hit") == "true"
    assert api.get("/api/v1/connections/shop/mapping").json()["active_version"] == 1


def test_unreadable_text_is_400_and_an_unknown_connection_404(api: Api) -> None:
    broken = httpx.put(
        f"{api.url}/api/v1/connections/shop/mapping",
        content=b"version: [1",
        headers={**api.headers(Scope.ADMIN), "Content-Type": "application/yaml"},
        timeout=30,
    )
    assert broken.status_code == 400
    missing = httpx.put(
        f"{api.url}/api/v1/connections/nope/mapping",
        content=json.dumps(DOCUMENT),
        headers=api.headers(Scope.ADMIN),
        timeout=30,
    )
    assert missing.status_code == 404


def test_the_dry_run_shows_the_entry_and_posts_nothing(api: Api) -> None:
    assert put(api, DOCUMENT).status_code == 200
    order, _ = DemoDay(FakeClock().now).order(1)
    with UnitOfWork(api.book.db, read_only=True) as uow:
        before = (uow.entries.count(), uow.audit.head())
    response = api.post(
        "/api/v1/connections/shop/mapping/test?topic=orders/paid",
        Scope.ADMIN,
        content=encode(order),
    )
    assert response.status_code == 200, response.text
    [entry] = response.json()["entries"]
    assert entry["mapping_version"] == 1
    assert entry["dimensions"]["store"] == "us-main"
    tee = [line for line in entry["lines"] if line["dimensions"].get("sku", "").startswith("TEE-")]
    assert tee and all(line["account"] == "4100" for line in tee)
    with UnitOfWork(api.book.db, read_only=True) as uow:
        assert (uow.entries.count(), uow.audit.head()) == before


def test_the_journal_filters_by_dimension(api: Api) -> None:
    assert put(api, DOCUMENT).status_code == 200
    api.posted_order(1)
    api.posted_order(2)
    everything = api.get("/api/v1/entries").json()["entries"]
    assert len(everything) == 2
    store = api.get("/api/v1/entries?dimension=store:us-main").json()
    assert len(store["entries"]) == 2 and store["dimensions"] == {"store": "us-main"}
    assert api.get("/api/v1/entries?dimension=store:eu-main").json()["entries"] == []
    sku = everything[0]["lines"][1]["dimensions"]["sku"]
    both = api.get(f"/api/v1/entries?dimension=store:us-main&dimension=sku:{sku}").json()
    assert 1 <= len(both["entries"]) <= 2
    assert all(
        any(line["dimensions"].get("sku") == sku for line in e["lines"]) for e in both["entries"]
    )
    bad = api.get("/api/v1/entries?dimension=store")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "dimension"
