"""Accounts of the chart: a code people type, a name people read, and a type that fixes the sign.

The five types are the classic ones. Asset and expense accounts grow with debits; liability,
equity and revenue accounts grow with credits. Contra accounts (discounts, sales returns) are
simply revenue accounts that normally carry a debit balance; nothing special is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ledgerbridge.errors import InvalidInput, LedgerBridgeError, NotFound
from ledgerbridge.money import exponent


class AccountType(StrEnum):
    ASSET = "asset"
    """Money and claims the business holds: bank, clearing, receivables."""
    LIABILITY = "liability"
    """Money the business owes: sales tax payable, gift cards outstanding."""
    EQUITY = "equity"
    """Owners' stake; rarely touched by ledgerbridge itself."""
    REVENUE = "revenue"
    """Income from sales and shipping, and its contra accounts (discounts, returns)."""
    EXPENSE = "expense"
    """Costs: payment processing fees, chargebacks, bank fees."""

    @property
    def debit_normal(self) -> bool:
        """True where a debit increases the account (assets and expenses)."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class UnknownAccount(NotFound):
    code = "unknown_account"


class AccountExists(LedgerBridgeError):
    code = "account_exists"
    http_status = 409


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Account:
    """One account of the chart. ``currency`` restricts lines to one currency when set."""

    code: str
    name: str
    type: AccountType
    currency: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.fullmatch(self.code):
            raise InvalidInput(
                f"account code {self.code!r} must be 1-32 letters, digits, '.', '_' or '-'",
                field="code",
            )
        if not self.name.strip():
            raise InvalidInput("account name must not be empty", field="name")
        if self.currency is not None:
            exponent(self.currency)  # raises UnknownCurrency
        try:
            object.__setattr__(self, "type", AccountType(self.type))
        except ValueError:
            kinds = ", ".join(t.value for t in AccountType)
            raise InvalidInput(
                f"account type {self.type!r} is not one of {kinds}", field="type"
            ) from None

    def renamed(self, name: str) -> Account:
        return Account(self.code, name, self.type, self.currency)
