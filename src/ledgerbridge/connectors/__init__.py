"""Platform connectors: signature verification and payload parsing, one module per platform.

``connector_for("shopify")`` returns the adapter for a platform; every adapter satisfies
:class:`~ledgerbridge.connectors.base.Connector`. The registry is an explicit dict, not a
plugin lookup by module name, so mypy and a reader see every platform in one place.
"""

from __future__ import annotations

from ledgerbridge.connectors.base import (
    Connector,
    Delivery,
    ParseResult,
    PayloadInvalid,
    PlatformRequestFailed,
    PlatformUnavailable,
    SignatureInvalid,
    TimestampOutsideTolerance,
    UnknownPlatform,
    UnsupportedTopic,
)
from ledgerbridge.connectors.bigcommerce import BigCommerceConnector
from ledgerbridge.connectors.magento import MagentoConnector
from ledgerbridge.connectors.paypal import PayPalConnector
from ledgerbridge.connectors.shopify import ShopifyConnector
from ledgerbridge.connectors.square import SquareConnector
from ledgerbridge.connectors.stripe import StripeConnector
from ledgerbridge.connectors.woocommerce import WooCommerceConnector

_REGISTRY: dict[str, Connector] = {
    "bigcommerce": BigCommerceConnector(),
    "magento": MagentoConnector(),
    "paypal": PayPalConnector(),
    "shopify": ShopifyConnector(),
    "square": SquareConnector(),
    "stripe": StripeConnector(),
    "woocommerce": WooCommerceConnector(),
}


def platforms() -> frozenset[str]:
    """Names ``connector_for`` accepts."""
    return frozenset(_REGISTRY)


def connector_for(platform: str) -> Connector:
    """The connector registered for ``platform``; raises UnknownPlatform otherwise."""
    try:
        return _REGISTRY[platform]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownPlatform(f"no connector for platform {platform!r} (known: {known})") from None


__all__ = [
    "Connector",
    "Delivery",
    "ParseResult",
    "PayloadInvalid",
    "PlatformRequestFailed",
    "PlatformUnavailable",
    "SignatureInvalid",
    "TimestampOutsideTolerance",
    "UnknownPlatform",
    "UnsupportedTopic",
    "connector_for",
    "platforms",
]
