"""The mapping through the real worker, on SQLite and PostgreSQL: versions switch between
events without a restart, each entry names its version and carries its dimensions, and the
journal filters on them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledgerbridge.demo.store import DemoDay
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.ledger.entries import JournalEntry, Side
from ledgerbridge.services import books, reports
from ledgerbridge.services.mapping import set_mapping
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver


def add_accounts(book: Book) -> None:
    for code, name, kind in (
        ("4010", "Sales - apparel", AccountType.REVENUE),
        ("4020", "Sales - apparel (new structure)", AccountType.REVENUE),
        ("1250", "PayPal clearing", AccountType.ASSET),
    ):
        books.add_account(book.db, Account(code, name, kind))


def mapping(sales_account: str, **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "accounts": [{"when": {"sku": "*"}, "role": "sales", "account": sales_account}],
        **extra,
    }


def entry_of(book: Book, event_id: int) -> JournalEntry:
    with UnitOfWork(book.db) as uow:
        [posted] = uow.entries.find(event_id=event_id)
        return posted.entry


def credits(entry: JournalEntry) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for line in entry.lines:
        if line.side is Side.CREDIT:
            found[line.account] = found.get(line.account, Decimal(0)) + line.amount.amount
    return found


def test_a_new_version_routes_the_next_event_and_each_entry_names_its_version(book: Book) -> None:
    add_accounts(book)
    clock = FakeClock()
    day = DemoDay(clock.now)
    worker = book.worker(clock=clock)  # one worker for both events: no restart in between
    assert set_mapping(book.db, "shop", mapping("4010")).version == 1
    first, _ = day.order(1)
    first_id = deliver(book, "shop", "orders/paid", first, clock)
    worker.drain()
    assert set_mapping(book.db, "shop", mapping("4020")).version == 2
    second, _ = day.order(2)
    second_id = deliver(book, "shop", "orders/paid", second, clock)
    worker.drain()

    one, two = entry_of(book, first_id), entry_of(book, second_id)
    assert one.mapping_version == 1
    assert two.mapping_version == 2
    items = first["line_items"]
    assert credits(one)["4010"] == sum(Decimal(x["price"]) * x["quantity"] for x in items)
    assert "4000" not in credits(one)
    assert "4020" not in credits(one)
    assert "4020" in credits(two)
    assert "4010" not in credits(two)
    tb = reports.trial_balance(book.db)
    assert tb.total_debit == tb.total_credit


def test_without_a_mapping_nothing_changes_and_no_version_is_recorded(book: Book) -> None:
    clock = FakeClock()
    order, _ = DemoDay(clock.now).order(1)
    event_id = deliver(book, "shop", "orders/paid", order, clock)
    book.worker(clock=clock).drain()
    entry = entry_of(book, event_id)
    assert entry.mapping_version is None
    assert "4000" in credits(entry)


def test_dimensions_are_stored_and_the_journal_filters_on_entry_and_lines(book: Book) -> None:
    add_accounts(book)
    clock = FakeClock()
    day = DemoDay(clock.now)
    worker = book.worker(clock=clock)
    dims = {
        "store": "'us-main'",
        "region": "shipping_address.province_code",
        "sku_category": {"per_line": "product_type"},
    }
    set_mapping(book.db, "shop", mapping("4010", dimensions=dims))
    orders = [day.order(n)[0] for n in (1, 2, 3)]
    orders[2]["shipping_address"] = {"country_code": "US", "province_code": "NY"}
    ids = [deliver(book, "shop", "orders/paid", o, clock) for o in orders]
    worker.drain()

    stored = entry_of(book, ids[0])
    assert stored.dimensions["store"] == "us-main"
    assert stored.dimensions["region"] == "CA"
    assert all(line.dimensions["store"] == "us-main" for line in stored.lines)
    categories = {
        line.dimensions.get("sku"): line.dimensions.get("sku_category")
        for line in stored.lines
        if line.dimensions.get("sku")
    }
    expected = {item["sku"]: item["product_type"] for item in orders[0]["line_items"]}
    assert categories == expected

    by_region = reports.journal(book.db, dimensions={"region": "NY"})
    assert [p.entry.source.external_id for p in by_region] == [str(orders[2]["id"])]
    assert len(reports.journal(book.db, dimensions={"store": "us-main"})) == 3
    sku = orders[0]["line_items"][0]["sku"]
    with_sku = {
        p.entry.source.external_id for p in reports.journal(book.db, dimensions={"sku": sku})
    }
    assert str(orders[0]["id"]) in with_sku
    both = reports.journal(book.db, dimensions={"sku": sku, "region": "NY"})
    assert all(p.entry.dimensions["region"] == "NY" for p in both)
    assert reports.journal(book.db, dimensions={"store": "eu-main"}) == []


def test_a_mapping_with_a_target_queues_each_new_entry_for_it(book: Book) -> None:
    clock = FakeClock()
    # A well-shaped target section; its database check is replaced, since this test is
    # about queueing, not about the target database.
    target = {
        "url": "sqlite://",
        "header": {"table": "gl_batch", "columns": {"descr": "entry.description"}},
        "lines": {
            "table": "gl_detail",
            "parent": {"column": "batch_id", "from": "header.batch_id"},
            "columns": {"account_no": "line.account"},
        },
    }
    set_mapping(book.db, "shop", {"version": 1, "target": target}, target_check=lambda _section: [])
    order, _ = DemoDay(clock.now).order(1)
    deliver(book, "shop", "orders/paid", order, clock)
    [outcome] = book.worker(clock=clock).drain()
    assert outcome.status is EventStatus.POSTED
    [entry_id] = outcome.entry_ids
    with UnitOfWork(book.db) as uow:
        queued = uow.outbox.for_entry(entry_id)
        assert uow.entries.get(entry_id).entry.mapping_version == 1
    assert queued is not None
    assert queued.mapping_version == 1


def test_a_mapping_without_a_target_queues_nothing(book: Book) -> None:
    clock = FakeClock()
    set_mapping(book.db, "shop", {"version": 1, "dimensions": {"store": "'us'"}})
    order, _ = DemoDay(clock.now).order(1)
    deliver(book, "shop", "orders/paid", order, clock)
    [outcome] = book.worker(clock=clock).drain()
    with UnitOfWork(book.db) as uow:
        assert uow.outbox.for_entry(outcome.entry_ids[0]) is None
