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

Rules (a connection's mapping document, see :mod:`ledgerbridge.mapping`): an ordered list of
:class:`AccountRule` — *role, conditions, account* — where the first rule whose conditions all
match wins, and the role's own code answers when none does. Conditions are matched against
*facts*: the event's (currency, country, channel, merchant code …, set once with
:meth:`AccountMap.with_facts`) and the line's, which the posting rule passes when it asks
(``sku`` and ``product_type`` for a sales line, ``gateway`` for a tender, ``tax_jurisdiction``
for a tax line …). A line's facts win over the event's. Rules stay pure data, so the same
rule set answers the same way in the worker, in ``mapping test`` and in property tests::

    accounts = AccountMap.of(codes, rules=[AccountRule("sales", "4100", {"sku": ("GC-*",)})])
    accounts.code("sales", sku="GC-50")   # "4100"
    accounts.code("sales", sku="MUG-1")   # codes["sales"]

Without rules and facts every answer is exactly what it was before rules existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from types import MappingProxyType

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.ledger.chart import ChartAccount, clearing_role

CLEARING = "clearing"
"""The role a rule names for the connection's clearing (or its gateway's), whatever its code."""


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
class AccountRule:
    """Book ``role`` on ``account`` when every condition holds. A condition names a fact and
    the glob patterns it may match (``"GC-*"``, ``"paypal"``); a fact the line does not have
    fails the condition, so a rule on ``sku`` never catches a tender line."""

    role: str
    account: str
    when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        frozen = {name: tuple(patterns) for name, patterns in self.when.items()}
        object.__setattr__(self, "when", MappingProxyType(frozen))

    def matches(self, facts: Mapping[str, str]) -> bool:
        for name, patterns in self.when.items():
            value = facts.get(name)
            if value is None or not any(fnmatchcase(value, p) for p in patterns):
                return False
        return True


def _text_facts(facts: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in facts.items() if value is not None}


@dataclass(frozen=True, slots=True)
class AccountMap:
    """Role → account code, plus gateway name → clearing account code, plus ordered rules and
    the event's facts they match on. Frozen on construction."""

    codes: Mapping[str, str]
    gateway_clearing: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[AccountRule, ...] = ()
    facts: Mapping[str, str] = field(default_factory=dict)
    """The event's facts (currency, channel, merchant code …); a line's own facts win."""
    sku_facts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Extra facts of a line by its SKU (a mapping's per-line dimensions, e.g. category)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))
        object.__setattr__(self, "gateway_clearing", MappingProxyType(dict(self.gateway_clearing)))
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "facts", MappingProxyType(dict(self.facts)))
        object.__setattr__(
            self,
            "sku_facts",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.sku_facts.items()}),
        )

    @classmethod
    def of(
        cls,
        codes: Mapping[str, str],
        *,
        gateway_clearing: Mapping[str, str] | None = None,
        rules: Sequence[AccountRule] = (),
    ) -> AccountMap:
        return cls(codes, gateway_clearing or {}, tuple(rules))

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

    def with_facts(
        self,
        facts: Mapping[str, str | None],
        *,
        sku_facts: Mapping[str, Mapping[str, str]] | None = None,
    ) -> AccountMap:
        """The same map answering for one event: ``facts`` are what rules match besides the
        line's own facts."""
        return replace(self, facts=_text_facts(facts), sku_facts=dict(sku_facts or {}))

    def _ruled(self, role: str, line: Mapping[str, str | None]) -> str | None:
        if not self.rules:
            return None
        facts = {**self.facts, **_text_facts(line)}
        sku = facts.get("sku")
        if sku is not None and sku in self.sku_facts:
            facts = {**self.sku_facts[sku], **facts}
        for rule in self.rules:
            if rule.role == role and rule.matches(facts):
                return rule.account
        return None

    def code(self, role: str, **facts: str | None) -> str:
        """The account code for ``role`` on a line with ``facts``: the first matching rule's,
        else the role's own; raises :class:`UnknownRole`."""
        ruled = self._ruled(role, facts)
        if ruled is not None:
            return ruled
        try:
            return self.codes[role]
        except KeyError:
            raise UnknownRole(role) from None

    def clearing(self, connection: str, **facts: str | None) -> str:
        """The clearing account of a connection (role ``clearing:<connection>``), unless a
        rule on ``clearing`` routes these facts elsewhere."""
        ruled = self._ruled(CLEARING, facts)
        return ruled if ruled is not None else self.code(clearing_role(connection))

    def for_gateway(self, connection: str, gateway: str | None, **facts: str | None) -> str:
        """The clearing account for money taken through ``gateway`` on ``connection``: a
        matching ``clearing`` rule, else the gateway's routing, else the connection's."""
        ruled = self._ruled(CLEARING, {**facts, "gateway": gateway})
        if ruled is not None:
            return ruled
        if gateway is not None and gateway in self.gateway_clearing:
            return self.gateway_clearing[gateway]
        return self.code(clearing_role(connection))
