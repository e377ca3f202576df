"""A Stripe REST API on 127.0.0.1: charges, disputes, payouts and balance transactions.

It speaks Stripe's wire format: lists are ``{"object": "list", "data": […], "has_more": …}``,
newest first, paged with ``starting_after=<id>``; ``created[gte]`` filters; ``expand[]`` works
for the paths the puller asks (``data.refunds``, ``data.refunds.data.balance_transaction``,
``data.balance_transaction``) and, as on API versions since 2022-11-15, a charge lists no
refunds unless asked. Errors are ``{"error": {"type", "message"}}``; a throttled request gets
429 with ``Stripe-Should-Retry: true`` and ``Retry-After``. The objects are the public samples'
(``event_charge.succeeded``, ``event_charge.dispute.funds_withdrawn``, ``event_payout.paid``,
``djstripe_balance_transaction_charge``) with ids and amounts varied so that every figure
adds up: each payout is the net of the balance transactions it settled.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fake_http import FakeApi, Reply, Request, json_reply

KEY = "sk_test_history"
CREATED = 1709251200  # 2024-03-01T00:00:00Z


def _sample(samples: Path, name: str) -> dict[str, Any]:
    data = json.loads((samples / "webhooks/stripe" / name).read_text())
    return data["data"]["object"] if data.get("object") == "event" else data  # type: ignore[no-any-return]


@dataclass
class StripeData:
    charges: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    balance_transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    paid_out: dict[str, str] = field(default_factory=dict)
    """Balance transaction id → the payout that settled it."""
    page_size: int = 2
    """Objects per page, whatever ``limit`` asks (so a few objects make several pages)."""


def stripe_data(samples: Path) -> StripeData:
    """Six charges (two refunded, one failed, one uncaptured), three disputes (open, won, an
    inquiry) and three payouts (two paid, one in transit)."""
    charge_t = _sample(samples, "event_charge.succeeded.json")
    dispute_t = _sample(samples, "event_charge.dispute.funds_withdrawn.json")
    payout_t = _sample(samples, "event_payout.paid.json")
    txn_t = _sample(samples, "djstripe_balance_transaction_charge.json")
    data = StripeData()
    clock = itertools.count(CREATED, 600)

    def txn(source: str, amount: int, fee: int, kind: str, payout: str | None) -> str:
        record = copy.deepcopy(txn_t)
        record.update(
            id=f"txn_{source}",
            amount=amount,
            fee=fee,
            net=amount - fee,
            fee_details=[dict(txn_t["fee_details"][0], amount=fee)] if fee else [],
            source=source,
            type=kind,
            reporting_category=kind,
            created=next(clock),
        )
        data.balance_transactions[record["id"]] = record
        if payout is not None:
            data.paid_out[record["id"]] = payout
        return str(record["id"])

    def charge(
        name: str, amount: int, refunded: int = 0, payout: str | None = None, **kw: Any
    ) -> None:
        record = copy.deepcopy(charge_t)
        charge_id = f"ch_{name}"
        fee = 30 + amount * 29 // 1000
        refunds = []
        if refunded:
            refund_id = f"re_{name}"
            refunds.append(
                {
                    "id": refund_id,
                    "object": "refund",
                    "amount": refunded,
                    "charge": charge_id,
                    "created": next(clock),
                    "currency": "usd",
                    "reason": "requested_by_customer",
                    "status": "succeeded",
                    "balance_transaction": txn(refund_id, -refunded, 0, "refund", payout),
                }
            )
        record.update(
            id=charge_id,
            amount=amount,
            amount_refunded=refunded,
            refunded=refunded == amount,
            payment_intent=f"pi_{name}",
            created=next(clock),
            description=f"Order {name}",
            balance_transaction=txn(charge_id, amount, fee, "charge", payout),
            refunds={
                "object": "list",
                "data": refunds,
                "has_more": False,
                "total_count": len(refunds),
                "url": f"/v1/charges/{charge_id}/refunds",
            },
        )
        record.update({"amount_captured": amount, **kw})
        data.charges.append(record)

    def dispute(name: str, charge_id: str, amount: int, status: str, won: bool = False) -> None:
        record = copy.deepcopy(dispute_t)
        withdrawal = dict(
            dispute_t["balance_transactions"][0],
            id=f"txn_dp_{name}",
            amount=-amount,
            fee=1500,
            net=-amount - 1500,
            source=f"dp_{name}",
        )
        reinstated = dict(
            withdrawal, id=f"txn_dp_{name}_back", amount=amount, fee=-1500, net=amount + 1500
        )
        record.update(
            id=f"dp_{name}",
            charge=charge_id,
            amount=amount,
            status=status,
            created=next(clock),
            payment_intent=None,
            balance_transactions=(
                []
                if status.startswith("warning_")
                else [withdrawal, *([reinstated] if won else [])]
            ),
        )
        data.disputes.append(record)

    charge("a", 2000, payout="po_1")
    charge("b", 3000, payout="po_1")
    charge("c", 2500, refunded=1000, payout="po_3")
    charge("d", 1500, refunded=1500)
    charge("e", 900, status="failed", captured=False, amount_captured=0)
    charge("f", 700, captured=False, amount_captured=0)
    dispute("1", "ch_a", 2000, "needs_response")
    dispute("2", "ch_b", 3000, "won", won=True)
    dispute("3", "ch_d", 1500, "warning_needs_response")
    for payout_id, status in (("po_1", "paid"), ("po_2", "in_transit"), ("po_3", "paid")):
        settled = [
            t for t in data.balance_transactions.values() if data.paid_out.get(t["id"]) == payout_id
        ]
        record = copy.deepcopy(payout_t)
        record.update(
            id=payout_id,
            amount=sum(t["net"] for t in settled) or 5000,
            status=status,
            created=next(clock),
            arrival_date=CREATED + 3 * 86400,
            automatic=True,
            balance_transaction=f"txn_{payout_id}",
        )
        data.payouts.append(record)
    return data


def _expanded(charge: dict[str, Any], expand: list[str], data: StripeData) -> dict[str, Any]:
    shown = copy.deepcopy(charge)
    if "data.balance_transaction" in expand:
        shown["balance_transaction"] = data.balance_transactions[charge["balance_transaction"]]
    if "data.refunds" not in expand:
        shown.pop("refunds", None)
    elif "data.refunds.data.balance_transaction" in expand:
        for refund in shown["refunds"]["data"]:
            refund["balance_transaction"] = data.balance_transactions[refund["balance_transaction"]]
    return shown


def _error(status: int, kind: str, message: str, **headers: str) -> Reply:
    return json_reply(status, {"error": {"type": kind, "message": message}}, headers)


def stripe_api(data: StripeData) -> FakeApi:
    def listing(request: Request, objects: list[dict[str, Any]], url: str) -> Reply:
        since = int(request.one("created[gte]") or 0)
        chosen = sorted(
            (o for o in objects if o["created"] >= since), key=lambda o: -int(o["created"])
        )
        after = request.one("starting_after")
        if after is not None:
            ids = [o["id"] for o in chosen]
            if after not in ids:
                return _error(400, "invalid_request_error", f"No such object: '{after}'")
            chosen = chosen[ids.index(after) + 1 :]
        page = chosen[: data.page_size]
        expand = request.query.get("expand[]", [])
        if url == "/v1/charges":
            page = [_expanded(o, expand, data) for o in page]
        body = {"object": "list", "url": url, "data": page, "has_more": len(chosen) > len(page)}
        return json_reply(200, body)

    def route(request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return _error(401, "invalid_request_error", "Invalid API Key provided: sk_***")
        path = request.path
        if path == "/v1/charges":
            return listing(request, data.charges, path)
        if path == "/v1/disputes":
            return listing(request, data.disputes, path)
        if path == "/v1/payouts":
            status = request.one("status")
            return listing(
                request, [p for p in data.payouts if status in (None, p["status"])], path
            )
        if path == "/v1/balance_transactions":
            payout = request.one("payout")
            settled = [
                t
                for t in data.balance_transactions.values()
                if data.paid_out.get(t["id"]) == payout
            ]
            return listing(request, settled, path)
        if path.startswith("/v1/balance_transactions/"):
            found = data.balance_transactions.get(path.rsplit("/", 1)[1])
            if found is None:
                return _error(404, "invalid_request_error", "No such balance transaction")
            return json_reply(200, found)
        return _error(404, "invalid_request_error", f"Unrecognized request URL (GET: {path})")

    return FakeApi(
        route,
        _error(
            429,
            "rate_limit_error",
            "Too many requests hit the API too quickly.",
            **{"Retry-After": "1", "Stripe-Should-Retry": "true"},
        ),
    )
