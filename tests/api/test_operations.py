"""Operations: per-connection rate limit, request ids, metrics, no secrets in logs, key rotation."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from ledgerbridge import apikeys
from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.api.ratelimit import RateLimited, RateLimiter
from ledgerbridge.cli import app as cli_app
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.signing import shopify_headers
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.logs import configure_logging
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.pipeline.worker import WorkerLoop
from ledgerbridge.redaction import scrub
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.connections import open_connection
from ledgerbridge.services.secrets_rotation import rotate
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import SECRETS, Book
from tests.servers import serve_in_thread


@pytest.fixture
def service(book: Book) -> Iterator[str]:
    state = AppState(
        db=book.db,
        box=book.box,
        directory=ConnectionDirectory(book.db, book.box),
        metrics=Metrics(),
        loop=WorkerLoop(book.worker(), poll_s=0.05),
        limiter=RateLimiter(rate_per_s=1, burst=3),
    )
    with serve_in_thread(create_app(state)) as url:
        yield url


def send(url: str, number: int, request_id: str | None = None) -> httpx.Response:
    body = encode(DemoDay(dt.datetime.now(dt.UTC)).order(number)[0])
    headers = shopify_headers(body, SECRETS["shop"], "orders/paid")
    if request_id:
        headers["X-Request-ID"] = request_id
    return httpx.post(f"{url}/webhooks/shop", content=body, headers=headers, timeout=10)


class TestRateLimit:
    def test_a_burst_over_the_limit_gets_429_with_retry_after(self, service: str) -> None:
        statuses = [send(service, n).status_code for n in range(1, 6)]
        assert statuses[:3] == [202, 202, 202]
        limited = send(service, 9)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1

    def test_buckets_refill_and_are_per_connection(self) -> None:
        limiter = RateLimiter(rate_per_s=2, burst=1)
        limiter.take("a", now=0.0)
        with pytest.raises(RateLimited):
            limiter.take("a", now=0.1)
        limiter.take("b", now=0.1)
        limiter.take("a", now=0.6)


def test_a_request_id_is_echoed_and_metrics_count_deliveries(service: str) -> None:
    response = send(service, 1, request_id="req-123")
    assert response.headers["X-Request-ID"] == "req-123"
    assert send(service, 2).headers["X-Request-ID"]
    metrics = httpx.get(f"{service}/metrics").text
    assert 'ledgerbridge_events_received_total{connection="shop",outcome="received"} 2.0' in metrics
    assert "ledgerbridge_open_discrepancies" in metrics
    assert "ledgerbridge_receive_to_posted_seconds_bucket" in metrics


def test_no_secret_or_api_key_reaches_the_logs(
    book: Book, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    configure_logging("json", level=logging.DEBUG)
    key = apikeys.create_key(book.db, name="ops", scope=apikeys.Scope.READ)
    assert send(service, 1).status_code == 202
    httpx.get(f"{service}/api/v1/trial-balance", headers={"Authorization": f"Bearer {key}"})
    httpx.get(
        f"{service}/api/v1/trial-balance",
        headers={"Authorization": "Bearer lb_deadbeef_wrongwrongwrongwrongwrong"},
    )
    forged = encode({"id": 1, "card": "4242 4242 4242 4242", "token": SECRETS["shop"]})
    httpx.post(
        f"{service}/webhooks/shop",
        content=forged,
        headers={"X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": "bad"},
    )
    structlog.get_logger("test").warning(
        "connection secret seen", secret=SECRETS["shop"], detail=f"key {key} card 4000056655665556"
    )
    text = captured.getvalue()
    assert "delivery stored" in text  # the flow did log
    for secret in (
        *SECRETS.values(),
        key,
        key.split("_", 2)[2],
        "4242 4242 4242 4242",
        "4000056655665556",
    ):
        assert secret not in text
    configure_logging("json", level=logging.WARNING)


def test_scrubbing_keeps_ordinary_numbers() -> None:
    assert scrub("order 1234567890123 total 45.00") == "order 1234567890123 total 45.00"
    assert scrub("pan 4111-1111-1111-1111") == "pan [redacted]"


def test_rotating_the_key_reseals_every_secret(book: Book, tmp_path: Path) -> None:
    key_file = tmp_path / ".ledgerbridge.key"
    old_key = Fernet.generate_key()
    key_file.write_bytes(old_key)
    # re-seal the book's connections under the file's key first, as `init` would have
    rotate(book.db, book.box, new_key=old_key)
    new_key, count = rotate(book.db, SecretBox(old_key), key_file=key_file)
    assert count == 3 and key_file.read_bytes() == new_key
    assert (tmp_path / ".ledgerbridge.key.old").read_bytes() == old_key
    with UnitOfWork(book.db) as uow:
        stored = uow.connections.get("shop")
    assert open_connection(stored, SecretBox(new_key)).secret == SECRETS["shop"]
    with pytest.raises(Exception, match="cannot be decrypted"):
        open_connection(stored, SecretBox(old_key))


def test_secrets_rotate_from_the_command_line(
    book: Book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key()
    rotate(book.db, book.box, new_key=key)
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", key.decode())
    url = book.db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli_app, ["secrets", "rotate", "--json", "--database-url", url])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["connections"] == 3 and data["new_key"] and data["new_key"] != key.decode()
