"""The whole road, as a user takes it: ``mapping set`` with a target (checked against the
legacy ERP first), webhooks posted by the worker, which queues each entry under the version in
force, and the target writer filling the ERP's tables. On SQLite and on PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.demo.store import DemoDay
from ledgerbridge.mapping.validate import MappingInvalid
from ledgerbridge.pipeline.target_writer import TargetDispatcher
from ledgerbridge.services.mapping import set_mapping, show
from ledgerbridge.store.outbox import OutboxStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.mapping.test_target import Erp, erp_mapping, legacy_erp
from tests.pipeline.conftest import Book
from tests.pipeline.test_target_writer import erp_rows, ledger_rows, post_day
from tests.pipeline.test_worker import FakeClock, deliver


@pytest.fixture
def erp(book: Book, tmp_path: Path, worker_id: str) -> Iterator[Erp]:
    with legacy_erp(book.db.dialect, tmp_path, worker_id) as found:
        yield found


def test_mapping_set_with_a_target_fills_the_erp_tables_as_entries_post(
    book: Book, erp: Erp
) -> None:
    clock = FakeClock()
    before = erp.schema()
    assert set_mapping(book.db, "shop", {"version": 1, "target": erp_mapping(erp.url)}).version == 1
    post_day(book, clock)
    with UnitOfWork(book.db) as uow:
        queued = uow.outbox.find(status=OutboxStatus.PENDING)
    assert len(queued) == 8
    assert {row.mapping_version for row in queued} == {1}

    dispatcher = TargetDispatcher(book.db, clock=clock)
    dispatcher.drain()
    dispatcher.close()
    assert erp_rows(erp) == ledger_rows(book)
    assert erp.schema() == before


def test_a_target_the_erp_cannot_take_is_refused_and_the_active_version_stays(
    book: Book, erp: Erp
) -> None:
    set_mapping(book.db, "shop", {"version": 1, "target": erp_mapping(erp.url)})
    broken = erp_mapping(erp.url)
    broken["lines"]["columns"]["acct_no"] = "line.account"
    broken["lines"]["columns"]["dr_amount"] = "line.memo"
    with pytest.raises(MappingInvalid) as refused:
        set_mapping(book.db, "shop", {"version": 1, "target": broken})
    paths = {problem.path for problem in refused.value.problems}
    assert paths == {"target.lines.columns.acct_no", "target.lines.columns.dr_amount"}
    assert "has no column acct_no" in refused.value.message
    [shown] = show(book.db, "shop")["mappings"]
    assert shown["active_version"] == 1
    assert shown["document"]["target"] == erp_mapping(erp.url)


def test_each_entry_reaches_the_erp_as_the_version_it_was_posted_with(book: Book, erp: Erp) -> None:
    clock = FakeClock()
    first = erp_mapping(erp.url)
    set_mapping(book.db, "shop", {"version": 1, "target": first})
    post_day(book, clock)
    second = copy.deepcopy(first)
    second["header"]["columns"]["source_sys"] = "'lb-v2'"
    assert set_mapping(book.db, "shop", {"version": 1, "target": second}).version == 2
    order, _ = DemoDay(clock.now, seed=11).order(9)
    deliver(book, "shop", "orders/paid", order, clock)
    book.worker(clock=clock).drain()

    dispatcher = TargetDispatcher(book.db, clock=clock)
    dispatcher.drain()
    dispatcher.close()
    sources = [row[3] for row in erp_rows(erp)[0]]
    assert sources == ["ledgerbridge"] * 8 + ["lb-v2"]
