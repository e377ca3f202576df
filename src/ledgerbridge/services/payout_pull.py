"""Pulling payouts that arrive by no webhook (Shopify Payments) into the inbox.

Each paid payout goes through the same path as a webhook — stored raw, deduplicated on its id
and status, posted by the worker — so it becomes an expected deposit like any Stripe payout,
and pulling twice stores it once.
"""

from __future__ import annotations

import datetime as dt
import json

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.connectors.shopify import PAYOUT_TOPIC
from ledgerbridge.connectors.shopify_api import ShopifyApi
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.connections import list_connections
from ledgerbridge.store.database import Database


def pull_payouts(
    db: Database, box: SecretBox, *, since: dt.date, clock: Clock = utcnow
) -> list[int]:
    """Store the paid Shopify Payments payouts of every Shopify connection with API access;
    returns the ids of the events stored for the first time. Raises PlatformUnavailable."""
    directory = ConnectionDirectory(db, box)
    new: list[int] = []
    for stored in list_connections(db):
        if stored.platform != "shopify" or not stored.api_token_encrypted or not stored.api_url:
            continue
        connection = directory.get(stored.name)
        assert connection.api_token is not None
        with ShopifyApi(stored.api_url, connection.api_token) as api:
            payouts = api.paid_payouts(since=since)
        for payout in payouts:
            body = json.dumps({"payout": payout}, separators=(",", ":"), default=str).encode()
            headers = {
                "X-Shopify-Topic": PAYOUT_TOPIC,
                "X-Shopify-Event-Id": f"payout-{payout.get('id')}-{payout.get('status')}",
            }
            receipt = receive(db, directory, stored.name, body, headers, now=clock(), verified=True)
            if not receipt.duplicate:
                new.append(receipt.event_id)
    return new


def pull_and_post(
    db: Database, box: SecretBox, worker: Worker, *, since: dt.date, clock: Clock = utcnow
) -> int:
    """Pull, then post what was new right away, so a reconciliation run sees it."""
    new = pull_payouts(db, box, since=since, clock=clock)
    for event_id in new:
        worker.process(event_id)
    return len(new)
