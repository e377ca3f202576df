"""The FastAPI application and what it holds: the database, open connections, the worker."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge import __version__
from ledgerbridge.api import dashboard, errors, v1, v1_mappings, webhooks
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.api.ratelimit import RateLimiter
from ledgerbridge.apikeys import KeyCache
from ledgerbridge.clock import utcnow
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.pipeline.worker import WorkerLoop
from ledgerbridge.posting.rates import RateTable
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork

DEFAULT_MAX_BODY = 1024 * 1024
"""1 MiB: Shopify's largest order payloads are a few hundred KiB."""


@dataclass
class AppState:
    db: Database
    box: SecretBox
    directory: ConnectionDirectory
    metrics: Metrics
    loop: WorkerLoop | None = None
    clock: Callable[[], dt.datetime] = utcnow
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_backlog: int = 10_000
    max_dead: int = 100
    on_stored: Callable[[int], None] | None = field(default=None)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    """Per-connection webhook rate limit (429 with Retry-After past it)."""
    rates: RateTable | None = None
    """The book's rate provider, for ``/api/v1/fx/rates``."""
    keys: KeyCache | None = None


def create_app(state: AppState) -> FastAPI:
    if state.loop is not None and state.on_stored is None:
        state.on_stored = state.loop.wake
    if state.keys is None:
        state.keys = KeyCache(state.db)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if state.loop is not None:
            state.loop.start()
        try:
            yield
        finally:
            if state.loop is not None:
                await run_in_threadpool(state.loop.stop)

    app = FastAPI(title="ledgerbridge", version=__version__, lifespan=lifespan)
    app.state.ledgerbridge = state
    errors.install(app)

    app.add_middleware(RequestIdMiddleware)

    app.include_router(webhooks.router)
    app.include_router(v1.router)
    app.include_router(v1_mappings.router)
    app.include_router(dashboard.router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        return _readiness(state)

    @app.get("/metrics")
    def metrics() -> Response:
        _refresh_gauges(state)
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


class RequestIdMiddleware:
    """Every log line of a request carries its id; the caller's X-Request-ID is kept and
    echoed. Plain ASGI rather than ``BaseHTTPMiddleware``, which costs a task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = given.decode("latin-1")[:128] or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-request-id", rid.encode("latin-1")),
                    ],
                }
            await send(message)

        await self.app(scope, receive, send_with_id)


def _queue_figures(state: AppState) -> tuple[int, int, float]:
    with UnitOfWork(state.db) as uow:
        counts = uow.inbox.counts()
        oldest = uow.inbox.oldest_pending()
    backlog = sum(n for (_, status), n in counts.items() if status in ("received", "failed"))
    dead = sum(n for (_, status), n in counts.items() if status == EventStatus.DEAD.value)
    age = (state.clock() - oldest).total_seconds() if oldest else 0.0
    return backlog, dead, max(age, 0.0)


def _refresh_gauges(state: AppState) -> None:
    backlog, dead, age = _queue_figures(state)
    state.metrics.backlog.set(backlog)
    state.metrics.dead.set(dead)
    state.metrics.oldest_unposted.set(age)
    with UnitOfWork(state.db, read_only=True) as uow:
        state.metrics.open_discrepancies.set(len(uow.reconciliation.discrepancies(status="open")))
        deposits, matched = uow.bank.deposit_counts()
    state.metrics.match_rate.set(matched / deposits if deposits else 1.0)


def _readiness(state: AppState) -> JSONResponse:
    try:
        with state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        backlog, dead, age = _queue_figures(state)
    except Exception:  # any failure to reach the store means not ready
        return JSONResponse(
            status_code=503, content={"ready": False, "reason": "database unreachable"}
        )
    problems = []
    if backlog > state.max_backlog:
        problems.append(f"backlog {backlog} over {state.max_backlog}")
    if dead > state.max_dead:
        problems.append(f"dead letters {dead} over {state.max_dead}")
    body: dict[str, object] = {
        "ready": not problems,
        "backlog": backlog,
        "dead": dead,
        "oldest_unposted_s": age,
    }
    if problems:
        body["reason"] = "; ".join(problems)
    return JSONResponse(status_code=503 if problems else 200, content=body)
