"""Stripe history from the REST API: charges, disputes and paid payouts, as bare API objects.

Stripe lists newest first as ``{"object": "list", "data": […], "has_more": bool}``; the next
page is ``starting_after=<last id of this page>``, which is the stored cursor. ``created[gte]``
(Unix seconds of ``since`` at 00:00 UTC) travels with every page. Authentication is the secret or
restricted key as a bearer token; a restricted key needs read access to Charges, Disputes,
Payouts and Balance (the worker reads balance transactions for payouts).

The connector parses a bare object under the topic that would have carried it
(:mod:`ledgerbridge.connectors.stripe`), so each object is filed as:

====================================  ===========================================================
charge, succeeded and captured        ``charge.succeeded`` → OrderPaid (keyed on its
                                      PaymentIntent, like the webhook's)
… with ``amount_refunded`` > 0        also ``charge.refunded`` → one Refund per ``re_…``; the
                                      inbox key carries ``amount_refunded``, so a later refund
                                      is stored again and posts its own Refund
dispute, funds withdrawn              ``charge.dispute.funds_withdrawn`` → Dispute OPENED
(any status but ``warning_*``)
dispute won / lost                    also ``charge.dispute.closed`` → WON (and a refunded
                                      dispute fee) / LOST
payout, ``status=paid``               ``payout.paid`` → Payout
====================================  ===========================================================

Charges are asked with ``expand[]=data.refunds`` (API versions since 2022-11-15 list no refunds
on a charge unless asked) and the balance transactions of the charge and its refunds (the
settlements the worker fetches from the API for a webhook; expanded here, they are in the
body). Failed, pending and uncaptured charges post nothing and are not filed: a later sync
finds them once they succeed.
A dispute's stages are dated by the dispute's ``created`` (an API object carries no event time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ledgerbridge.connectors.base import PayloadInvalid
from ledgerbridge.connectors.base import dump_json as json_bytes
from ledgerbridge.errors import InvalidInput
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient

STRIPE_API = "https://api.stripe.com"
PAGE_SIZE = 100
CLOSED_STATUSES = frozenset({"won", "lost"})
INQUIRY_PREFIX = "warning_"


def unix_midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _id(obj: Mapping[str, Any], path: str) -> str:
    value = obj.get("id")
    if not isinstance(value, str) or not value:
        raise PayloadInvalid(f"{path}.id: is required", field=f"{path}.id")
    return value


def charge_items(charge: Mapping[str, Any], path: str) -> list[Pulled]:
    charge_id = _id(charge, path)
    if charge.get("status") != "succeeded" or charge.get("captured") is False:
        return []
    body = json_bytes(charge)
    items = [Pulled("charge.succeeded", f"api:charge.succeeded:{charge_id}", body)]
    refunded = charge.get("amount_refunded")
    if isinstance(refunded, int) and refunded > 0:
        key = f"api:charge.refunded:{charge_id}:{refunded}"
        items.append(Pulled("charge.refunded", key, body))
    return items


def dispute_items(dispute: Mapping[str, Any], path: str) -> list[Pulled]:
    dispute_id = _id(dispute, path)
    status = str(dispute.get("status") or "")
    if status.startswith(INQUIRY_PREFIX):
        return []  # an inquiry withdraws nothing; filed once escalated (no longer warning_*)
    body = json_bytes(dispute)
    topic = "charge.dispute.funds_withdrawn"
    items = [Pulled(topic, f"api:{topic}:{dispute_id}", body)]
    if status in CLOSED_STATUSES:
        items.append(
            Pulled("charge.dispute.closed", f"api:charge.dispute.closed:{dispute_id}", body)
        )
    return items


def payout_items(payout: Mapping[str, Any], path: str) -> list[Pulled]:
    payout_id = _id(payout, path)
    if payout.get("status") != "paid":
        return []
    return [Pulled("payout.paid", f"api:payout.paid:{payout_id}", json_bytes(payout))]


@dataclass(frozen=True, slots=True)
class ListStream:
    """One Stripe list endpoint, paged with ``starting_after``."""

    name: str
    path: str
    items_of: Callable[[Mapping[str, Any], str], list[Pulled]]
    params: Mapping[str, Any]

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        query: dict[str, Any] = {
            **self.params,
            "created[gte]": unix_midnight(since),
            "limit": PAGE_SIZE,
        }
        if cursor is not None:
            query["starting_after"] = cursor
        listing = client.get_json(self.path, params=query)
        data = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(data, list):
            raise PayloadInvalid(f"Stripe answered {self.path} without a list", field="data")
        items: list[Pulled] = []
        last: str | None = None
        for index, obj in enumerate(data):
            if not isinstance(obj, dict):
                raise PayloadInvalid(f"data[{index}]: expected an object", field=f"data[{index}]")
            last = _id(obj, f"data[{index}]")
            items += self.items_of(obj, f"data[{index}]")
        more = listing.get("has_more") is True
        if more and last is None:
            raise PayloadInvalid("Stripe said has_more but listed nothing", field="has_more")
        return Page(tuple(items), last if more else None)


STREAMS: tuple[ListStream, ...] = (
    ListStream(
        "charges",
        "/v1/charges",
        charge_items,
        {
            "expand[]": [
                "data.refunds",
                "data.refunds.data.balance_transaction",
                "data.balance_transaction",
            ]
        },
    ),
    ListStream("disputes", "/v1/disputes", dispute_items, {}),
    ListStream("payouts", "/v1/payouts", payout_items, {"status": "paid"}),
)


class StripePuller:
    """Stripe history: ``api_url`` defaults to https://api.stripe.com, ``api_token`` is the
    ``sk_…``/``rk_…`` key."""

    platform: ClassVar[str] = "stripe"

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        if not source.api_token:
            raise InvalidInput(
                f"connection {source.name!r} needs a Stripe API key", field="api_token"
            )
        return ApiClient(
            platform="stripe",
            base_url=source.api_url or STRIPE_API,
            headers={"Authorization": f"Bearer {source.api_token}"},
            sleep=sleep,
        )

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        return STREAMS
