"""Magento 2 history: invoices and credit memos pulled from the REST API into the inbox.

Magento Open Source has no outbound webhooks, so this is its main path (Adobe Commerce's
webhooks may run beside it; both post once, see below).

Streams, in posting order: ``invoices`` (``GET /V1/invoices``) then ``creditmemos``
(``GET /V1/creditmemos``), each "updated on or after ``since``" by ``entity_id``, paged with
``searchCriteria`` and ended by ``total_count`` (Magento repeats the last page when asked past
the end; see :mod:`ledgerbridge.connectors.magento_api`). The cursor is the next page number.

What is filed (the connector's ``parse`` reads each as the webhook it stands for):

* an invoice under ``observer.sales_order_invoice_pay`` as ``{"invoice": …, "order": …}``: an
  invoice names neither the payment method nor the order's number, its order does
  (``GET /V1/orders/{order_id}``, fetched once per order per sync);
* a credit memo under ``observer.sales_order_creditmemo_save_after`` as ``{"creditmemo": …,
  "order": …}``, plus ``"invoice_ids": […]`` (the order's invoices) when it names no invoice.

Dedupe key ``api:<entity>:<entity_id>@<updated_at>``: a second sync of unchanged history stores
nothing, and an invoice that was open and is now paid is stored again, and posts. The events
are keyed ``invoice:<id>`` / ``creditmemo:<id>``, exactly as the webhook's, so a resource that
came both ways posts once.

:func:`webhook_extra` is the enrichment for webhooks: the same order (and invoice ids) for an
invoice or credit memo that Commerce posted to us, when the connection has API access.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.connectors.base import PayloadInvalid, load_object
from ledgerbridge.connectors.magento import CREDITMEMO_TOPIC, INVOICE_TOPIC, topic_entity
from ledgerbridge.connectors.magento_api import PAGE_SIZE, MagentoApi, exact_json, magento_client
from ledgerbridge.services.connections import OpenConnection
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient


def _text_id(value: object, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value) in ("", "0"):
        raise PayloadInvalid(f"Magento {what} has no usable id", field=what)
    return str(value)


def compose(kind: str, entity: dict[str, Any], api: MagentoApi) -> dict[str, Any]:
    """The pulled body for one invoice or credit memo: the entity with its order (and, for a
    credit memo that names no invoice, the order's invoice ids)."""
    order_id = _text_id(entity.get("order_id"), f"{kind}.order_id")
    body: dict[str, Any] = {kind: entity, "order": api.order(order_id)}
    if kind == "creditmemo" and entity.get("invoice_id") in (None, "", 0, "0"):
        body["invoice_ids"] = api.invoice_ids(order_id)
    return body


@dataclass
class MagentoStream:
    """One of ``invoices`` / ``creditmemos``; ``api`` is shared so orders are fetched once."""

    name: str
    kind: str
    topic: str
    api_of: Callable[[ApiClient], MagentoApi]

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        api = self.api_of(client)
        number = int(cursor) if cursor and cursor.isdigit() else 1
        found = api.search(self.name, since=since, page=number)
        items = []
        for entity in found.items:
            entity_id = _text_id(entity.get("entity_id"), f"{self.kind}.entity_id")
            version = entity.get("updated_at") or entity.get("created_at") or ""
            items.append(
                Pulled(
                    topic=self.topic,
                    external_id=f"api:{self.kind}:{entity_id}@{version}",
                    body=exact_json(compose(self.kind, entity, api)),
                )
            )
        return Page(
            tuple(items),
            cursor=None if found.last else str(number + 1),
            total=found.total_count,
        )


class MagentoPuller:
    """The Magento puller; see the module docstring. ``api_url`` is ``…/rest/<store code>``,
    ``api_token`` an integration access token."""

    platform = "magento"

    def __init__(self, *, page_size: int | None = None) -> None:
        self.page_size = page_size

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        return magento_client(source.api_url, source.api_token, sleep=sleep)

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        apis: dict[int, MagentoApi] = {}

        def api_of(client: ApiClient) -> MagentoApi:
            # One cache per client, i.e. per sync run: orders shared by both streams.
            if id(client) not in apis:
                apis[id(client)] = MagentoApi(client, page_size=self.page_size or PAGE_SIZE)
            return apis[id(client)]

        return (
            MagentoStream("invoices", "invoice", INVOICE_TOPIC, api_of),
            MagentoStream("creditmemos", "creditmemo", CREDITMEMO_TOPIC, api_of),
        )


def webhook_extra(connection: OpenConnection, topic: str, body: bytes) -> Mapping[str, Any]:
    """The order (and a credit memo's invoice ids) of a webhook's invoice or credit memo.

    Nothing without API access, or when the body already carries them (pulled bodies do).
    Raises PlatformUnavailable (retried) or PlatformRequestFailed.
    """
    kind = topic_entity(topic)
    url, token = connection.stored.api_url, connection.api_token
    if kind not in ("invoice", "creditmemo") or not url or not token:
        return {}
    try:
        root = load_object(body)
    except PayloadInvalid:
        return {}  # parse will say what is wrong with it
    data = root.get("data") if "eventName" in root else root
    if not isinstance(data, dict) or "order" in data:
        return {}
    entity = data.get(kind, data)
    if not isinstance(entity, dict) or entity.get("order_id") in (None, "", 0, "0"):
        return {}
    with magento_client(url, token) as client:
        return {k: v for k, v in compose(kind, entity, MagentoApi(client)).items() if k != kind}
