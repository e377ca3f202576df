"""The built-in chart for a multi-channel retailer, and the *roles* posting rules look up.

Posting rules never hard-code account numbers: they ask for a role (``sales``,
``sales_tax_payable``, ``clearing:stripe-us`` …) and the book answers with whichever account the
user has assigned to it. Users can renumber and rename freely; the roles stay.

Per-gateway clearing accounts are created when a connection is added (role
``clearing:<connection>``), so a clearing balance is exactly the money that connection still
holds in transit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.accounts import Account, AccountType


class Role(StrEnum):
    BANK = "bank"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    CURRENCY_CONVERSION = "currency_conversion"
    SUSPENSE = "suspense"
    GIFT_CARD_LIABILITY = "gift_card_liability"
    SALES_TAX_PAYABLE = "sales_tax_payable"
    OPENING_EQUITY = "opening_equity"
    SALES = "sales"
    SHIPPING_INCOME = "shipping_income"
    DISCOUNTS = "discounts"
    SALES_RETURNS = "sales_returns"
    PROCESSING_FEES = "processing_fees"
    CHARGEBACKS = "chargebacks"
    BANK_FEES = "bank_fees"
    FX_REALISED = "fx_realised"
    FX_UNREALISED = "fx_unrealised"
    ROUNDING = "rounding"


CLEARING_PREFIX = "clearing:"


def clearing_role(connection: str) -> str:
    """The role of a connection's clearing account."""
    return f"{CLEARING_PREFIX}{connection}"


@dataclass(frozen=True, slots=True)
class ChartAccount:
    account: Account
    role: str | None


def _a(code: str, name: str, kind: AccountType, role: Role | None) -> ChartAccount:
    return ChartAccount(Account(code, name, kind), role.value if role else None)


_A, _L, _E, _R, _X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.REVENUE,
    AccountType.EXPENSE,
)

RETAIL: tuple[ChartAccount, ...] = (
    _a("1000", "Bank", _A, Role.BANK),
    _a("1100", "Accounts receivable", _A, Role.ACCOUNTS_RECEIVABLE),
    _a("1900", "Currency conversion", _A, Role.CURRENCY_CONVERSION),
    _a("1999", "Suspense", _A, Role.SUSPENSE),
    _a("2100", "Sales tax payable", _L, Role.SALES_TAX_PAYABLE),
    _a("2200", "Gift card liability", _L, Role.GIFT_CARD_LIABILITY),
    _a("3000", "Opening balance equity", _E, Role.OPENING_EQUITY),
    _a("4000", "Sales", _R, Role.SALES),
    _a("4100", "Shipping income", _R, Role.SHIPPING_INCOME),
    _a("4200", "Discounts", _R, Role.DISCOUNTS),
    _a("4300", "Sales returns", _R, Role.SALES_RETURNS),
    _a("6100", "Payment processing fees", _X, Role.PROCESSING_FEES),
    _a("6200", "Chargebacks", _X, Role.CHARGEBACKS),
    _a("6300", "Bank fees", _X, Role.BANK_FEES),
    _a("7100", "Realised FX gain/loss", _R, Role.FX_REALISED),
    _a("7110", "Unrealised FX gain/loss", _R, Role.FX_UNREALISED),
    _a("7900", "Rounding differences", _X, Role.ROUNDING),
)

CHARTS: dict[str, tuple[ChartAccount, ...]] = {"retail": RETAIL, "empty": ()}


def chart(name: str) -> tuple[ChartAccount, ...]:
    try:
        return CHARTS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown chart {name!r}; choose one of: {', '.join(sorted(CHARTS))}", field="chart"
        ) from None


CLEARING_CODE_START = 1201
"""Clearing accounts are numbered 1201, 1202, … in the order connections are added."""
