"""Which account code answers each role a posting rule asks for.

Rules never name account numbers. They ask for a role (``sales``, ``sales_tax_payable``,
``clearing:shop-eu`` …, see :class:`~ledgerbridge.ledger.chart.Role`) and an :class:`AccountMap`
answers with the code the book assigned to it. The map is plain data, so the mapping feature can
build it from a user's configuration and the service can hand one frozen copy to every rule.

Gateway routing: a Shopify store whose card payments mostly go through ``shopify_payments``
but some through ``paypal`` keeps one clearing account per gateway, so each clearing balance is
exactly the money that gateway still holds. ``gateway_clearing`` maps a gateway name to the
account code of its clearing; a gateway not listed falls back to the connection's clearing::

    accounts = AccountMap.of({"clearing:shop": "1201", ...}, gateway_clearing={"paypal": "1203"})
    accounts.for_gateway("shop", "paypal")            # "1203"
    accounts.for_gateway("shop", "shopify_payments")  # "1201", the connection's clearing
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.ledger.chart import ChartAccount, clearing_role


class UnknownRole(LedgerBridgeError):
    """A rule asked for a role no account is assigned to; ``role`` names it."""

    code = "unknown_account_role"

    def __init__(self, role: str) -> None:
        super().__init__(
            f"no account is assigned to the role {role!r}; add it to the account mapping",
            field="role",
        )
        self.role = role


@dataclass(frozen=True, slots=True)
class AccountMap:
    """Role → account code, plus gateway name → clearing account code. Frozen on construction."""

    codes: Mapping[str, str]
    gateway_clearing: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))
        object.__setattr__(self, "gateway_clearing", MappingProxyType(dict(self.gateway_clearing)))

    @classmethod
    def of(
        cls, codes: Mapping[str, str], *, gateway_clearing: Mapping[str, str] | None = None
    ) -> AccountMap:
        return cls(codes, gateway_clearing or {})

    @classmethod
    def from_chart(
        cls,
        chart: Iterable[ChartAccount],
        *,
        extra: Mapping[str, str] | None = None,
        gateway_clearing: Mapping[str, str] | None = None,
    ) -> AccountMap:
        """The roles of a built-in chart, plus ``extra`` roles (a connection's clearing …)."""
        codes = {entry.role: entry.account.code for entry in chart if entry.role is not None}
        return cls({**codes, **(extra or {})}, gateway_clearing or {})

    def code(self, role: str) -> str:
        """The account code assigned to ``role``; raises :class:`UnknownRole`."""
        try:
            return self.codes[role]
        except KeyError:
            raise UnknownRole(role) from None

    def clearing(self, connection: str) -> str:
        """The clearing account of a connection (role ``clearing:<connection>``)."""
        return self.code(clearing_role(connection))

    def for_gateway(self, connection: str, gateway: str | None) -> str:
        """The clearing account for money taken through ``gateway`` on ``connection``."""
        if gateway is not None and gateway in self.gateway_clearing:
            return self.gateway_clearing[gateway]
        return self.clearing(connection)
