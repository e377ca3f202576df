"""``POST /webhooks/{connection}``: verify, store raw, answer 202 — nothing else on this path.

Status codes (see the interface): 202 stored, also for a duplicate; 401 bad, missing or stale
signature; 400 unparseable body; 404 unknown connection; 413 body over the limit; 503 the store
is unavailable, so the platform retries later instead of believing us.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.pipeline.ingest import Receipt, receive

router = APIRouter()
log = structlog.get_logger("ledgerbridge.webhooks")


class BodyTooLarge(LedgerBridgeError):
    code = "body_too_large"
    http_status = 413


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body, refusing it as soon as it passes ``limit`` bytes (header or stream)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/{connection}", status_code=202)
async def webhook(connection: str, request: Request) -> JSONResponse:
    state = request.app.state.ledgerbridge
    structlog.contextvars.bind_contextvars(connection=connection)
    try:
        state.limiter.take(connection)
        body = await read_limited(request, state.max_body_bytes)
        receipt: Receipt = await run_in_threadpool(
            receive,
            state.db,
            state.directory,
            connection,
            body,
            dict(request.headers),
            now=state.clock(),
            on_stored=state.on_stored,
        )
    except LedgerBridgeError as exc:
        state.metrics.rejected.labels(exc.code).inc()
        raise
    outcome = "duplicate" if receipt.duplicate else receipt.status.value
    state.metrics.received.labels(connection, outcome).inc()
    log.info("delivery stored", event_id=receipt.event_id, topic=receipt.topic, outcome=outcome)
    return JSONResponse(
        status_code=202,
        content={
            "event_id": receipt.event_id,
            "duplicate": receipt.duplicate,
            "status": receipt.status.value,
            "topic": receipt.topic,
        },
    )
