"""The API client every sync uses: it waits out rate limits and survives dropped connections,
against a real server on 127.0.0.1 whose misbehaviour is scripted per request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed, PlatformUnavailable
from ledgerbridge.sync.http import ApiClient, bucket_pause, retry_after_seconds


class Script:
    """What the server answers, one step per request: ("json", status, headers) or "drop"."""

    def __init__(self) -> None:
        self.steps: list[object] = []
        self.seen: list[str] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.seen.append(self.path)
            step = script.steps.pop(0) if script.steps else ("json", 200, {})
            if step == "drop":
                self.close_connection = True
                self.connection.shutdown(2)  # the peer sees the connection cut, no answer
                return
            assert isinstance(step, tuple)
            _, status, headers = step
            body = json.dumps({"ok": True, "price": 12.30, "path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def client(url: str, waits: list[float], attempts: int = 6) -> ApiClient:
    return ApiClient(platform="shop", base_url=url, sleep=waits.append, max_attempts=attempts)


def test_a_429_is_waited_out_for_as_long_as_the_platform_says(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.steps = [("json", 429, {"Retry-After": "7"}), ("json", 200, {})]
    waits: list[float] = []
    with client(url, waits) as api:
        data = api.get_json("/orders")
    assert data["ok"] is True
    assert waits == [7.0]
    assert len(script.seen) == 2


def test_dropped_connections_and_5xx_are_retried_with_growing_waits(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.steps = ["drop", ("json", 503, {}), "drop", ("json", 200, {})]
    waits: list[float] = []
    with client(url, waits) as api:
        assert api.get_json("/orders")["ok"] is True
        assert (api.requests, api.retries) == (4, 3)
    assert waits == [1.0, 2.0, 4.0]


def test_amounts_in_answers_are_read_as_exact_decimals(server: tuple[str, Script]) -> None:
    url, _ = server
    with client(url, []) as api:
        price = api.get_json("/orders")["price"]
    assert str(price) == "12.3" and type(price).__name__ == "Decimal"


def test_a_platform_down_longer_than_the_retries_is_reported_as_unavailable(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.steps = [("json", 502, {})] * 3
    with client(url, [], attempts=3) as api, pytest.raises(PlatformUnavailable) as raised:
        api.get("/orders")
    assert "502" in raised.value.message and "3 attempts" in raised.value.message


def test_a_refusal_is_not_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [("json", 401, {})]
    waits: list[float] = []
    with client(url, waits) as api, pytest.raises(PlatformRequestFailed) as raised:
        api.get("/orders")
    assert raised.value.status == 401
    assert waits == [] and len(script.seen) == 1


def test_shopifys_nearly_full_bucket_slows_the_client_before_it_earns_a_429(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.steps = [
        ("json", 200, {"X-Shopify-Shop-Api-Call-Limit": "12/40"}),
        ("json", 200, {"X-Shopify-Shop-Api-Call-Limit": "39/40"}),
    ]
    waits: list[float] = []
    with client(url, waits) as api:
        api.get("/a")
        assert waits == []
        api.get("/b")
    assert waits == [1.0]  # 39 used of 40: wait for two calls to leak at 2 per second


def test_retry_after_may_be_an_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == 10.0
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds("soon") is None
    assert bucket_pause("40/40") == 1.5 and bucket_pause("nonsense") == 0.0
