"""One business day on seven platforms, as each platform would deliver it.

Each ``<platform>_day`` function turns a :class:`Day` (the day's figures, written once in the
test) into the platform's own payloads and hands them to the real entry points: signed webhooks
through :func:`~ledgerbridge.pipeline.ingest.receive`, or, where the platform sends no webhook
for a thing (Shopify Payments payouts, PayPal withdrawals), the operator's ``verified=True``
path or a history sync against the platform's fake API on 127.0.0.1. Each returns what it sent
by webhook, so a test can deliver some of it a second time.

Orders are kept to one line, with no tax, shipping or discount, so that every sale is revenue
and every refund a return of exactly its amount.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ledgerbridge.connectors.shopify import signature as shopify_signature
from ledgerbridge.connectors.square import signature as square_signature
from ledgerbridge.connectors.stripe import signature as stripe_signature
from ledgerbridge.connectors.woocommerce import signature as woo_signature
from ledgerbridge.pipeline.ingest import ConnectionDirectory, Receipt, receive, topic_headers
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.sync import SyncReport, sync_connection
from ledgerbridge.store.database import Database
from tests.sync.bigcommerce_server import FakeBigCommerce, make_order, make_refund
from tests.sync.magento_server import FakeMagento
from tests.sync.magento_server import order as magento_order
from tests.sync.paypal_server import NOW, FakePayPal, Pki, capture, row, webhook
from tests.sync.paypal_server import refund as paypal_refund
from tests.sync.square_server import envelope
from tests.sync.square_server import payment as square_payment
from tests.sync.square_server import payout as square_payout
from tests.sync.square_server import refund as square_refund
from tests.sync.stripe_server import StripeData

DAY_DATE = NOW.date()
"""The business day: PayPal's test certificates are issued around this moment."""

SECRETS = {
    "shopify": "shpss_mixed_day",
    "woocommerce": "wc_mixed_day",
    "stripe": "whsec_mixed_day",
    "bigcommerce": "bc-hook-token-mixed-day",
    "square": "square-signature-key-mixed-day",
    "paypal": "4JH86294D6297924G",  # the PayPal webhook id
}
SQUARE_URL = "https://books.example.com/webhooks/square"
BIGCOMMERCE_AUTH = "X-Ledgerbridge-Token"


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the business day (UTC)."""
    return dt.datetime.combine(DAY_DATE, dt.time(hour, minute), dt.UTC)


def cents(amount: str | Decimal) -> int:
    """Minor units of a USD amount (Stripe and Square write integers)."""
    return int(Decimal(amount) * 100)


@dataclass(frozen=True)
class Day:
    """A platform's day in figures: each sale, each refund (all against the last sale), each
    fee the ledger books that day (negative: a fee the gateway gave back), each payout."""

    sales: tuple[str, ...]
    refunds: tuple[str, ...]
    fees: tuple[str, ...] = ()
    payouts: tuple[str, ...] = ()

    @staticmethod
    def sum(figures: Sequence[str]) -> Decimal:
        return sum((Decimal(f) for f in figures), Decimal("0.00"))

    @property
    def held(self) -> Decimal:
        """What the gateway still holds for the day: sales − refunds − fees − payouts."""
        return (
            self.sum(self.sales)
            - self.sum(self.refunds)
            - self.sum(self.fees)
            - self.sum(self.payouts)
        )


@dataclass(frozen=True)
class Sent:
    """A webhook as it went over the wire, to deliver again."""

    connection: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Ledger:
    db: Database
    box: SecretBox
    sent: list[Sent] = field(default_factory=list)

    def deliver(self, connection: str, body: bytes, headers: dict[str, str]) -> Receipt:
        """A signed webhook through the ingress, as the HTTP service hands it over."""
        receipt = self.post(connection, body, headers, verified=False)
        self.sent.append(Sent(connection, body, headers))
        return receipt

    def post(
        self, connection: str, body: bytes, headers: dict[str, str], *, verified: bool
    ) -> Receipt:
        directory = ConnectionDirectory(self.db, self.box)
        return receive(self.db, directory, connection, body, headers, now=NOW, verified=verified)

    def sync(self, connection: str) -> SyncReport:
        return sync_connection(
            self.db, self.box, connection, since=DAY_DATE, clock=lambda: NOW, sleep=lambda _: None
        )


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


# --- Shopify (Shopify Payments) -------------------------------------------------------------


def shopify_order(order_id: int, amount: str, when: dt.datetime) -> dict[str, Any]:
    stamp = when.isoformat()
    return {
        "id": order_id,
        "name": f"#{order_id - 5000}",
        "order_number": order_id - 5000,
        "email": "buyer@example.com",
        "currency": "USD",
        "presentment_currency": "USD",
        "created_at": stamp,
        "updated_at": stamp,
        "processed_at": stamp,
        "financial_status": "paid",
        "taxes_included": False,
        "subtotal_price": amount,
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_price": amount,
        "payment_gateway_names": ["shopify_payments"],
        "source_name": "web",
        "line_items": [
            {
                "id": order_id * 10,
                "title": "Linen apron",
                "sku": "APRON",
                "quantity": 1,
                "price": amount,
                "total_discount": "0.00",
                "discount_allocations": [],
                "gift_card": False,
                "taxable": False,
                "tax_lines": [],
            }
        ],
        "shipping_lines": [],
        "tax_lines": [],
        "discount_codes": [],
    }


def shopify_refund(refund_id: int, order: dict[str, Any], amount: str, when: dt.datetime) -> Any:
    line = order["line_items"][0]
    return {
        "id": refund_id,
        "order_id": order["id"],
        "created_at": when.isoformat(),
        "processed_at": when.isoformat(),
        "note": "Partial refund",
        "restock": False,
        "refund_line_items": [
            {
                "id": refund_id * 10,
                "line_item_id": line["id"],
                "quantity": 1,
                "restock_type": "no_restock",
                "subtotal": amount,
                "total_tax": "0.00",
                "line_item": {k: line[k] for k in ("id", "title", "sku", "price", "quantity")},
            }
        ],
        "transactions": [
            {
                "id": refund_id * 100,
                "order_id": order["id"],
                "kind": "refund",
                "gateway": "shopify_payments",
                "status": "success",
                "amount": amount,
                "currency": "USD",
                "created_at": when.isoformat(),
            }
        ],
        "order_adjustments": [],
    }


def shopify_day(ledger: Ledger, day: Day) -> None:
    """Orders and a refund by webhook; the Shopify Payments payout, which Shopify announces by
    no webhook, handed in as the Admin API resource. The payout settles the first sale only and
    withholds its fee, the only Shopify Payments fee the day books."""
    secret = SECRETS["shopify"]

    def send(topic: str, data: Any, n: int) -> None:
        raw = _json(data)
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": shopify_signature(raw, secret),
            "X-Shopify-Webhook-Id": f"wh-mixed-{n}",
            "X-Shopify-Shop-Domain": "mixed-day.myshopify.com",
        }
        ledger.deliver("shopify", raw, headers)

    orders = [shopify_order(5001 + i, amount, at(9 + i)) for i, amount in enumerate(day.sales)]
    for n, order in enumerate(orders):
        send("orders/create", order, n)
    for n, amount in enumerate(day.refunds):
        send("refunds/create", shopify_refund(7001 + n, orders[-1], amount, at(14, n)), 10 + n)
    (fee,), (paid_out,) = day.fees, day.payouts
    assert Decimal(day.sales[0]) - Decimal(fee) == Decimal(paid_out), "payout ≠ sale − fee"
    payout = {
        "payout": {
            "id": 9001,
            "status": "paid",
            "date": DAY_DATE.isoformat(),
            "currency": "USD",
            "amount": paid_out,
            "summary": {
                "charges_gross_amount": day.sales[0],
                "charges_fee_amount": fee,
                "refunds_gross_amount": "0.00",
                "refunds_fee_amount": "0.00",
                "adjustments_gross_amount": "0.00",
                "adjustments_fee_amount": "0.00",
                "reserved_funds_gross_amount": "0.00",
                "reserved_funds_fee_amount": "0.00",
                "retried_payouts_gross_amount": "0.00",
                "retried_payouts_fee_amount": "0.00",
            },
        }
    }
    headers = topic_headers("shopify", "shopify_payments/payout")
    ledger.post("shopify", _json(payout), headers, verified=True)


# --- WooCommerce ----------------------------------------------------------------------------


def woo_order(order_id: int, amount: str, when: dt.datetime, **changes: Any) -> dict[str, Any]:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    order: dict[str, Any] = {
        "id": order_id,
        "number": str(order_id),
        "status": "processing",
        "currency": "USD",
        "date_created_gmt": stamp,
        "date_modified_gmt": stamp,
        "date_paid_gmt": stamp,
        "prices_include_tax": False,
        "discount_total": "0.00",
        "shipping_total": "0.00",
        "total": amount,
        "total_tax": "0.00",
        "customer_id": 12,
        "payment_method": "stripe",
        "payment_method_title": "Credit card (Stripe)",
        "transaction_id": f"ch_woo_{order_id}",
        "billing": {"country": "US"},
        "line_items": [
            {
                "id": order_id * 10,
                "name": "Pour-over kettle",
                "sku": "KETTLE",
                "quantity": 1,
                "subtotal": amount,
                "subtotal_tax": "0.00",
                "total": amount,
                "total_tax": "0.00",
                "taxes": [],
            }
        ],
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
    }
    order.update(changes)
    return order


def woocommerce_day(ledger: Ledger, day: Day) -> None:
    """Orders by ``order.created``; the refund as WooCommerce announces it, an
    ``order.updated`` of the order that now lists the refund (total written negative). A
    WooCommerce store charges no fee and pays nothing out: its gateway does."""
    secret = SECRETS["woocommerce"]

    def send(topic: str, data: Any) -> None:
        raw = _json(data)
        headers = {
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": woo_signature(raw, secret),
            "X-WC-Webhook-Source": "https://woo.example.com/",
        }
        ledger.deliver("woocommerce", raw, headers)

    orders = [woo_order(3001 + i, amount, at(9 + i)) for i, amount in enumerate(day.sales)]
    for order in orders:
        send("order.created", order)
    last = orders[-1]
    listed = [
        {"id": 3501 + n, "reason": "Dented lid", "total": f"-{amount}"}
        for n, amount in enumerate(day.refunds)
    ]
    updated = dict(last, date_modified_gmt=at(15).strftime("%Y-%m-%dT%H:%M:%S"), refunds=listed)
    send("order.updated", updated)


# --- Stripe (API access: fees from the payout's balance transactions) ----------------------


def _txn(txn_id: str, source: str, amount: int, fee: int, kind: str, created: int) -> Any:
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "currency": "usd",
        "fee": fee,
        "net": amount - fee,
        "fee_details": ([{"amount": fee, "currency": "usd", "type": "stripe_fee"}] if fee else []),
        "source": source,
        "type": kind,
        "reporting_category": kind,
        "created": created,
        "status": "available",
    }


def stripe_charge(name: str, amount: str, when: dt.datetime) -> dict[str, Any]:
    minor = cents(amount)
    return {
        "id": f"ch_{name}",
        "object": "charge",
        "amount": minor,
        "amount_captured": minor,
        "amount_refunded": 0,
        "captured": True,
        "currency": "usd",
        "created": int(when.timestamp()),
        "paid": True,
        "status": "succeeded",
        "payment_intent": f"pi_{name}",
        "refunded": False,
        "description": f"Order {name}",
        "metadata": {"order_id": f"S-{name}"},
        "balance_transaction": f"txn_ch_{name}",
        "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
    }


def stripe_day(ledger: Ledger, day: Day, api: StripeData, unsettled_fees: Sequence[str]) -> None:
    """Charges and a refund by webhook; ``payout.paid`` for a payout that settles the first
    charge only. With API access the worker reads each payout's balance transactions, so the
    day books the settled charge's fee; ``unsettled_fees`` are the later charges' fees, which
    Stripe has kept but the ledger books with the payout that settles them."""
    secret = SECRETS["stripe"]
    stamp = int(NOW.timestamp())

    def send(event_id: str, topic: str, obj: dict[str, Any], when: dt.datetime) -> None:
        raw = _json(
            {
                "id": event_id,
                "object": "event",
                "api_version": "2020-08-27",
                "type": topic,
                "created": int(when.timestamp()),
                "livemode": False,
                "data": {"object": obj},
            }
        )
        headers = {"Stripe-Signature": f"t={stamp},v1={stripe_signature(raw, secret, stamp)}"}
        ledger.deliver("stripe", raw, headers)

    fees = [*day.fees, *unsettled_fees]
    assert len(fees) == len(day.sales), "one fee per charge"
    charges = []
    for i, (amount, fee) in enumerate(zip(day.sales, fees, strict=True)):
        charge = stripe_charge(f"mixed{i + 1}", amount, at(9 + i))
        txn = _txn(
            charge["balance_transaction"],
            charge["id"],
            charge["amount"],
            cents(fee),
            "charge",
            charge["created"],
        )
        api.balance_transactions[txn["id"]] = txn
        charges.append(charge)
        send(f"evt_mixed_charge_{i + 1}", "charge.succeeded", charge, at(9 + i))
    refunded = charges[-1]
    for n, amount in enumerate(day.refunds):
        when = at(14, n)
        refund_id = f"re_mixed{n + 1}"
        txn = _txn(
            f"txn_{refund_id}", refund_id, -cents(amount), 0, "refund", int(when.timestamp())
        )
        api.balance_transactions[txn["id"]] = txn
        refunded["refunds"]["data"].insert(
            0,
            {
                "id": refund_id,
                "object": "refund",
                "amount": cents(amount),
                "charge": refunded["id"],
                "created": int(when.timestamp()),
                "currency": "usd",
                "reason": "requested_by_customer",
                "status": "succeeded",
                "balance_transaction": txn["id"],
            },
        )
        refunded["amount_refunded"] += cents(amount)
        refunded["refunds"]["total_count"] += 1
        send(f"evt_mixed_refund_{n + 1}", "charge.refunded", refunded, when)
    (paid_out,) = day.payouts
    settled = api.balance_transactions[charges[0]["balance_transaction"]]
    api.paid_out[settled["id"]] = "po_mixed1"
    assert settled["net"] == cents(paid_out), "the payout is the first charge's net"
    payout = {
        "id": "po_mixed1",
        "object": "payout",
        "amount": cents(paid_out),
        "currency": "usd",
        "arrival_date": int(at(0).timestamp()) + 86400,
        "created": int(at(18).timestamp()),
        "status": "paid",
        "method": "standard",
        "type": "bank_account",
        "automatic": True,
        "balance_transaction": "txn_po_mixed1",
        "statement_descriptor": "MIXED DAY",
    }
    api.payouts.append(payout)
    send("evt_mixed_payout_1", "payout.paid", payout, at(18))


# --- BigCommerce (legacy webhooks authenticated by a custom header; detail from the API) ----


def bigcommerce_day(ledger: Ledger, day: Day, api: FakeBigCommerce) -> None:
    """``store/order/created`` for each order and ``store/order/refund/created`` for the
    refunds; the worker reads each order and refund from the fake API. The store's gateway
    (its payments provider) charges the fees and pays out; BigCommerce reports neither."""
    headers = {BIGCOMMERCE_AUTH: SECRETS["bigcommerce"]}

    def send(scope: str, data: dict[str, Any], n: int, when: dt.datetime) -> None:
        body = {
            "scope": scope,
            "store_id": "1025646",
            "data": data,
            "hash": f"{n:040x}",
            "created_at": int(when.timestamp()),
            "producer": "stores/mixedday",
        }
        ledger.deliver("bigcommerce", _json(body), headers)

    ids = []
    for i, amount in enumerate(day.sales):
        order, products, _ = make_order(
            201 + i,
            modified=at(9 + i),
            price=amount,
            quantity=1,
            shipping="0.00",
            tax="0.00",
            method="Credit Card",
        )
        api.add(order, products, [])  # untaxed: BigCommerce lists no tax rows
        ids.append(order["id"])
        send("store/order/created", {"type": "order", "id": order["id"]}, 1 + i, at(9 + i))
    for n, amount in enumerate(day.refunds):
        refund = make_refund(31 + n, ids[-1], amount=amount, tax="0.00", created=at(14, n))
        api.refunds.append(refund)
        data = {"type": "order", "id": ids[-1], "refund": {"refund_id": refund["id"]}}
        send("store/order/refund/created", data, 100 + n, at(14, n))


# --- Square ---------------------------------------------------------------------------------


def square_day(ledger: Ledger, day: Day, samples: Path) -> None:
    """Payments (each with its processing fee), a refund and a payout, all by webhook; without
    API access the payments' fees are booked and the payout moves its net amount."""
    key = SECRETS["square"]

    def send(topic: str, obj: dict[str, Any], event_id: str) -> None:
        raw = _json(envelope(topic, obj, event_id))
        headers = {"X-Square-HmacSha256-Signature": square_signature(raw, key, SQUARE_URL)}
        ledger.deliver("square", raw, headers)

    assert len(day.fees) == len(day.sales), "one processing fee per payment"
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    for i, (amount, fee) in enumerate(zip(day.sales, day.fees, strict=True)):
        created = at(9 + i).strftime(stamp)
        pay = square_payment(
            samples, f"PAYMIX{i + 1}", cents(amount), fee=cents(fee), created=created
        )
        send("payment.updated", pay, f"sq-pay-{i + 1}")
    last = f"PAYMIX{len(day.sales)}"
    for n, amount in enumerate(day.refunds):
        created = at(14, n).strftime(stamp)
        back = square_refund(samples, f"REFMIX{n + 1}", last, cents(amount), created=created)
        send("refund.updated", back, f"sq-ref-{n + 1}")
    for n, amount in enumerate(day.payouts):
        created = at(18, n).strftime("%Y-%m-%dT%H:%M:%SZ")
        send(
            "payout.paid",
            square_payout(samples, f"po_mix{n + 1}", cents(amount), created=created),
            f"sq-po-{n + 1}",
        )


# --- PayPal ---------------------------------------------------------------------------------


def paypal_day(
    ledger: Ledger, day: Day, fake: FakePayPal, pki: Pki, capture_fees: Sequence[str]
) -> SyncReport:
    """Captures and a refund by signed webhook (certificate verification against the fake's
    PKI); the withdrawal to the bank, which PayPal announces by no webhook, from the history
    sync, which also pulls the captures and the refund again (they must not post twice).
    ``day.fees`` are the capture fees less what PayPal gave back on the refund."""
    webhook_id = SECRETS["paypal"]
    cert_url = fake.cert_url("good")

    def send(topic: str, resource: dict[str, Any], n: int) -> None:
        body = webhook(topic, resource, event_id=f"WH-MIXED-{n}")
        headers = pki.headers(body, webhook_id, cert_url, transmission_id=f"tx-mixed-{n}")
        ledger.deliver("paypal", body, headers)

    def iso(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def searched(moment: dt.datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")

    captures = []
    for i, (amount, fee) in enumerate(zip(day.sales, capture_fees, strict=True)):
        capture_id = f"CAPMIX{i + 1}"
        found = capture(capture_id, amount, fee, when=iso(at(9 + i)), invoice=f"INV-M{i + 1}")
        fake.captures[capture_id] = found
        fake.rows.append(row(capture_id, "T0006", amount, fee=f"-{fee}", when=searched(at(9 + i))))
        captures.append(capture_id)
        send("PAYMENT.CAPTURE.COMPLETED", found, 1 + i)
    returned = Day.sum(capture_fees) - Day.sum(day.fees)
    for n, amount in enumerate(day.refunds):
        refund_id = f"REFMIX{n + 1}"
        fee_back = f"{returned:.2f}" if n == 0 else "0.00"
        found = paypal_refund(refund_id, captures[-1], amount, fee_back, when=iso(at(14, n)))
        fake.refunds[refund_id] = found
        fake.rows.append(
            row(
                refund_id,
                "T1107",
                f"-{amount}",
                fee=fee_back,
                reference=captures[-1],
                when=searched(at(14, n)),
            )
        )
        send("PAYMENT.CAPTURE.REFUNDED", found, 100 + n)
    for n, amount in enumerate(day.payouts):
        fake.rows.append(row(f"WDMIX{n + 1}", "T0400", f"-{amount}", when=searched(at(11, 30 + n))))
    return ledger.sync("paypal")


# --- Adobe Commerce / Magento (RSA-signed webhooks; the order read from the REST API) -------


def magento_sign(data: bytes, private: rsa.RSAPrivateKey) -> dict[str, str]:
    signature = private.sign(base64.b64encode(data), padding.PKCS1v15(), hashes.SHA256())
    return {"x-adobe-commerce-webhook-signature": base64.b64encode(signature).decode()}


def magento_item(item_id: int, parent: int, amount: str) -> dict[str, Any]:
    return {
        "entity_id": item_id + parent,
        "order_item_id": item_id,
        "parent_id": parent,
        "name": "Cast-iron skillet",
        "sku": "SKILLET",
        "price": Decimal(amount),
        "qty": 1,
        "row_total": Decimal(amount),
        "tax_amount": 0,
        "discount_amount": 0,
    }


def _magento_money(entity: dict[str, Any], amount: str) -> dict[str, Any]:
    return dict(
        entity,
        order_currency_code="USD",
        base_currency_code="USD",
        subtotal=Decimal(amount),
        grand_total=Decimal(amount),
        tax_amount=0,
        shipping_amount=0,
        shipping_tax_amount=0,
        discount_amount=0,
    )


def magento_day(ledger: Ledger, day: Day, api: FakeMagento, private: rsa.RSAPrivateKey) -> None:
    """One order per sale, each invoiced (paid) through braintree, and credit memos against
    the last invoice, by signed webhook; the worker reads each order from the REST API."""

    def send(event: str, kind: str, entity: dict[str, Any]) -> None:
        raw = json.dumps(
            {"eventName": event, "data": {kind: entity}},
            default=lambda d: float(d) if isinstance(d, Decimal) else str(d),
        ).encode()
        ledger.deliver("magento", raw, magento_sign(raw, private))

    invoices = []
    for i, amount in enumerate(day.sales):
        order_id, invoice_id = 31 + i, 301 + i
        api.orders[str(order_id)] = magento_order(order_id, "braintree")
        stamp = at(9 + i).strftime("%Y-%m-%d %H:%M:%S")
        invoice = _magento_money(
            {
                "entity_id": invoice_id,
                "increment_id": f"{invoice_id:09d}",
                "order_id": order_id,
                "state": 2,
                "transaction_id": f"bt-{invoice_id}",
                "created_at": stamp,
                "updated_at": stamp,
                "items": [magento_item(order_id * 10, invoice_id, amount)],
            },
            amount,
        )
        api.invoices.append(invoice)
        invoices.append(invoice)
        send("observer.sales_order_invoice_pay", "invoice", invoice)
    last = invoices[-1]
    for n, amount in enumerate(day.refunds):
        memo_id = 401 + n
        stamp = at(14, n).strftime("%Y-%m-%d %H:%M:%S")
        memo = _magento_money(
            {
                "entity_id": memo_id,
                "increment_id": f"{memo_id:09d}",
                "order_id": last["order_id"],
                "invoice_id": last["entity_id"],
                "state": 2,
                "creditmemo_status": 2,
                "adjustment_positive": 0,
                "adjustment_negative": 0,
                "adjustment": 0,
                "created_at": stamp,
                "updated_at": stamp,
                "items": [magento_item(last["order_id"] * 10, memo_id, amount)],
            },
            amount,
        )
        api.creditmemos.append(memo)
        send("observer.sales_order_creditmemo_save_after", "creditmemo", memo)
