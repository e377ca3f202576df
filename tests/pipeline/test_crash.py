"""Kill -9 in the middle of a burst: every acknowledged delivery is posted exactly once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.signing import shopify_headers
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books, reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import connect
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.servers import free_port, start_cli_server

SECRET = "shpss_crash_secret"
ORDERS = 300
SENDERS = 6


@pytest.mark.slow
@pytest.mark.xdist_group("processes")
def test_a_killed_server_loses_nothing_it_acknowledged(database_url: str, tmp_path: Path) -> None:
    key = Fernet.generate_key()
    (tmp_path / ".ledgerbridge.key").write_bytes(key)
    db = connect(database_url)
    books.init_book(db, base_currency="USD")
    add_connection(db, SecretBox(key), name="shop", platform="shopify", secret=SECRET)
    day = DemoDay(dt.datetime.now(dt.UTC))
    bodies = [encode(day.order(n)[0]) for n in range(1, ORDERS + 1)]

    port = free_port()
    server = start_cli_server(database_url, tmp_path, port)
    acknowledged: dict[int, int] = {}  # order number -> event id
    lock = threading.Lock()
    killed = threading.Event()

    def send(numbers: range) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for n in numbers:
                headers = shopify_headers(bodies[n], SECRET, "orders/paid", event_id=f"evt-{n}")
                try:
                    response = client.post("/webhooks/shop", content=bodies[n], headers=headers)
                except httpx.TransportError:
                    continue  # the server died: the platform would retry this one later
                if response.status_code == 202:
                    with lock:
                        acknowledged[n] = response.json()["event_id"]
                        if len(acknowledged) == ORDERS // 2 and not killed.is_set():
                            os.kill(server.pid, signal.SIGKILL)
                            killed.set()

    threads = [
        threading.Thread(target=send, args=(range(i, ORDERS, SENDERS),)) for i in range(SENDERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    server.wait(10)
    assert killed.is_set(), "the burst ended before the server was killed"
    assert ORDERS // 2 <= len(acknowledged) < ORDERS

    restarted = start_cli_server(database_url, tmp_path, port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with UnitOfWork(db) as uow:
                pending = [
                    e
                    for e in uow.inbox.find(limit=ORDERS * 2)
                    if e.status is not EventStatus.POSTED
                ]
            if not pending:
                break
            time.sleep(0.2)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(10)

    with UnitOfWork(db) as uow:
        for n, event_id in acknowledged.items():
            event = uow.inbox.get(event_id)
            assert event.status is EventStatus.POSTED, f"acknowledged order {n} was not posted"
            assert len(uow.entries.find(event_id=event_id)) == 1
        assert uow.entries.count() == len(uow.inbox.find(limit=ORDERS * 2))
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit
    db.dispose()
