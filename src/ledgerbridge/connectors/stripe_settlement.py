"""Stripe's own currency conversions: a charge or refund in one currency settled into a balance
kept in another, read from the object's balance transaction.

Stripe converts at the moment of the charge (or refund) at its own rate; the balance
transaction says what arrived in the balance currency (``amount``, minor units) and the rate
(``exchange_rate``). Trap: ``exchange_rate`` is a JSON number; bodies are loaded with Decimal
for fractions, so it is exact here, never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.payload import Obj
from ledgerbridge.connectors.stripe_money import stripe_money
from ledgerbridge.events import CanonicalEvent, Conversion
from ledgerbridge.money import Money


def balance_transaction(obj: Obj, extra: Mapping[str, Any]) -> Obj | None:
    """The charge's or refund's balance transaction, when expanded or given in ``extra``."""
    given = extra.get("balance_transaction")
    if isinstance(given, dict):
        return Obj(given, "extra.balance_transaction")
    if isinstance(obj.raw("balance_transaction"), dict):
        return obj.obj("balance_transaction")
    return None


def settlement(
    txn: Obj | None, moved: Money, related_id: str, *, outgoing: bool = False
) -> list[CanonicalEvent]:
    """A Conversion when Stripe settled ``moved`` into a balance of another currency.

    A charge brings ``moved`` (EUR) in and Stripe converts it to the balance currency (USD); a
    refund (``outgoing``) takes balance currency out to pay ``moved`` back, so the conversion
    runs the other way. Same currency: nothing to convert.
    """
    if txn is None:
        return []
    currency = txn.currency("currency")
    if currency == moved.currency:
        return []
    settled = abs(stripe_money(txn.required("amount"), currency, txn.at("amount"), signed=True))
    rate = txn.raw("exchange_rate")
    exact_rate = Decimal(str(rate)) if isinstance(rate, Decimal | int) else None
    source, target = (settled, moved) if outgoing else (moved, settled)
    return [
        Conversion(
            f"{txn.text('id')}:conversion",
            txn.unix("created"),
            source,
            target,
            exact_rate,
            related_id,
        )
    ]
