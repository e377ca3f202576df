"""HTTP edge: webhooks, health, metrics (and later the JSON API and dashboard)."""
