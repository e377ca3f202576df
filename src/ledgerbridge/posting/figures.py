"""Taking the platform's figures as given, to the cent.

A platform rounds tax per line, per jurisdiction or per order, and its total is what the
customer actually paid, so our own sum of lines, shipping and tax may differ from it by a minor
unit here and there. Posting books the platform's total and puts such a difference on the
``rounding`` account, provided it is at most one minor unit per line of the order (or refund):
the most honest per-line rounding can drift by. Anything larger is not rounding but a payload we
misread or a platform figure we do not model, so posting refuses it with a typed,
non-retryable error that names both figures.

Worked example: three lines of 40.00 taxed at 8.875 % report 3.55 tax each (10.65 in all), but
the platform taxed the 120.00 subtotal at once (10.65 → 10.66 after its own rounding) and
charged 130.66. Our arithmetic says 130.65; one cent is within the 3-cent allowance of a
three-line order, so the entry gets ``Cr rounding 0.01``. A total 0.40 off raises
:class:`OrderDoesNotAddUp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.money import Money
from ledgerbridge.posting.drafts import Draft


class OrderDoesNotAddUp(LedgerBridgeError):
    """An order's lines, shipping and tax differ from its total by more than rounding."""

    code = "order_does_not_add_up"
    retryable: ClassVar[bool] = False


class RefundDoesNotAddUp(OrderDoesNotAddUp):
    """A refund's parts differ from the amount returned by more than rounding."""

    code = "refund_does_not_add_up"


def allowance(currency: str, parts: int) -> Money:
    """One minor unit per part (at least one): the most per-part rounding can drift by."""
    return Money.from_minor(max(parts, 1), currency)


def rounding_drafts(
    residual: Money,
    *,
    parts: int,
    account: str,
    memo: str,
    fail: Callable[[Money], LedgerBridgeError],
) -> list[Draft]:
    """The draft that absorbs ``residual`` (debits minus credits so far) on ``account``.

    ``fail(limit)`` builds the error raised when the residual is beyond the allowance.
    """
    if residual.is_zero():
        return []
    limit = allowance(residual.currency, parts)
    if abs(residual) > limit:
        raise fail(limit)
    return [Draft(account, -residual, memo, key=f"rounding:{memo}")]
