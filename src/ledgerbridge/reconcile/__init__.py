"""Bank reconciliation: statement lines matched to the payouts the ledger expects."""
