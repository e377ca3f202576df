"""StripeApi against a real HTTP server on 127.0.0.1 that speaks Stripe's list format.

No function of ours is patched: the server records what it was asked and answers like Stripe
(pages of ``{"object": "list", "data": [...], "has_more": …}``), or fails like Stripe does.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed, PlatformUnavailable
from ledgerbridge.connectors.stripe import StripeConnector
from ledgerbridge.connectors.stripe_api import StripeApi
from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import Payout

from .helpers import fixture_json, only, usd

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class FakeStripe:
    """What the server will answer, and what it was asked."""

    answer: Callable[[dict[str, list[str]]], Reply]
    requests: list[tuple[str, dict[str, list[str]], str | None]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, FakeStripe]]:
    state = FakeStripe(answer=lambda q: (500, {}, b""))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            state.requests.append((url.path, query, self.headers.get("Authorization")))
            status, headers, payload = state.answer(query)
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def two_pages(query: dict[str, list[str]]) -> Reply:
    """Stripe's paging: the first page has_more; starting_after=<last id> gives the rest."""
    txns = fixture_json("stripe_payout_balance_transactions.json")
    if "starting_after" not in query:
        page = {
            "object": "list",
            "url": "/v1/balance_transactions",
            "data": txns[:2],
            "has_more": True,
        }
    elif query["starting_after"] == [txns[1]["id"]]:
        page = {
            "object": "list",
            "url": "/v1/balance_transactions",
            "data": txns[2:],
            "has_more": False,
        }
    else:
        return 400, {}, b'{"error": {"message": "bad cursor"}}'
    return 200, {}, json.dumps(page).encode()


class TestBalanceTransactionsForPayout:
    def test_both_pages_are_fetched_in_order_with_stripes_parameters(
        self, server: tuple[str, FakeStripe]
    ) -> None:
        url, fake = server
        fake.answer = two_pages
        with StripeApi(url, "sk_test_123") as api:
            txns = api.balance_transactions_for_payout("po_000000000000000000000000")
        assert [t["id"] for t in txns] == [
            t["id"] for t in fixture_json("stripe_payout_balance_transactions.json")
        ]
        (path1, first, auth1), (path2, second, auth2) = fake.requests
        assert path1 == path2 == "/v1/balance_transactions"
        assert first == {"payout": ["po_000000000000000000000000"], "limit": ["100"]}
        assert second == first | {"starting_after": ["txn_1ChargeB"]}
        assert auth1 == auth2 == "Bearer sk_test_123"

    def test_what_it_fetches_gives_the_payout_its_exact_fees(
        self, server: tuple[str, FakeStripe]
    ) -> None:
        url, fake = server
        fake.answer = two_pages
        with StripeApi(url, "sk_test_123") as api:
            txns = api.balance_transactions_for_payout("po_000000000000000000000000")
        payout_event = json.dumps(
            {
                "id": "evt_1",
                "object": "event",
                "type": "payout.paid",
                "created": 1648320045,
                "data": {
                    "object": {
                        "id": "po_000000000000000000000000",
                        "object": "payout",
                        "amount": 1100,
                        "currency": "usd",
                        "status": "paid",
                        "arrival_date": 1648425600,
                        "created": 1648320044,
                        "balance_transaction": "txn_000000000000000000000000",
                    }
                },
            }
        ).encode()
        result = StripeConnector().parse(
            "payout.paid", payout_event, extra={"balance_transactions": txns}
        )
        payout = only(result, Payout)
        assert (payout.fees, payout.fees_known) == (usd("1.33"), True)

    def test_a_rate_limit_is_retryable_and_says_when(self, server: tuple[str, FakeStripe]) -> None:
        url, fake = server
        fake.answer = lambda q: (
            429,
            {"Retry-After": "7"},
            b'{"error": {"message": "Too many requests"}}',
        )
        with StripeApi(url, "sk_test_123") as api, pytest.raises(PlatformUnavailable) as caught:
            api.balance_transactions_for_payout("po_1")
        assert caught.value.retryable is True
        assert caught.value.retry_after == 7.0
        assert "Too many requests" in caught.value.message

    @pytest.mark.parametrize("status", [500, 502, 503])
    def test_a_server_error_is_retryable(self, server: tuple[str, FakeStripe], status: int) -> None:
        url, fake = server
        fake.answer = lambda q: (status, {}, b"upstream trouble")
        with StripeApi(url, "sk_test_123") as api, pytest.raises(PlatformUnavailable) as caught:
            api.balance_transactions_for_payout("po_1")
        assert caught.value.code == "platform_unavailable"

    def test_a_refused_key_is_not_retryable(self, server: tuple[str, FakeStripe]) -> None:
        url, fake = server
        fake.answer = lambda q: (401, {}, b'{"error": {"message": "Invalid API Key provided"}}')
        with StripeApi(url, "sk_bad") as api, pytest.raises(PlatformRequestFailed) as caught:
            api.balance_transactions_for_payout("po_1")
        assert (caught.value.status, caught.value.retryable) == (401, False)
        assert "Invalid API Key" in caught.value.message

    def test_a_body_that_is_not_a_list_is_retryable(self, server: tuple[str, FakeStripe]) -> None:
        url, fake = server
        fake.answer = lambda q: (200, {}, b"<html>maintenance</html>")
        with StripeApi(url, "sk_test_123") as api, pytest.raises(PlatformUnavailable):
            api.balance_transactions_for_payout("po_1")

    def test_has_more_without_a_cursor_stops_instead_of_looping(
        self, server: tuple[str, FakeStripe]
    ) -> None:
        url, fake = server
        fake.answer = lambda q: (200, {}, b'{"object": "list", "data": [], "has_more": true}')
        with StripeApi(url, "sk_test_123") as api, pytest.raises(PlatformUnavailable):
            api.balance_transactions_for_payout("po_1")
        assert len(fake.requests) == 1

    def test_a_closed_port_is_a_retryable_connection_failure(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with (
            StripeApi(f"http://127.0.0.1:{port}", "sk_test_123", timeout=2) as api,
            pytest.raises(PlatformUnavailable, match="could not be reached"),
        ):
            api.balance_transactions_for_payout("po_1")

    def test_an_empty_key_or_payout_id_is_refused_before_any_request(self) -> None:
        with pytest.raises(InvalidInput):
            StripeApi("http://127.0.0.1:9", "")
        with StripeApi("http://127.0.0.1:9", "sk_x") as api, pytest.raises(InvalidInput):
            api.balance_transactions_for_payout("")
