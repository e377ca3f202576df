"""Assemble the running parts from settings: database, secret box, rates, worker, HTTP app."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.api.app import AppState
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.api.ratelimit import RateLimiter
from ledgerbridge.config import Settings
from ledgerbridge.fx import provider
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.pipeline.worker import Outcome, Worker, WorkerLoop
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.store.database import Database, connect
from ledgerbridge.store.unit_of_work import UnitOfWork


@dataclass
class Runtime:
    settings: Settings
    db: Database
    box: SecretBox

    @classmethod
    def load(cls, database_url: str | None = None) -> Runtime:
        settings = Settings()
        if database_url:
            settings.database_url = database_url
        db = connect(settings.database_url)
        with UnitOfWork(db) as uow:
            uow.book.require()
        return cls(settings, db, SecretBox.from_settings(settings))

    def worker(self, metrics: Metrics | None = None) -> Worker:
        def observe(outcome: Outcome) -> None:
            if metrics is None:
                return
            metrics.processed.labels(outcome.connection or "", outcome.status.value).inc()
            if outcome.received_at is not None and outcome.finished_at is not None:
                latency = (outcome.finished_at - outcome.received_at).total_seconds()
                metrics.receive_to_posted.observe(latency)

        return Worker(
            self.db, self.box, provider(self.settings.fx_provider, db=self.db), on_processed=observe
        )

    def app_state(self, *, with_worker: bool = True) -> AppState:
        metrics = Metrics()
        loop = WorkerLoop(self.worker(metrics)) if with_worker else None
        return AppState(
            db=self.db,
            box=self.box,
            directory=ConnectionDirectory(self.db, self.box),
            metrics=metrics,
            loop=loop,
            rates=provider(self.settings.fx_provider, db=self.db),
            limiter=RateLimiter(
                rate_per_s=self.settings.webhook_rate_per_s,
                burst=2 * self.settings.webhook_rate_per_s,
            ),
        )
