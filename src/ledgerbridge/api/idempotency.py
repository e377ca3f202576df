"""``Idempotency-Key`` on API writes: a retried POST gets the first answer, never a second effect.

A client that times out cannot know whether its write happened. With a key it can simply send
the same request again (after Stripe; formance's ``fetchLogWithIK``; the IETF
``Idempotency-Key`` header draft):

1. The first request with a key *reserves* it: an insert-or-ignore of (API key name, key,
   method and path, sha256 of the canonical request) with no answer yet. Keys are per API key,
   so two callers cannot collide.
2. It runs the operation and *completes* the row with the status and JSON body it answers.
3. A request that finds the key taken re-reads that row. Another method, path, query or body
   → 409 ``idempotency_key_reused``. The same request, completed → the stored answer again,
   with ``Idempotency-Hit: true``. The same request still running (two retries racing) → it
   waits a little for the winner and answers what the winner answered; if the winner is still
   busy after that, 409 ``idempotency_key_in_progress``, and the client retries later.

Why reserve first instead of recording the key in the operation's own transaction: services own
their transactions (STYLE §9) and the routes call them unchanged, exactly as the CLI does. The
reservation is what stops two concurrent duplicates from both acting.

What is stored: an expected failure (4xx) is an answer like any other, so the same request gets
the same error again; a 5xx or an unexpected error *releases* the key, so a retry runs afresh.
A process that dies between reserving and completing (or cannot reach the database to record
the answer) leaves a key with no answer; after ``RESERVATION_LEASE`` a retry takes it over and
runs the operation. That is safe because every
operation behind our POSTs is itself harmless to repeat: a replay re-queues, an import skips
lines it knows, a run records each finding once, resolving twice is refused, a connection name
is unique.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import and_, delete, select, update
from starlette.concurrency import run_in_threadpool

from ledgerbridge.apikeys import Principal
from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.ledger.serialize import canonical_bytes
from ledgerbridge.store.database import Database
from ledgerbridge.store.tables import idempotency_keys
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.store.upsert import insert_ignoring

log = structlog.get_logger("ledgerbridge.api")

HEADER = "Idempotency-Key"
HIT_HEADER = "Idempotency-Hit"
MAX_KEY_LENGTH = 255
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")

RESERVATION_LEASE = dt.timedelta(minutes=5)
"""How long a key may stay reserved without an answer before a retry may take it over; longer
than any of our operations runs."""
WAIT_FOR_WINNER_S = 5.0
"""How long a retry waits for a racing first request to answer before it gets 409 in progress."""
POLL_S = 0.05


class IdempotencyKeyReused(LedgerBridgeError):
    code = "idempotency_key_reused"
    http_status = 409


class IdempotencyKeyInProgress(LedgerBridgeError):
    code = "idempotency_key_in_progress"
    http_status = 409


def idempotency_key(
    value: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description=(
                "Makes this write safe to retry: the same key with the same request answers "
                "the first response again (with `Idempotency-Hit: true`); with another request, "
                "409. 1-255 visible ASCII characters, e.g. a UUID; one per API key."
            ),
            json_schema_extra={"maxLength": MAX_KEY_LENGTH},
        ),
    ] = None,
) -> str | None:
    """The request's Idempotency-Key, if any. Raises InvalidInput for a malformed key."""
    if value is not None and not _KEY.fullmatch(value):
        raise InvalidInput(
            f"an {HEADER} is 1 to {MAX_KEY_LENGTH} visible ASCII characters", field=HEADER
        )
    return value


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What identifies one request under one key."""

    api_key: str
    key: str
    request: str
    """Method and path: ``POST /api/v1/events/7/replay``."""
    request_hash: str
    """sha256 of the canonical query and body."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A stored answer; ``status`` is None while the first request still runs."""

    id: int
    status: int | None
    body: Any
    reserved_at: dt.datetime


def fingerprint(request: Request, principal: Principal, key: str, body: Any) -> Fingerprint:
    """``body`` is the request's canonical form (a validated model's dump, a file's sha256), so
    whitespace or key order in the client's JSON does not make a retry look different."""
    query = sorted(request.query_params.multi_items())
    digest = hashlib.sha256(canonical_bytes({"query": query, "body": body})).hexdigest()
    return Fingerprint(principal.name, key, f"{request.method} {request.url.path}"[:300], digest)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def claim(db: Database, fp: Fingerprint, now: dt.datetime) -> int | Answer | None:
    """Reserve the key: its row id when this request must run the operation, the stored
    ``Answer`` when another request has it, None when it vanished meanwhile (try again).

    Raises IdempotencyKeyReused when the key was used for a different request.
    """
    with UnitOfWork(db) as uow:
        reserved = insert_ignoring(
            uow.connection,
            idempotency_keys,
            [idempotency_keys.c.api_key, idempotency_keys.c.key],
            {
                "api_key": fp.api_key,
                "key": fp.key,
                "request": fp.request,
                "request_hash": fp.request_hash,
                "created_at": now,
            },
        )
        if reserved is not None:
            uow.commit()
            return reserved
        row = uow.connection.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.api_key == fp.api_key, idempotency_keys.c.key == fp.key
            )
        ).one_or_none()
        if row is None:
            return None
        if (row.request, row.request_hash) != (fp.request, fp.request_hash):
            raise IdempotencyKeyReused(
                f"this {HEADER} was used for another request ({row.request}); "
                "use a new key for a new request",
                field=HEADER,
            )
        answer = Answer(row.id, row.status, row.response, _aware(row.created_at))
        if answer.status is None and answer.reserved_at < now - RESERVATION_LEASE:
            taken = uow.connection.execute(
                update(idempotency_keys)
                .where(
                    and_(
                        idempotency_keys.c.id == answer.id,
                        idempotency_keys.c.status.is_(None),
                        idempotency_keys.c.created_at == row.created_at,
                    )
                )
                .values(created_at=now)
            )
            if taken.rowcount == 1:
                uow.commit()
                return answer.id
        return answer


def complete(db: Database, reservation: int, status: int, body: Any) -> None:
    with UnitOfWork(db) as uow:
        uow.connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.id == reservation)
            .values(status=status, response=body)
        )
        uow.commit()


def release(db: Database, reservation: int) -> None:
    """Forget a reservation whose request failed on our side, so a retry runs again."""
    try:
        with UnitOfWork(db) as uow:
            uow.connection.execute(
                delete(idempotency_keys).where(
                    idempotency_keys.c.id == reservation, idempotency_keys.c.status.is_(None)
                )
            )
            uow.commit()
    except Exception:  # the original failure matters more; the lease frees the key later
        log.warning("could not release an idempotency key", reservation=reservation)


def _replay(answer: Answer) -> JSONResponse:
    assert answer.status is not None
    return JSONResponse(answer.body, status_code=answer.status, headers={HIT_HEADER: "true"})


async def idempotent(
    request: Request,
    principal: Principal,
    key: str | None,
    operation: Callable[[], dict[str, Any]],
    *,
    body: Any,
    status_code: int = 200,
) -> JSONResponse:
    """Run ``operation`` (blocking; in a worker thread) at most once per key and request.

    ``body`` is the canonical request body; ``operation`` returns JSON-ready content, answered
    with ``status_code``. Without a key the operation simply runs.
    """
    if key is None:
        return JSONResponse(await run_in_threadpool(operation), status_code=status_code)
    state = request.app.state.ledgerbridge
    fp = fingerprint(request, principal, key, body)
    deadline = time.monotonic() + WAIT_FOR_WINNER_S
    while True:
        claimed = await run_in_threadpool(claim, state.db, fp, state.clock())
        if isinstance(claimed, int):
            return await _run(state.db, claimed, operation, status_code)
        if claimed is not None and claimed.status is not None:
            return _replay(claimed)
        if time.monotonic() > deadline:
            raise IdempotencyKeyInProgress(
                f"a request with this {HEADER} is still running; retry shortly", field=HEADER
            )
        await asyncio.sleep(POLL_S)


async def _run(
    db: Database, reservation: int, operation: Callable[[], dict[str, Any]], status_code: int
) -> JSONResponse:
    try:
        content = await run_in_threadpool(operation)
    except LedgerBridgeError as exc:
        if exc.http_status >= 500:
            await run_in_threadpool(release, db, reservation)
            raise
        status_code, content = exc.http_status, {"error": exc.as_dict()}
    except Exception:
        await run_in_threadpool(release, db, reservation)
        raise
    await run_in_threadpool(complete, db, reservation, status_code, content)
    return JSONResponse(content, status_code=status_code)
