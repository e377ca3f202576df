"""What every rule needs besides its event: the connection, the account map, the rates and the
book's base currency, plus the one place drafts become a :class:`JournalEntry`.

Every entry is dated with the event's ``occurred_at`` in UTC (a naive timestamp is refused: a
ledger date must not depend on the server's time zone), keyed ``(connection, external_id, kind)``
for idempotency, and converted to base at that date's rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import Payment, PaymentKind
from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalEntry, SourceKey
from ledgerbridge.posting.accounts import AccountMap
from ledgerbridge.posting.conversion import to_lines
from ledgerbridge.posting.drafts import Draft, net
from ledgerbridge.posting.rates import RateTable


class Occurrence(Protocol):
    """The part every canonical event shares."""

    @property
    def external_id(self) -> str: ...

    @property
    def occurred_at(self) -> dt.datetime: ...

    @property
    def kind(self) -> str: ...


def event_date(occurred_at: dt.datetime) -> dt.date:
    """The UTC calendar date of an aware timestamp."""
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise InvalidInput(
            f"event time {occurred_at.isoformat()} has no time zone", field="occurred_at"
        )
    return occurred_at.astimezone(dt.UTC).date()


@dataclass(frozen=True, slots=True)
class PostingContext:
    """The book-side inputs of a rule; built once per event by :func:`~.rules.post`."""

    connection: str
    accounts: AccountMap
    rates: RateTable
    base_currency: str

    def role(self, role: str, **facts: str | None) -> str:
        """The account for ``role`` on a line with ``facts`` (``sku``, ``gateway`` …), so a
        mapping's rules can route it; without rules, the role's account."""
        return self.accounts.code(role, **facts)

    @property
    def clearing(self) -> str:
        """The connection's own clearing account."""
        return self.accounts.clearing(self.connection)

    def tender_account(self, payment: Payment) -> str:
        """Where money taken (or returned) by one tender sits.

        A card payment sits in its gateway's clearing until paid out; a gift card or store
        credit draws on (or refills) the gift-card liability; a manual payment is a receivable
        until the bank statement shows it.
        """
        kind = payment.kind.value
        if payment.kind is PaymentKind.CARD:
            return self.accounts.for_gateway(self.connection, payment.gateway, payment_kind=kind)
        role = (
            Role.ACCOUNTS_RECEIVABLE
            if payment.kind is PaymentKind.MANUAL
            else Role.GIFT_CARD_LIABILITY
        )
        return self.role(role, gateway=payment.gateway, payment_kind=kind)

    def entry(
        self,
        event: Occurrence,
        drafts: Sequence[Draft],
        description: str,
        *,
        kind: str | None = None,
        external_id: str | None = None,
        dimensions: Mapping[str, str | None] | None = None,
    ) -> JournalEntry | None:
        """The balanced entry for ``drafts`` (netted, debits listed first), or None when they
        net to nothing."""
        netted = sorted(net(drafts), key=lambda draft: not draft.amount.is_positive())
        if not netted:
            return None
        on = event_date(event.occurred_at)
        lines = to_lines(
            netted, base=self.base_currency, on=on, rates=self.rates, accounts=self.accounts
        )
        return JournalEntry(
            date=on,
            description=description,
            base_currency=self.base_currency,
            source=SourceKey(self.connection, external_id or event.external_id, kind or event.kind),
            lines=tuple(lines),
            dimensions={k: v for k, v in (dimensions or {}).items() if v is not None},
        )
