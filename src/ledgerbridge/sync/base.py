"""The puller port: how a platform's history is read page by page into the inbox.

A backfill must end in the same place as the webhooks it replaces. So a puller does not post and
does not invent a format of its own: every resource it pulls becomes one :class:`Pulled` item,
the JSON body the platform's API returned for it, filed under the *topic a webhook would carry*
(``orders/paid``, ``charge.succeeded``, ``PAYMENT.CAPTURE.COMPLETED``…). The connector's ordinary
``parse`` reads it, the posting rules post it, and because entries are idempotent on their
source key (connection, platform id, kind), an order that arrives by webhook *and* by backfill
posts once.

Paging is resumable: each :class:`Page` says where the next one starts (``cursor``), and the sync
service commits a page's items together with that cursor, so an interrupted sync starts again
at the first page it had not stored. A cursor is whatever the platform pages by (a Link URL, a
``starting_after`` id, a page number, a Square cursor), as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ledgerbridge.sync.http import ApiClient


@dataclass(frozen=True, slots=True)
class Pulled:
    """One API resource, as the inbox will hold it."""

    topic: str
    """The topic a webhook about this resource would carry; the connector's ``parse`` accepts it."""
    external_id: str
    """The inbox dedupe key: stable for the same resource in the same state, so a second sync
    adds nothing (``api:<topic>:<id>``, with a version such as ``updated_at`` where the resource
    changes and each state should post, e.g. refunds added to an order)."""
    body: bytes
    """The resource's JSON bytes, as the API returned them where possible."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers the connector's ``delivery``/``parse`` need (e.g. a topic header)."""


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Pulled, ...]
    cursor: str | None
    """Where the next page starts; None when this stream has no more pages."""
    total: int | None = None
    """How many items the whole stream holds, where the platform says (for the progress bar)."""


@dataclass(frozen=True, slots=True)
class SyncSource:
    """What a puller knows of the connection: its API and settings, never the webhook secret."""

    name: str
    platform: str
    api_url: str
    api_token: str
    settings: Mapping[str, Any] = field(default_factory=dict)


class Stream(Protocol):
    """One kind of resource a platform lists (orders, refunds, payouts …), paged on its own."""

    @property
    def name(self) -> str: ...

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        """The page that starts at ``cursor`` (None: the first page of resources created or
        updated on or after ``since``). Raises PlatformUnavailable (retryable: the sync stops
        and resumes here) or PlatformRequestFailed / PayloadInvalid."""
        ...


class Puller(Protocol):
    """A platform's history: an API client configured for the connection, and its streams."""

    @property
    def platform(self) -> str: ...

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        """An :class:`ApiClient` with the platform's base URL and authentication (``sleep`` is
        passed through to it, so tests wait for nothing)."""
        ...

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        """The streams to pull, in the order they should be posted (orders before refunds)."""
        ...
