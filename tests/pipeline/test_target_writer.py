"""Posted entries reach the user's legacy ERP tables through the outbox: row by row as the
ledger has them, exactly once across reruns and lost marks, and late but complete when the
target was down. The legacy schema is byte for byte what it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, event, insert, update

from ledgerbridge.demo.store import DemoDay
from ledgerbridge.ledger.entries import Side
from ledgerbridge.pipeline.retry import RetryPolicy
from ledgerbridge.pipeline.target_writer import TargetDispatcher, TargetLoop, requeue_failed
from ledgerbridge.services.connections import sync_status
from ledgerbridge.store.outbox import OutboxStatus
from ledgerbridge.store.tables import mappings, target_outbox
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.mapping.test_target import Erp, erp_mapping, legacy_erp
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver

CENT = Decimal("0.01")


@pytest.fixture
def erp(book: Book, tmp_path: Path, worker_id: str) -> Iterator[Erp]:
    """The legacy ERP on the same kind of database as the ledger, in a database of its own."""
    with legacy_erp(book.db.dialect, tmp_path, worker_id) as found:
        yield found


def post_day(book: Book, clock: FakeClock) -> None:
    """A day at the shop: six paid orders, then two refunds, through the worker."""
    day = DemoDay(clock.now)
    for number in range(1, 7):
        order, _ = day.order(number)
        deliver(book, "shop", "orders/paid", order, clock)
    deliver(book, "shop", "refunds/create", day.refund(day.sales[0], 1), clock)
    deliver(book, "shop", "refunds/create", day.refund(day.sales[3], 2), clock)
    book.worker(clock=clock).drain()


def set_target(book: Book, section: dict[str, Any], clock: FakeClock, *, version: int = 1) -> int:
    """Store a mapping version with this target and queue every entry posted so far, as the
    posting worker does for entries posted under such a version."""
    with UnitOfWork(book.db) as uow:
        connection = uow.connections.get("shop")
        document = {"target": section}
        uow.connection.execute(
            insert(mappings).values(
                connection_id=connection.id,
                version=version,
                document=document,
                document_sha256=hashlib.sha256(repr(document).encode()).hexdigest(),
                created_at=clock(),
            )
        )
        for posted in uow.entries.find(source_connection="shop"):
            uow.outbox.enqueue(posted.id, connection.id, version, clock())
        uow.commit()
    return connection.id


def ledger_rows(book: Book) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What the ERP tables should hold, computed from the ledger."""
    batches, details = [], []
    with UnitOfWork(book.db) as uow:
        for posted in uow.entries.find(source_connection="shop"):
            entry = posted.entry
            subject = uow.outbox.entry_subject(posted.id)
            ref = f"LB-{posted.id}"
            batches.append(
                (ref, entry.date.isoformat(), entry.description[:200], "ledgerbridge", "N")
            )
            for number, line in enumerate(entry.lines, start=1):
                debit = line.side is Side.DEBIT
                details.append(
                    (
                        ref,
                        number,
                        line.account,
                        line.base_amount.amount if debit else Decimal("0.00"),
                        None if debit else line.base_amount.amount,
                        line.memo[:60],
                        subject,
                    )
                )
    return batches, details


def _amount(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)


def erp_rows(erp: Erp) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What the ERP tables hold, in plain values (SQLite hands back text dates and floats;
    PostgreSQL pads CHAR columns)."""
    batches = [
        (ref, str(posted_on)[:10], descr, source, status)
        for ref, posted_on, descr, source, status in erp.execute(
            "SELECT batch_ref, posted_on, descr, source_sys, status FROM gl_batch ORDER BY batch_id"
        )
    ]
    details = [
        (ref, line_no, account.rstrip(), _amount(dr), _amount(cr), memo, order_ref)
        for ref, line_no, account, dr, cr, memo, order_ref in erp.execute(
            "SELECT b.batch_ref, d.line_no, d.account_no, d.dr_amount, d.cr_amount, d.memo, "
            "d.store_order_ref FROM gl_detail d JOIN gl_batch b ON b.batch_id = d.batch_id "
            "ORDER BY b.batch_id, d.line_no"
        )
    ]
    return batches, details


def counts(erp: Erp) -> tuple[int, int]:
    [(batches,)] = erp.execute("SELECT COUNT(*) FROM gl_batch")
    [(details,)] = erp.execute("SELECT COUNT(*) FROM gl_detail")
    return int(batches), int(details)


def journal_without_unique_ref(erp: Erp, section: dict[str, Any]) -> None:
    """Point ``section`` at a second header/detail pair of the same ERP whose BATCH_REF is not
    unique (the ERP's own GL_BATCH has that rule; this journal pair has none), so nothing in
    the target stops a batch from being written twice."""
    identity = (
        "INTEGER PRIMARY KEY AUTOINCREMENT"
        if erp.kind == "sqlite"
        else "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    erp.execute(
        f"CREATE TABLE GL_BATCH2 (BATCH_ID {identity}, BATCH_REF VARCHAR(40) NOT NULL, "
        "POSTED_ON DATE NOT NULL, DESCR VARCHAR(200), SOURCE_SYS VARCHAR(12) NOT NULL, "
        "STATUS CHAR(1) NOT NULL DEFAULT 'N')"
    )
    erp.execute(
        "CREATE TABLE GL_DETAIL2 (BATCH_ID INTEGER NOT NULL, LINE_NO SMALLINT NOT NULL, "
        "ACCOUNT_NO CHAR(10) NOT NULL, DR_AMOUNT NUMERIC(15,2) NOT NULL DEFAULT 0, "
        "CR_AMOUNT NUMERIC(15,2), MEMO VARCHAR(60), STORE_ORDER_REF VARCHAR(30))"
    )
    section["header"]["table"] = "gl_batch2"
    section["lines"]["table"] = "gl_detail2"


def listed(book: Book) -> str:
    """``connections list`` as an operator runs it, in a wide terminal: the shop's row."""
    url = book.db.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "LEDGERBRIDGE_SECRET_KEY": Fernet.generate_key().decode()}
    result = subprocess.run(
        [sys.executable, "-m", "ledgerbridge", "connections", "list", "--database-url", url],
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        check=True,
    )
    [row] = [line for line in result.stdout.splitlines() if " shop " in line]
    return row


def shop_status(book: Book, clock: FakeClock) -> dict[str, Any]:
    [row] = [r for r in sync_status(book.db, clock=clock) if r["name"] == "shop"]
    return row


def test_a_day_of_orders_and_refunds_lands_in_the_legacy_tables_row_by_row(
    book: Book, erp: Erp
) -> None:
    clock = FakeClock()
    post_day(book, clock)
    before = erp.schema()
    set_target(book, erp_mapping(erp.url), clock)
    dispatcher = TargetDispatcher(book.db, clock=clock)
    outcomes = dispatcher.drain()
    dispatcher.close()

    expected_batches, expected_details = ledger_rows(book)
    assert len(expected_batches) == 8  # six orders, two refunds
    assert all(o.status is OutboxStatus.DELIVERED and o.written for o in outcomes)
    batches, details = erp_rows(erp)
    assert batches == expected_batches
    assert details == expected_details
    for ref, *_ in batches:  # every batch balances in the ERP, as in the ledger
        mine = [d for d in details if d[0] == ref]
        assert sum(d[3] for d in mine) == sum(d[4] or 0 for d in mine) > 0
    assert erp.schema() == before
    assert shop_status(book, clock)["target"] == {
        "pending": 0,
        "oldest_pending_at": None,
        "lag_seconds": 0,
        "failed": 0,
    }


@pytest.mark.parametrize("key", [True, False], ids=["with key", "delivery record only"])
def test_a_rerun_and_a_lost_mark_write_nothing_twice(book: Book, erp: Erp, key: bool) -> None:
    clock = FakeClock()
    post_day(book, clock)
    set_target(book, erp_mapping(erp.url, key=key), clock)
    dispatcher = TargetDispatcher(book.db, clock=clock)
    assert len(dispatcher.drain()) == 8
    written = erp_rows(erp)
    assert dispatcher.drain() == []  # delivered rows are never claimed again

    # A crash after the target committed and before our mark: the row is pending again,
    # with no record of where it landed, and the attempt's "sent" note still set.
    with UnitOfWork(book.db) as uow:
        uow.connection.execute(
            update(target_outbox).values(
                status="pending", target_ref=None, target_table=None, delivered_at=None
            )
        )
        uow.commit()
    again = dispatcher.drain()
    dispatcher.close()
    assert len(again) == 8
    assert all(o.status is OutboxStatus.DELIVERED and not o.written for o in again)
    assert erp_rows(erp) == written
    assert counts(erp) == (8, len(written[1]))


def test_without_a_key_a_first_attempt_never_mistakes_another_entrys_rows(
    book: Book, erp: Erp
) -> None:
    """Two entries whose header values are the same are still two batches: only an attempt
    that may have committed before looks for its rows, and it only adopts rows no other
    delivery claims."""
    clock = FakeClock()
    post_day(book, clock)
    section = erp_mapping(erp.url, key=False)
    section["header"]["columns"]["batch_ref"] = "join('-', ['DAY', to_string(entry.date)])"
    section["header"]["columns"]["descr"] = "'shop day'"
    journal_without_unique_ref(erp, section)
    set_target(book, section, clock)
    dispatcher = TargetDispatcher(book.db, clock=clock)
    assert all(o.written for o in dispatcher.drain())
    with UnitOfWork(book.db) as uow:
        uow.connection.execute(
            update(target_outbox).values(status="pending", target_ref=None, delivered_at=None)
        )
        uow.commit()
    again = dispatcher.drain()
    dispatcher.close()
    assert all(not o.written for o in again)
    [(batches,)] = erp.execute("SELECT COUNT(DISTINCT batch_id) FROM gl_batch2")
    [(same,)] = erp.execute("SELECT COUNT(DISTINCT batch_ref || descr) FROM gl_batch2")
    assert (batches, same) == (8, 1)


@pytest.mark.parametrize(
    "unique_ref", [False, True], ids=["nothing unique in the target", "unique BATCH_REF"]
)
def test_a_delivery_that_outlives_its_lease_writes_nothing_after_another_writer_delivered(
    book: Book, erp: Erp, unique_ref: bool
) -> None:
    """Writer A claims the rows; its first batch insert stalls on the ERP past the lease;
    writer B (another process) claims the rows and delivers them all; then A's insert goes
    through. A must roll it back and leave B's delivered rows as they are."""
    clock = FakeClock()
    post_day(book, clock)
    section = erp_mapping(erp.url, key=False)
    if not unique_ref:
        journal_without_unique_ref(erp, section)
    header_table = section["header"]["table"].upper()
    set_target(book, section, clock)
    slow = TargetDispatcher(book.db, clock=clock)
    other = TargetDispatcher(book.db, clock=clock)
    by_other: list[Any] = []

    def stall_past_the_lease(*args: Any) -> None:
        # before_cursor_execute(conn, cursor, statement, parameters, context, executemany)
        into = str(args[2]).upper().replace('"', "").split("(")[0].split()
        if by_other or into[:3] != ["INSERT", "INTO", header_table]:
            return
        by_other.append(None)  # fire once: B's own inserts pass straight through
        clock.advance(slow.lease.total_seconds() + 1)
        by_other.extend(other.drain())

    event.listen(Engine, "before_cursor_execute", stall_past_the_lease)
    try:
        late = slow.run_once()
    finally:
        event.remove(Engine, "before_cursor_execute", stall_past_the_lease)
        slow.close()
        other.close()

    delivered = by_other[1:]
    assert len(delivered) == 8
    assert all(o.status is OutboxStatus.DELIVERED and o.written for o in delivered)
    table = "gl_batch" if unique_ref else "gl_batch2"
    [(batches,)] = erp.execute(f"SELECT COUNT(*) FROM {table}")
    [(refs,)] = erp.execute(f"SELECT COUNT(DISTINCT batch_ref) FROM {table}")
    assert (batches, refs) == (8, 8)  # every batch once
    with UnitOfWork(book.db) as uow:
        rows = uow.outbox.find()
    assert {r.status for r in rows} == {OutboxStatus.DELIVERED}
    assert {r.id: r.target_ref for r in rows} == {o.outbox_id: o.ref for o in delivered}
    assert len(late) == 8
    assert all(o.lease_lost and not o.written for o in late)
    assert {o.status for o in late} == {OutboxStatus.DELIVERED}
    status = shop_status(book, clock)["target"]
    assert (status["pending"], status["failed"]) == (0, 0)  # a lost lease is not a failure


def test_a_target_that_is_down_holds_rows_with_backoff_then_delivers_them(
    book: Book, erp: Erp
) -> None:
    clock = FakeClock()
    post_day(book, clock)
    set_target(book, erp_mapping(erp.url), clock)
    erp.set_reachable(False)
    dispatcher = TargetDispatcher(book.db, clock=clock)
    outcomes = dispatcher.run_once()
    assert outcomes and all(o.status is OutboxStatus.PENDING for o in outcomes)
    assert "cannot reach the target database" in (outcomes[0].error or "")
    with UnitOfWork(book.db) as uow:
        waiting = uow.outbox.find(status=OutboxStatus.PENDING)
    assert len(waiting) == 8
    assert all(r.attempts == 1 and r.next_attempt_at > clock.now for r in waiting[:1])
    assert dispatcher.run_once() == []  # not due yet: the backoff holds

    clock.advance(600)
    status = shop_status(book, clock)["target"]
    assert status["pending"] == 8
    assert status["failed"] == 0
    assert status["lag_seconds"] >= 600
    assert "8 waiting" in listed(book)

    erp.set_reachable(True)
    delivered = dispatcher.drain()
    dispatcher.close()
    assert {o.status for o in delivered} == {OutboxStatus.DELIVERED}
    assert erp_rows(erp) == ledger_rows(book)
    assert shop_status(book, clock)["target"]["pending"] == 0
    assert "up to date" in listed(book)


def test_rows_that_exhaust_their_attempts_are_failed_visibly_until_requeued(
    book: Book, erp: Erp
) -> None:
    clock = FakeClock()
    post_day(book, clock)
    set_target(book, erp_mapping(erp.url), clock)
    erp.set_reachable(False)
    dispatcher = TargetDispatcher(
        book.db, clock=clock, policy=RetryPolicy(max_attempts=2, base_s=1, cap_s=1)
    )
    dispatcher.drain()
    clock.advance(2)
    final = dispatcher.drain()
    assert {o.status for o in final} == {OutboxStatus.FAILED}
    status = shop_status(book, clock)["target"]
    assert (status["pending"], status["failed"]) == (0, 8)
    assert "8 failed" in listed(book)

    erp.set_reachable(True)
    clock.advance(3600)
    assert dispatcher.drain() == []  # failed rows wait for a person
    assert requeue_failed(book.db, connection="shop", clock=clock) == 8
    assert {o.status for o in dispatcher.drain()} == {OutboxStatus.DELIVERED}
    dispatcher.close()
    assert counts(erp)[0] == 8


def test_a_value_the_target_cannot_hold_fails_at_once_and_writes_nothing(
    book: Book, erp: Erp
) -> None:
    clock = FakeClock()
    post_day(book, clock)
    section = erp_mapping(erp.url)
    section["header"]["columns"]["descr"] = (
        "join(' / ', [" + ", ".join(["entry.source"] * 10) + "])"
    )
    set_target(book, section, clock)
    dispatcher = TargetDispatcher(book.db, clock=clock)
    outcomes = dispatcher.drain()
    dispatcher.close()
    assert {o.status for o in outcomes} == {OutboxStatus.FAILED}
    assert "descr is varchar(200)" in (outcomes[0].error or "").lower()
    with UnitOfWork(book.db) as uow:
        assert all(r.last_error for r in uow.outbox.find(status=OutboxStatus.FAILED))
    assert counts(erp) == (0, 0)


def test_an_entry_whose_mapping_has_no_target_is_skipped(book: Book) -> None:
    clock = FakeClock()
    post_day(book, clock)
    with UnitOfWork(book.db) as uow:
        connection = uow.connections.get("shop")
        uow.connection.execute(
            insert(mappings).values(
                connection_id=connection.id,
                version=1,
                document={"fields": {}},
                document_sha256="0" * 64,
                created_at=clock(),
            )
        )
        [first, *_] = uow.entries.find(source_connection="shop")
        uow.outbox.enqueue(first.id, connection.id, 1, clock())
        uow.commit()
    [outcome] = TargetDispatcher(book.db, clock=clock).drain()
    assert outcome.status is OutboxStatus.SKIPPED
    assert "has no target" in (outcome.error or "")


def test_the_loop_delivers_in_the_background(book: Book, erp: Erp) -> None:
    clock = FakeClock()
    post_day(book, clock)
    set_target(book, erp_mapping(erp.url), clock)
    loop = TargetLoop(TargetDispatcher(book.db, clock=clock), poll_s=0.05)
    loop.start()
    try:
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
        while counts(erp)[0] < 8 and dt.datetime.now(dt.UTC) < deadline:
            loop.wake()
            time.sleep(0.05)
    finally:
        loop.stop()
    assert erp_rows(erp) == ledger_rows(book)
