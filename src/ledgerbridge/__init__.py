"""ledgerbridge: e-commerce platforms and payment gateways, posted to a double-entry ledger."""

__version__ = "0.1.0"
