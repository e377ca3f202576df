"""A made-up shop's day as the platforms would report it, in their documented JSON shapes.

The demo shop sells on Shopify and takes card payments through Stripe:

* each sale is a Shopify ``orders/paid`` delivery (gateway ``stripe``) to the shop's
  connection, and a Stripe ``charge.succeeded`` (with its balance transaction, so the fee is
  known) to the Stripe connection, which is set not to post charges as sales again;
* some orders are partly refunded: a Shopify ``refunds/create`` delivery;
* at the end of the day Stripe pays out what it holds: a ``payout.paid`` delivery whose amount
  is sales − refunds − fees, so the Stripe clearing account returns to zero.

Amounts are generated as integer cents and written as strings (Shopify) or integer minor units
(Stripe), exactly as the platforms do. The generator is seeded, so a run can be repeated.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PRODUCTS = (
    ("MUG-01", "Stoneware mug", "Kitchen", 2400),
    ("TEE-02", "Organic cotton tee", "Apparel", 3200),
    ("BAG-03", "Canvas tote", "Accessories", 1800),
    ("CAN-04", "Soy candle", "Home", 2750),
    ("NOTE-05", "Dot-grid notebook", "Stationery", 1250),
)
TAX_RATE = Decimal("0.0825")
SHIPPING_CENTS = 500


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def _tax(cents: int) -> int:
    return int((Decimal(cents) * TAX_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class DemoSale:
    order_id: int
    name: str
    lines: list[dict[str, Any]]
    total_cents: int
    fee_cents: int
    charge_id: str
    refunded_cents: int = 0


@dataclass
class DemoDay:
    """Generates the day's deliveries; ``start`` is the day's first sale."""

    start: dt.datetime
    seed: int = 7
    sales: list[DemoSale] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _at(self, minutes: int) -> str:
        return (self.start + dt.timedelta(minutes=minutes)).isoformat()

    def order(self, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """A paid Shopify order and the Stripe charge that paid it."""
        order_id = 820982911946154500 + number
        picked = self.rng.sample(PRODUCTS, self.rng.randint(1, 3))
        lines, subtotal, tax_total = [], 0, 0
        for index, (sku, title, kind, price) in enumerate(picked):
            quantity = self.rng.randint(1, 3)
            gross = price * quantity
            tax = _tax(gross)
            subtotal, tax_total = subtotal + gross, tax_total + tax
            lines.append(
                {
                    "id": order_id * 10 + index,
                    "title": title,
                    "sku": sku,
                    "product_type": kind,
                    "quantity": quantity,
                    "price": _money(price),
                    "total_discount": "0.00",
                    "discount_allocations": [],
                    "gift_card": False,
                    "taxable": True,
                    "tax_lines": [
                        {"title": "CA State Tax", "price": _money(tax), "rate": TAX_RATE}
                    ],
                }
            )
        shipping_tax = _tax(SHIPPING_CENTS)
        tax_total += shipping_tax
        total = subtotal + SHIPPING_CENTS + tax_total
        fee = int((Decimal(total) * Decimal("0.029")).quantize(Decimal(1))) + 30
        sale = DemoSale(order_id, f"#{1000 + number}", lines, total, fee, f"ch_demo{number:06d}")
        self.sales.append(sale)
        when = self._at(number * 7)
        order = {
            "id": order_id,
            "name": sale.name,
            "order_number": 1000 + number,
            "email": f"customer{number}@example.com",
            "currency": "USD",
            "presentment_currency": "USD",
            "created_at": when,
            "updated_at": when,
            "processed_at": when,
            "financial_status": "paid",
            "taxes_included": False,
            "subtotal_price": _money(subtotal),
            "total_tax": _money(tax_total),
            "total_discounts": "0.00",
            "total_price": _money(total),
            "payment_gateway_names": ["stripe"],
            "source_name": "web",
            "line_items": lines,
            "shipping_lines": [
                {
                    "id": order_id,
                    "title": "Standard",
                    "price": _money(SHIPPING_CENTS),
                    "discounted_price": _money(SHIPPING_CENTS),
                    "discount_allocations": [],
                    "tax_lines": [
                        {
                            "title": "CA State Tax",
                            "price": _money(shipping_tax),
                            "rate": TAX_RATE,
                        }
                    ],
                }
            ],
            "tax_lines": [{"title": "CA State Tax", "price": _money(tax_total), "rate": TAX_RATE}],
            "discount_codes": [],
            "shipping_address": {"country_code": "US", "province_code": "CA"},
        }
        return order, self._charge(sale, when)

    def _charge(self, sale: DemoSale, when: str) -> dict[str, Any]:
        created = int(dt.datetime.fromisoformat(when).timestamp())
        return {
            "id": f"evt_demo_{sale.charge_id}",
            "object": "event",
            "type": "charge.succeeded",
            "api_version": "2024-06-20",
            "created": created,
            "livemode": False,
            "data": {
                "object": {
                    "id": sale.charge_id,
                    "object": "charge",
                    "amount": sale.total_cents,
                    "amount_captured": sale.total_cents,
                    "amount_refunded": 0,
                    "captured": True,
                    "currency": "usd",
                    "created": created,
                    "paid": True,
                    "status": "succeeded",
                    "payment_intent": f"pi_demo{sale.order_id}",
                    "refunded": False,
                    "description": f"Shopify order {sale.name}",
                    "metadata": {"shopify_order": str(sale.order_id)},
                    "balance_transaction": {
                        "id": f"txn_{sale.charge_id}",
                        "object": "balance_transaction",
                        "amount": sale.total_cents,
                        "currency": "usd",
                        "fee": sale.fee_cents,
                        "net": sale.total_cents - sale.fee_cents,
                        "type": "charge",
                        "reporting_category": "charge",
                        "created": created,
                        "fee_details": [
                            {
                                "amount": sale.fee_cents,
                                "currency": "usd",
                                "type": "stripe_fee",
                                "description": "Stripe processing fees",
                            }
                        ],
                    },
                }
            },
        }

    def refund(self, sale: DemoSale, number: int) -> dict[str, Any]:
        """A Shopify refund of one unit of the sale's first line, with its tax."""
        line = sale.lines[0]
        price = int(Decimal(line["price"]) * 100)
        tax = _tax(price)
        sale.refunded_cents += price + tax
        when = self._at(number * 7 + 3)
        return {
            "id": 509562969 + number,
            "order_id": sale.order_id,
            "created_at": when,
            "processed_at": when,
            "note": "Customer changed their mind",
            "restock": True,
            "refund_line_items": [
                {
                    "id": 104689539 + number,
                    "line_item_id": line["id"],
                    "quantity": 1,
                    "restock_type": "return",
                    "subtotal": _money(price),
                    "total_tax": _money(tax),
                    "line_item": {
                        "id": line["id"],
                        "title": line["title"],
                        "sku": line["sku"],
                        "price": line["price"],
                        "quantity": line["quantity"],
                    },
                }
            ],
            "transactions": [
                {
                    "id": 179259969 + number,
                    "order_id": sale.order_id,
                    "kind": "refund",
                    "gateway": "stripe",
                    "status": "success",
                    "amount": _money(price + tax),
                    "currency": "USD",
                    "created_at": when,
                }
            ],
            "order_adjustments": [],
        }

    def payout(self, arrival: dt.date) -> dict[str, Any]:
        """Stripe pays out everything the day's sales left in its balance."""
        amount = sum(s.total_cents - s.refunded_cents - s.fee_cents for s in self.sales)
        created = int((self.start + dt.timedelta(hours=20)).timestamp())
        arrival_ts = int(dt.datetime.combine(arrival, dt.time(), dt.UTC).timestamp())
        payout_id = f"po_demo{self.start:%Y%m%d}{self.seed}"
        return {
            "id": f"evt_{payout_id}",
            "object": "event",
            "type": "payout.paid",
            "api_version": "2024-06-20",
            "created": created,
            "livemode": False,
            "data": {
                "object": {
                    "id": payout_id,
                    "object": "payout",
                    "amount": amount,
                    "currency": "usd",
                    "arrival_date": arrival_ts,
                    "created": created,
                    "status": "paid",
                    "method": "standard",
                    "type": "bank_account",
                    "automatic": True,
                    "statement_descriptor": None,
                    "balance_transaction": f"txn_{payout_id}",
                    "description": "STRIPE PAYOUT",
                }
            },
        }
