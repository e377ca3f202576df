"""What the ledger already holds about an order or a dispute, loaded by the service before it
calls a rule.

Rules are pure, so they cannot look anything up; instead the service passes a
:class:`PriorState`. For an order that is the snapshot last booked for it (by OrderPaid,
OrderPending or the latest OrderEdited), how it was booked (:class:`Booking`) and the order's
journal entries; for a dispute, the stage last booked for it. :data:`NOTHING_POSTED` is the state
of a thing the ledger has never seen.

An event that needs an earlier one which has not been posted yet (a refund before its order, a
dispute won before it was opened) raises :class:`MissingPrerequisite`, which is *retryable*:
webhooks arrive out of order, and the worker tries again later instead of failing the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.events import DisputeStage, OrderSnapshot
from ledgerbridge.ledger.entries import JournalEntry

DISPUTE_ID = "dispute_id"
"""Entry dimension naming the dispute an entry was booked for."""
DISPUTE_STAGE = "dispute_stage"
"""Entry dimension naming the stage (``opened``, ``won``, ``lost``) an entry booked."""


class MissingPrerequisite(LedgerBridgeError):
    """An event depends on one not posted yet; the worker retries it later."""

    code = "missing_prerequisite"
    retryable: ClassVar[bool] = True


class Booking(StrEnum):
    PENDING = "pending"
    """Booked as a receivable (OrderPending): the customer still owes the total."""
    PAID = "paid"
    """Booked as paid (OrderPaid, or a pending order's settlement)."""


@dataclass(frozen=True, slots=True)
class PriorState:
    """The ledger's knowledge of the thing an event is about; empty when it has none.

    ``order`` and ``booking`` come together: the snapshot last booked for the order and whether
    that booking left a receivable. ``entries`` are the order's journal entries, reversals
    included, so a cancellation can see what is still standing. ``disputes`` maps a dispute id to
    the stage last booked for it (:func:`dispute_stages` derives it from the dispute's entries).
    """

    order: OrderSnapshot | None = None
    booking: Booking | None = None
    entries: tuple[JournalEntry, ...] = ()
    disputes: Mapping[str, DisputeStage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.order is None) != (self.booking is None):
            raise InvalidInput(
                "prior state needs both the booked order snapshot and how it was booked",
                field="booking",
            )
        object.__setattr__(self, "entries", tuple(self.entries))
        object.__setattr__(self, "disputes", MappingProxyType(dict(self.disputes)))

    @property
    def order_posted(self) -> bool:
        return self.booking is not None


NOTHING_POSTED = PriorState()


def dispute_stages(entries: Iterable[JournalEntry]) -> dict[str, DisputeStage]:
    """The last booked stage of each dispute, from the dimensions dispute entries carry."""
    stages: dict[str, DisputeStage] = {}
    for entry in entries:
        dispute_id = entry.dimensions.get(DISPUTE_ID)
        stage = entry.dimensions.get(DISPUTE_STAGE)
        if isinstance(dispute_id, str) and isinstance(stage, str):
            stages[dispute_id] = DisputeStage(stage)
    return stages
