"""Canonical events: what happened in a store or a gateway, in one vocabulary for every platform.

Connectors turn a platform's JSON into these values; posting rules turn these values into
journal entries. Nothing here knows about HTTP, databases or a particular platform, and every
amount is :class:`~ledgerbridge.money.Money` as the platform stated it (the platform's own tax
and discount figures are taken as given; posting reconciles them to the cent).

Each event has an ``external_id`` (the platform's id of the thing: order, refund, payout,
dispute) and a ``kind``; together with the connection name they form the source key that makes
posting idempotent. ``raw_ref`` keeps identifiers a person needs to find the thing on the
platform (order number, charge id).

Sign conventions: every amount in an event is positive; the event type says which way money
moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledgerbridge.money import Money


class PaymentKind(StrEnum):
    CARD = "card"
    """Paid through the gateway; lands in the gateway's clearing account."""
    GIFT_CARD = "gift_card"
    """Redeemed a gift card the shop sold earlier; reduces the gift-card liability."""
    MANUAL = "manual"
    """Paid outside any gateway (bank transfer, cash on delivery): a receivable until it lands."""
    STORE_CREDIT = "store_credit"
    """Paid with credit the shop owed the customer; treated like a gift card."""


@dataclass(frozen=True, slots=True)
class TaxLine:
    """Tax charged for one jurisdiction (``title`` as the platform names it, e.g. "CA State")."""

    title: str
    amount: Money
    rate: Decimal | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product line. ``gross`` is price × quantity before discounts (tax-inclusive when the
    order's ``taxes_included`` is set); ``discount`` is what was taken off this line."""

    title: str
    quantity: int
    gross: Money
    discount: Money
    taxes: tuple[TaxLine, ...] = ()
    sku: str | None = None
    product_type: str | None = None
    line_id: str | None = None
    gift_card: bool = False
    """A gift card *sold*: its price is a liability, not revenue."""


@dataclass(frozen=True, slots=True)
class ShippingLine:
    title: str
    gross: Money
    discount: Money
    taxes: tuple[TaxLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Payment:
    """One tender of an order: ``gateway`` names the processor (``shopify_payments``, ``stripe``,
    ``paypal``, ``gift_card``, ``bacs``, ``cod`` …)."""

    gateway: str
    kind: PaymentKind
    amount: Money
    transaction_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as the platform states it at one moment; shared by paid, pending and edited."""

    order_id: str
    name: str
    currency: str
    lines: tuple[OrderLine, ...]
    shipping: tuple[ShippingLine, ...]
    total: Money
    """What the customer owes in total, as the platform computed it."""
    taxes_included: bool = False
    payments: tuple[Payment, ...] = ()
    order_taxes: tuple[TaxLine, ...] = ()
    """Tax lines the platform gives only at order level; used when lines carry none."""
    customer: str | None = None
    source_name: str | None = None
    country: str | None = None
    presentment_total: Money | None = None
    """The total in the currency the buyer saw, where it differs from ``currency``."""


@dataclass(frozen=True, slots=True)
class OrderPaid:
    """An order is paid (in full, possibly by several tenders)."""

    external_id: str
    occurred_at: dt.datetime
    order: OrderSnapshot
    kind: str = "order_paid"


@dataclass(frozen=True, slots=True)
class OrderPending:
    """An order was placed but not yet paid (bank transfer, cash on delivery, net terms)."""

    external_id: str
    occurred_at: dt.datetime
    order: OrderSnapshot
    kind: str = "order_pending"


@dataclass(frozen=True, slots=True)
class OrderEdited:
    """The platform's current view of an order after an edit; posting books the difference."""

    external_id: str
    occurred_at: dt.datetime
    order: OrderSnapshot
    revision: str
    """What makes this edit distinct (e.g. the order's ``updated_at``)."""
    kind: str = "order_edited"


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    """An order was cancelled. If it had been posted, its entry is reversed."""

    external_id: str
    occurred_at: dt.datetime
    order_id: str
    reason: str | None = None
    kind: str = "order_cancelled"


@dataclass(frozen=True, slots=True)
class RefundLine:
    title: str
    quantity: int
    subtotal: Money
    """Refunded price of the goods, net of their discounts, before tax (or tax-inclusive when
    the order was)."""
    tax: Money
    restock: bool = False
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    """Money returned to a customer for an order (lines, shipping, tax, less restocking fees)."""

    external_id: str
    occurred_at: dt.datetime
    order_id: str
    currency: str
    amount: Money
    """What actually went back to the customer, as the platform reports it."""
    lines: tuple[RefundLine, ...] = ()
    shipping: Money | None = None
    shipping_tax: Money | None = None
    restocking_fee: Money | None = None
    adjustment: Money | None = None
    """Any other refunded amount not tied to a line (goodwill, order adjustments)."""
    taxes_included: bool = False
    payments: tuple[Payment, ...] = ()
    fee_refunded: Money | None = None
    """Processing fee the gateway gave back, where it reports one."""
    reason: str | None = None
    kind: str = "refund"


@dataclass(frozen=True, slots=True)
class Fee:
    """A processing or platform fee charged outside a payout (e.g. a Stripe charge's fee known
    from its balance transaction)."""

    external_id: str
    occurred_at: dt.datetime
    amount: Money
    description: str
    related_id: str | None = None
    kind: str = "fee"


@dataclass(frozen=True, slots=True)
class PayoutComponent:
    """One balance movement a payout settles: a charge's fee, a refund, an adjustment."""

    type: str
    amount: Money
    fee: Money
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class Payout:
    """The gateway paid money out to the bank.

    ``amount`` is what lands in the bank. ``fees`` is what the gateway kept for the charges it
    settles, when known (from balance transactions or the payout summary); ``fees_known`` is
    False when neither was available, in which case the fees have been booked, or will be, from
    other events.
    """

    external_id: str
    occurred_at: dt.datetime
    amount: Money
    arrival_date: dt.date
    fees: Money
    fees_known: bool = True
    gross: Money | None = None
    components: tuple[PayoutComponent, ...] = ()
    status: str = "paid"
    bank_reference: str | None = None
    settlement_rate: Decimal | None = None
    """Units of the payout currency per unit of the sale currency the platform applied."""
    kind: str = "payout"


class DisputeStage(StrEnum):
    OPENED = "opened"
    """Funds withdrawn from the merchant pending the outcome."""
    WON = "won"
    """Funds reinstated to the merchant."""
    LOST = "lost"
    """The withdrawal stands; the chargeback is a loss."""


@dataclass(frozen=True, slots=True)
class Dispute:
    """A chargeback at one stage; ``fee`` is the gateway's dispute fee, where it charges one."""

    external_id: str
    occurred_at: dt.datetime
    dispute_id: str
    stage: DisputeStage
    amount: Money
    fee: Money | None = None
    order_id: str | None = None
    reason: str | None = None
    kind: str = "dispute"


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A balance change the gateway made that fits no other event (reserve, credit, debit)."""

    external_id: str
    occurred_at: dt.datetime
    amount: Money
    direction: str
    """``credit`` when the merchant receives money, ``debit`` when the gateway takes it."""
    description: str
    kind: str = "adjustment"


@dataclass(frozen=True, slots=True)
class Conversion:
    """The gateway converted money it holds into another currency at its own rate.

    Stripe settles a EUR charge into a USD balance at the moment of the charge (and a EUR refund
    out of it): ``source`` is what left (EUR 100.00), ``target`` what arrived (USD 108.00), and
    ``rate`` the platform's own rate (target units per source unit). Posting moves the clearing
    balance from one currency to the other and books the difference between our reference rate
    and the platform's as realised FX.
    """

    external_id: str
    occurred_at: dt.datetime
    source: Money
    target: Money
    rate: Decimal | None = None
    related_id: str | None = None
    kind: str = "conversion"


CanonicalEvent = (
    OrderPaid
    | OrderPending
    | OrderEdited
    | OrderCancelled
    | Refund
    | Fee
    | Payout
    | Dispute
    | Adjustment
    | Conversion
)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something a connector wants a person to see about a parsed payload (missing detail)."""

    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
