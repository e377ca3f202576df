"""Send the demo shop's day to a running ledgerbridge over HTTP, signed like the platforms do."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from ledgerbridge.demo.signing import headers_for
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.connections import UnknownConnection
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork

SHOP = "demo-shop"
GATEWAY = "demo-stripe"
DEMO_SECRETS = {SHOP: "shpss_demo_only_not_a_real_secret", GATEWAY: "whsec_demo_only_not_real"}
_RATE = re.compile(r'"rate": "(\d+(?:\.\d+)?)"')


class DemoServerUnreachable(LedgerBridgeError):
    code = "demo_server_unreachable"
    exit_code = 1


def encode(payload: dict[str, Any]) -> bytes:
    """JSON as the platforms send it: amounts as strings, tax rates as bare numbers."""
    text = json.dumps(payload, default=lambda v: str(v) if isinstance(v, Decimal) else v)
    return _RATE.sub(r'"rate": \1', text).encode("utf-8")


def ensure_connections(db: Database, box: SecretBox) -> None:
    """Connect the demo shop (Shopify) and its gateway (Stripe), once."""
    with UnitOfWork(db) as uow:
        try:
            uow.connections.get(SHOP)
            return
        except UnknownConnection:
            pass
    gateway = add_connection(
        db,
        box,
        name=GATEWAY,
        platform="stripe",
        secret=DEMO_SECRETS[GATEWAY],
        settings={"post_charges": False},
    )
    add_connection(
        db,
        box,
        name=SHOP,
        platform="shopify",
        secret=DEMO_SECRETS[SHOP],
        settings={"gateway_clearing": {"stripe": gateway.clearing_account}},
    )


@dataclass
class Sent:
    accepted: int = 0
    refused: list[str] = field(default_factory=list)


def run_day(
    url: str,
    *,
    orders: int,
    start: dt.datetime,
    seed: int = 7,
    advance: Callable[[], None] | None = None,
) -> Sent:
    """Post ``orders`` sales, a refund for every fourth, and the evening payout."""
    day = DemoDay(start, seed=seed)
    sent = Sent()
    try:
        with httpx.Client(base_url=url, timeout=10.0) as client:
            for number in range(1, orders + 1):
                order, charge = day.order(number)
                _send(client, sent, SHOP, "shopify", "orders/paid", order)
                _send(client, sent, GATEWAY, "stripe", "charge.succeeded", charge)
                if number % 4 == 0:
                    refund = day.refund(day.sales[-1], number)
                    _send(client, sent, SHOP, "shopify", "refunds/create", refund)
                if advance is not None:
                    advance()
            _send(
                client,
                sent,
                GATEWAY,
                "stripe",
                "payout.paid",
                day.payout(start.date() + dt.timedelta(days=2)),
            )
            if advance is not None:
                advance()
    except httpx.TransportError as exc:
        raise DemoServerUnreachable(
            f"cannot reach ledgerbridge at {url} ({exc}); start it with `make run` first"
        ) from None
    return sent


def _send(
    client: httpx.Client, sent: Sent, name: str, platform: str, topic: str, payload: dict[str, Any]
) -> None:
    body = encode(payload)
    headers = headers_for(platform, body, DEMO_SECRETS[name], topic, now=dt.datetime.now(dt.UTC))
    response = client.post(f"/webhooks/{name}", content=body, headers=headers)
    if response.status_code == 202:
        sent.accepted += 1
    else:
        sent.refused.append(f"{topic}: HTTP {response.status_code} {response.text[:200]}")


def wait_until_posted(db: Database, *, timeout_s: float = 30.0) -> dict[str, int]:
    """Wait for the server's worker to finish; returns event counts by status."""
    deadline = time.monotonic() + timeout_s
    while True:
        with UnitOfWork(db) as uow:
            counts: dict[str, int] = {}
            for (_, status), n in uow.inbox.counts().items():
                counts[status] = counts.get(status, 0) + n
        pending = counts.get("received", 0) + counts.get("failed", 0)
        if pending == 0 or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)
