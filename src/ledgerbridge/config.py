"""Settings from the environment (``LEDGERBRIDGE_*``); CLI flags override them."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./ledgerbridge.db"
DEFAULT_KEY_FILE = Path(".ledgerbridge.key")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERBRIDGE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    base_currency: str = "USD"
    secret_key: str | None = None
    """Fernet key that encrypts connection secrets; read from ``key_file`` when unset."""
    key_file: Path = DEFAULT_KEY_FILE
    fx_provider: str = "ecb"
    reconcile_every_hours: float = 24.0
    """How often ``serve`` reconciles on its own; 0 turns it off (run ``reconcile`` from cron)."""
    catchup_every_minutes: float = 60.0
    """How often ``serve`` pulls recent history from every connection with API access, to heal
    missed webhooks; 0 turns it off."""
    catchup_days: int = 2
    """How far back each catch-up looks."""
    discrepancy_webhook: str | None = None
    """Slack-compatible incoming-webhook URL told about new discrepancies."""
    webhook_rate_per_s: float = 200.0
    """Deliveries a second each connection may send on average (twice that in a burst)."""
    log_format: str | None = None
    """``console`` or ``json``; by default console on a terminal, JSON otherwise."""
