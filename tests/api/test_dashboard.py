"""The dashboard at ``/``, as a person uses it: over plain HTTP (sessions, scopes, escaping) and
in a real headless Chromium (sign in, see the dead letter, replay it, watch it post)."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from ledgerbridge import apikeys
from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.apikeys import KeyCache, Scope
from ledgerbridge.clock import utcnow
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.retry import RetryPolicy
from ledgerbridge.pipeline.worker import Worker, WorkerLoop
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.servers import serve_in_thread
from tests.services.test_audit import tamper
from tests.store.test_entries import sale

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EUR_RATES = StaticRates({("EUR", "USD"): "1.0850"})
SCRIPT = "<script>alert('pwned')</script>"


@dataclass
class Book:
    db: Database
    box: SecretBox
    dead_id: int


@pytest.fixture
def book(db: Database) -> Book:
    """A book whose one Shopify order, in EUR without a EUR rate, is a dead letter."""
    books.init_book(db, base_currency="USD")
    box = SecretBox(Fernet.generate_key())
    add_connection(db, box, name="shop", platform="shopify", secret="shpss_test")
    order, _ = DemoDay(utcnow()).order(1)
    receipt = receive(
        db,
        ConnectionDirectory(db, box),
        "shop",
        encode({**order, "currency": "EUR"}),
        {"X-Shopify-Topic": "orders/paid"},
        now=utcnow(),
        verified=True,
    )
    [outcome] = Worker(db, box, StaticRates({}), policy=RetryPolicy(max_attempts=1)).drain()
    assert outcome.status is EventStatus.DEAD
    return Book(db, box, receipt.event_id)


@contextmanager
def serving(book: Book, *, loop: WorkerLoop | None = None) -> Iterator[str]:
    state = AppState(
        db=book.db,
        box=book.box,
        directory=ConnectionDirectory(book.db, book.box),
        metrics=Metrics(),
        loop=loop,
        keys=KeyCache(book.db, ttl_s=0),
    )
    with serve_in_thread(create_app(state)) as url:
        yield url


@pytest.fixture
def server(book: Book) -> Iterator[str]:
    """The app without a worker: nothing posts unless a test posts it."""
    with serving(book) as url:
        yield url


def open_discrepancy(db: Database, key: str, reason: str, **values: object) -> int:
    with UnitOfWork(db) as uow:
        found = uow.reconciliation.add_discrepancy(
            key=key,
            now=utcnow(),
            kind="unexpected_deposit",
            reason=reason,
            payouts=[],
            bank_line_ids=[],
            currency="USD",
            actual_minor=5120,
            **values,
        )
        uow.commit()
    assert found is not None
    return found


def status_of(db: Database, event_id: int) -> EventStatus:
    with UnitOfWork(db) as uow:
        return uow.inbox.get(event_id).status


@contextmanager
def signed_in(url: str, key: str) -> Iterator[httpx.Client]:
    """A client that signed in with ``key`` through the login form and keeps its cookie."""
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as client:
        response = client.post("/login", data={"api_key": key})
        assert response.status_code == 303 and response.headers["location"] == "/"
        yield client


def form_token(page: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "the page carries a form token"
    return match.group(1)


class TestSignIn:
    def test_without_a_session_the_dashboard_redirects_to_login(self, server: str) -> None:
        response = httpx.get(f"{server}/", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        forged = httpx.get(f"{server}/", cookies={"lb_session": "e30.AAAA"})
        assert forged.status_code == 303
        login = httpx.get(f"{server}/login")
        assert login.status_code == 200 and 'name="api_key"' in login.text
        assert "script-src" not in login.headers["content-security-policy"]
        assert "default-src 'none'" in login.headers["content-security-policy"]

    @pytest.mark.parametrize("key", ["lb_00000000_not-a-real-key-at-all-xx", "garbage", ""])
    def test_a_wrong_key_shows_an_error_and_sets_no_cookie(self, server: str, key: str) -> None:
        response = httpx.post(f"{server}/login", data={"api_key": key})
        assert response.status_code == 401
        assert 'role="alert"' in response.text
        assert "unknown or revoked" in response.text or "not an API key" in response.text
        assert "set-cookie" not in response.headers

    def test_the_cookie_is_signed_httponly_strict_and_holds_no_key(
        self, server: str, book: Book
    ) -> None:
        key = apikeys.create_key(book.db, name="ops", scope=Scope.WRITE)
        response = httpx.post(f"{server}/login", data={"api_key": key})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("lb_session=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Path=/" in cookie and "Secure" not in cookie  # plain http in the test
        assert key not in cookie and key.split("_", 2)[2] not in cookie
        value = response.cookies["lb_session"]
        page = httpx.get(f"{server}/", cookies={"lb_session": value})
        assert page.status_code == 200 and "ops" in page.text
        body, _, mac = value.partition(".")
        tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
        assert httpx.get(f"{server}/", cookies={"lb_session": tampered}).status_code == 303

    def test_logout_and_revocation_end_the_session(self, server: str, book: Book) -> None:
        key = apikeys.create_key(book.db, name="ops", scope=Scope.WRITE)
        with signed_in(server, key) as client:
            cookie = client.cookies["lb_session"]
            token = form_token(client.get("/").text)
            out = client.post("/logout", data={"form_token": token})
            assert out.status_code == 303 and out.headers["location"] == "/login"
        replayed_cookie = httpx.get(f"{server}/", cookies={"lb_session": cookie})
        assert replayed_cookie.status_code == 303  # ended on the server too
        with signed_in(server, key) as client:
            assert client.get("/").status_code == 200
            apikeys.revoke_key(book.db, "ops")
            assert client.get("/").status_code == 303


class TestWhatItShows:
    def test_sync_status_dead_letter_trial_balance_and_audit(self, server: str, book: Book) -> None:
        key = apikeys.create_key(book.db, name="reader", scope=Scope.READ)
        with signed_in(server, key) as client:
            page = client.get("/")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        text = page.text
        assert 'id="connection-shop"' in text and "shopify" in text
        assert f'id="dead-{book.dead_id}"' in text and "EUR" in text
        assert "Trial balance (USD)" in text and 'id="total-debit">0.00<' in text
        assert 'id="audit-state">OK<' in text

    def test_a_tampered_book_shows_tampered_with_the_first_problem(
        self, server: str, book: Book
    ) -> None:
        books.post_entry(book.db, sale("1", "10.00"))
        tamper(book.db, "journal_lines", "UPDATE journal_lines SET amount_minor = 1")
        key = apikeys.create_key(book.db, name="reader", scope=Scope.READ)
        with signed_in(server, key) as client:
            text = client.get("/").text
        assert 'id="audit-state">TAMPERED<' in text
        assert "differs from what was posted" in text

    def test_text_from_outside_is_escaped(self, server: str, book: Book) -> None:
        add_connection(
            book.db,
            book.box,
            name="woo",
            platform="woocommerce",
            secret="wc",
            api_url=f"https://shop.example/{SCRIPT}",
        )
        with UnitOfWork(book.db) as uow:
            uow.reconciliation.add_discrepancy(
                key="test:1",
                now=utcnow(),
                kind="missing_deposit",
                reason=f"no deposit {SCRIPT}",
                payouts=[{"connection": "woo", "payout_id": f"po_{SCRIPT}"}],
                bank_line_ids=[],
                currency="USD",
                expected_minor=12000,
            )
            uow.commit()
        key = apikeys.create_key(book.db, name="reader", scope=Scope.READ)
        with signed_in(server, key) as client:
            text = client.get("/").text
        assert "<script" not in text.lower()
        assert "no deposit &lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in text
        assert "https://shop.example/&lt;script&gt;" in text
        assert "120.00 USD" in text


class TestActions:
    def test_a_read_key_cannot_replay(self, server: str, book: Book) -> None:
        key = apikeys.create_key(book.db, name="reader", scope=Scope.READ)
        with signed_in(server, key) as client:
            page = client.get("/").text
            assert f'action="/events/{book.dead_id}/replay"' not in page
            refused = client.post(
                f"/events/{book.dead_id}/replay", data={"form_token": form_token(page)}
            )
        assert refused.status_code == 403
        assert "needs write" in refused.text
        assert status_of(book.db, book.dead_id) is EventStatus.DEAD

    def test_a_replay_without_the_form_token_or_from_another_site_is_refused(
        self, server: str, book: Book
    ) -> None:
        key = apikeys.create_key(book.db, name="ops", scope=Scope.WRITE)
        with signed_in(server, key) as client:
            token = form_token(client.get("/").text)
            missing = client.post(f"/events/{book.dead_id}/replay", data={})
            wrong = client.post(f"/events/{book.dead_id}/replay", data={"form_token": "é" * 43})
            foreign = client.post(
                f"/events/{book.dead_id}/replay",
                data={"form_token": token},
                headers={"Origin": "https://evil.example"},
            )
        assert [r.status_code for r in (missing, wrong, foreign)] == [403, 403, 403]
        assert status_of(book.db, book.dead_id) is EventStatus.DEAD
        anonymous = httpx.post(f"{server}/events/{book.dead_id}/replay", data={"form_token": token})
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"

    def test_a_write_key_replays_and_a_worker_posts_it(self, server: str, book: Book) -> None:
        key = apikeys.create_key(book.db, name="ops", scope=Scope.WRITE)
        with signed_in(server, key) as client:
            token = form_token(client.get("/").text)
            done = client.post(f"/events/{book.dead_id}/replay", data={"form_token": token})
            assert done.status_code == 303
            assert done.headers["location"] == f"/?replayed={book.dead_id}#replayed"
            queued = client.get(done.headers["location"]).text
            assert 'id="replayed-status">received<' in queued
            [outcome] = Worker(book.db, book.box, EUR_RATES).drain()
            assert outcome.status is EventStatus.POSTED
            posted = client.get(f"/?replayed={book.dead_id}").text
            assert 'id="replayed-status">posted<' in posted
            assert "No dead letters." in posted
            again = client.post(f"/events/{book.dead_id}/replay", data={"form_token": token})
        assert again.status_code == 409 and "already posted" in again.text

    def test_a_write_key_resolves_a_discrepancy(self, server: str, book: Book) -> None:
        found = open_discrepancy(book.db, "test:2", "a deposit nobody announced")
        key = apikeys.create_key(book.db, name="ops", scope=Scope.WRITE)
        with signed_in(server, key) as client:
            page = client.get("/").text
            assert f'action="/discrepancies/{found}/resolve"' in page
            token = form_token(page)
            no_note = client.post(
                f"/discrepancies/{found}/resolve",
                data={"form_token": token, "action": "accept", "note": " "},
            )
            bad_action = client.post(
                f"/discrepancies/{found}/resolve",
                data={"form_token": token, "action": "ignore", "note": "x"},
            )
            done = client.post(
                f"/discrepancies/{found}/resolve",
                data={"form_token": token, "action": "accept", "note": "late, seen in the bank"},
            )
            after = client.get("/").text
        assert no_note.status_code == 400 and "say why" in no_note.text
        assert bad_action.status_code == 400 and "accept, write-off, match" in bad_action.text
        assert done.status_code == 303
        assert "No open discrepancies." in after
        with UnitOfWork(book.db) as uow:
            resolved = uow.reconciliation.discrepancy(found)
        assert resolved.status == "resolved" and resolved.action == "accept"


@dataclass
class Browser:
    binary: Path
    api: Any
    """``playwright.sync_api``, imported only where a browser test runs."""


@pytest.fixture
def browser() -> Browser:
    """Debian's Chromium driven by Playwright, or a skip that names what is missing."""
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if found is None:
        pytest.skip(f"no browser: {CHROMIUM} not found (apt-get install -y chromium)")
    api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install)"
    )
    return Browser(Path(found), api)


@pytest.mark.slow
def test_in_a_browser_sign_in_replay_the_dead_letter_and_watch_it_post(
    book: Book, browser: Browser, tmp_path: Path
) -> None:
    expect, sync_playwright = browser.api.expect, browser.api.sync_playwright
    key = apikeys.create_key(book.db, name="ops", scope=Scope.WRITE)
    found = open_discrepancy(book.db, "browser:1", "a deposit of 51.20 nobody announced")
    loop = WorkerLoop(Worker(book.db, book.box, EUR_RATES), poll_s=0.2)
    before, shot = tmp_path / "dashboard-dead-letter.png", tmp_path / "dashboard.png"
    with serving(book, loop=loop) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(browser.binary), args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{url}/")
            assert page.url == f"{url}/login"
            page.get_by_label("API key").fill("lb_00000000_wrong-wrong-wrong-wrong-wrong")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("alert")).to_contain_text("unknown or revoked")

            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{url}/")
            expect(page.locator("header")).to_contain_text("ops")
            dead_row = page.locator(f"#dead-{book.dead_id}")
            expect(dead_row).to_contain_text("orders/paid")
            expect(page.locator("#connection-shop")).to_contain_text("shopify")
            expect(page.locator("#audit-state")).to_have_text("OK")
            page.screenshot(path=str(before), full_page=True)

            dead_row.get_by_role("button", name="Replay").click()
            page.wait_for_url(re.compile(rf"/\?replayed={book.dead_id}"))
            status = page.locator("#replayed-status")
            deadline = time.monotonic() + 20
            while status.inner_text() != "posted" and time.monotonic() < deadline:
                time.sleep(0.3)
                page.reload()
            expect(status).to_have_text("posted")
            # The page's sections are read one after another; the worker may have posted
            # between them, so look again at a page read wholly after the posting.
            page.reload()
            expect(page.locator("#events")).to_contain_text("No dead letters.")
            expect(page.locator(f"#event-{book.dead_id}")).to_contain_text("posted")
            expect(page.locator("#total-debit")).not_to_have_text("0.00")

            row = page.locator(f"#discrepancy-{found}")
            expect(row).to_contain_text("nobody announced")
            row.get_by_label("action").select_option("accept")
            row.get_by_label("note").fill("owner's top-up, seen on the bank statement")
            row.get_by_role("button", name="Resolve").click()
            page.wait_for_url(re.compile(rf"/\?resolved={found}"))
            expect(page.locator("#discrepancies")).to_contain_text("No open discrepancies.")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            chromium.close()
    for png in (before, shot):
        assert png.exists() and png.stat().st_size > 0
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert status_of(book.db, book.dead_id) is EventStatus.POSTED
    print(f"screenshot: {shot}")
