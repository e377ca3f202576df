"""Prometheus metrics of one running service (a registry per app, so tests stay independent)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.received = Counter(
            "ledgerbridge_events_received_total",
            "Verified deliveries by connection and outcome (new, duplicate, ignored).",
            ["connection", "outcome"],
            registry=r,
        )
        self.rejected = Counter(
            "ledgerbridge_webhooks_rejected_total",
            "Webhook requests refused, by error code.",
            ["code"],
            registry=r,
        )
        self.processed = Counter(
            "ledgerbridge_events_processed_total",
            "Worker outcomes by connection and status (posted, failed, dead, ignored).",
            ["connection", "status"],
            registry=r,
        )
        self.receive_to_posted = Histogram(
            "ledgerbridge_receive_to_posted_seconds",
            "Time from a delivery being stored to its entries being posted.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.backlog = Gauge(
            "ledgerbridge_inbox_backlog", "Events received or failed, not yet posted.", registry=r
        )
        self.dead = Gauge(
            "ledgerbridge_dead_letters", "Events in the dead-letter queue.", registry=r
        )
        self.open_discrepancies = Gauge(
            "ledgerbridge_open_discrepancies",
            "Reconciliation findings awaiting a person.",
            registry=r,
        )
        self.match_rate = Gauge(
            "ledgerbridge_reconciliation_match_rate",
            "Share of imported deposits matched to payouts (all time).",
            registry=r,
        )
        self.oldest_unposted = Gauge(
            "ledgerbridge_oldest_unposted_seconds",
            "Age of the oldest event not yet posted (0 when none).",
            registry=r,
        )
