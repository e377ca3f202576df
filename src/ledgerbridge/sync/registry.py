"""Pullers by platform: an explicit dict, like the connector registry, so every platform that
can be backfilled is visible in one place."""

from __future__ import annotations

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.sync.base import Puller
from ledgerbridge.sync.bigcommerce import BigCommercePuller
from ledgerbridge.sync.magento import MagentoPuller
from ledgerbridge.sync.paypal import PayPalPuller
from ledgerbridge.sync.shopify import ShopifyPuller
from ledgerbridge.sync.square import SquarePuller
from ledgerbridge.sync.stripe import StripePuller
from ledgerbridge.sync.woocommerce import WooCommercePuller

_PULLERS: dict[str, Puller] = {
    "bigcommerce": BigCommercePuller(),
    "magento": MagentoPuller(),
    "paypal": PayPalPuller(),
    "shopify": ShopifyPuller(),
    "square": SquarePuller(),
    "stripe": StripePuller(),
    "woocommerce": WooCommercePuller(),
}


class SyncUnsupported(LedgerBridgeError):
    """The platform has no history API we read (or none is registered)."""

    code = "sync_unsupported"
    http_status = 400


def puller_for(platform: str) -> Puller:
    try:
        return _PULLERS[platform]
    except KeyError:
        known = ", ".join(sorted(_PULLERS)) or "none"
        raise SyncUnsupported(
            f"no history sync for platform {platform!r} (available: {known})"
        ) from None


def syncable_platforms() -> frozenset[str]:
    return frozenset(_PULLERS)
