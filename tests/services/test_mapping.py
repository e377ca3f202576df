"""The mapping service: the shipped examples set as they are, the dry run writes nothing, a
candidate document can be tried before it is set, and setting is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.mapping.validate import MappingInvalid
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.services import books
from ledgerbridge.services import mapping as service
from ledgerbridge.services.mapping import load_document, set_mapping, show
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mapping"

# The accounts docs/mapping.md tells the reader to add before setting each example.
EXAMPLE_ACCOUNTS = {
    "shopify-two-gateways.yaml": (
        "shop",
        [
            ("1250", "PayPal clearing", AccountType.ASSET),
            ("4010", "Sales - pop-up shop", AccountType.REVENUE),
        ],
    ),
    "woocommerce-merchant-codes.yaml": (
        "woo",
        [
            ("1160", "Receivable - EU bank transfers", AccountType.ASSET),
            ("1161", "Receivable - UK bank transfers", AccountType.ASSET),
            ("1260", "Card clearing - EU merchant account", AccountType.ASSET),
            ("1261", "Card clearing - UK merchant account", AccountType.ASSET),
            ("2110", "VAT payable - UK", AccountType.LIABILITY),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_ACCOUNTS))
def test_each_shipped_example_sets_as_written(book: Book, name: str) -> None:
    connection, accounts = EXAMPLE_ACCOUNTS[name]
    document = load_document((EXAMPLES / name).read_text(), filename=name)
    with pytest.raises(MappingInvalid):  # without its accounts the chart refuses it
        set_mapping(book.db, connection, document)
    for code, title, kind in accounts:
        books.add_account(book.db, Account(code, title, kind))
    result = set_mapping(book.db, connection, document)
    assert (result.version, result.created) == (1, True)
    assert show(book.db, connection)["mappings"][0]["document"] == document


def test_the_erp_target_example_sets_as_written(book: Book) -> None:
    document = load_document((EXAMPLES / "erp_target.yaml").read_text())
    # Its ERP server is not reachable from the tests: the target module's database checks run
    # in its own tests against real SQLite and PostgreSQL schemas; here the rest of the
    # document and the target section's shape are checked.
    result = set_mapping(book.db, "shop", document, target_check=lambda _section: [])
    assert (result.version, result.created) == (1, True)


def test_the_dry_run_posts_nothing_and_a_candidate_can_be_tried_first(book: Book) -> None:
    books.add_account(book.db, Account("4010", "Sales - apparel", AccountType.REVENUE))
    order, _ = DemoDay(FakeClock().now).order(1)
    body = encode(order)
    with UnitOfWork(book.db, read_only=True) as uow:
        before = (uow.entries.count(), uow.audit.head())
    plain = service.test_mapping(book.db, "shop", "orders/paid", body, rates=StaticRates({}))
    assert plain["mapping_version"] is None
    [entry] = plain["entries"]
    assert "4010" not in {line["account"] for line in entry["lines"]}

    candidate = {
        "version": 1,
        "accounts": [{"when": {"product_type": "Apparel"}, "role": "sales", "account": "4010"}],
    }
    tried = service.test_mapping(
        book.db, "shop", "orders/paid", body, rates=StaticRates({}), document=candidate
    )
    assert tried["candidate"] is True
    assert "4010" in {line["account"] for line in tried["entries"][0]["lines"]}
    assert show(book.db, "shop")["mappings"][0]["active_version"] is None

    set_mapping(book.db, "shop", candidate)
    active = service.test_mapping(book.db, "shop", "orders/paid", body, rates=StaticRates({}))
    assert active["mapping_version"] == 1
    assert active["entries"][0]["mapping_version"] == 1
    with UnitOfWork(book.db, read_only=True) as uow:
        assert uow.entries.count() == before[0]
        assert uow.audit.head()[0] == before[1][0] + 1  # only the mapping.set record


def test_setting_is_audited_with_version_and_hash(book: Book) -> None:
    result = set_mapping(book.db, "shop", {"version": 1}, created_by="ops")
    with UnitOfWork(book.db, read_only=True) as uow:
        [record] = [r.data() for r in uow.audit.records() if r.action == "mapping.set"]
    assert record["data"] == {
        "connection": "shop",
        "version": 1,
        "document_sha256": result.document_sha256,
        "created_by": "ops",
    }
    assert json.dumps(record)  # plain data
