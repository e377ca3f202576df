"""The built-in demo store: realistic signed deliveries sent to a running ledgerbridge."""
