"""``/api/v1`` events (the inbox and its dead letters) and connections.

Reading needs the read scope, replaying the write scope, connections the admin scope (they
hold webhook secrets). Secrets go in and never come out: listings show sync status only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.idempotency import IdempotencyKey, idempotent
from ledgerbridge.api.v1_common import (
    Admin,
    Reader,
    RecordId,
    Storable,
    Writer,
    app_state,
    failures,
    shaped,
)
from ledgerbridge.api.v1_schemas import (
    ConnectionCreated,
    ConnectionList,
    EventDetail,
    EventList,
    Replayed,
)
from ledgerbridge.connectors import platforms
from ledgerbridge.services import connections
from ledgerbridge.services import events as service
from ledgerbridge.store.inbox import EventStatus

if TYPE_CHECKING:  # the app module includes these routes, so it is imported after them
    from ledgerbridge.api.app import AppState

router = APIRouter()

ConnectionName = Annotated[str, Field(max_length=120), Storable]


@router.get(
    "/events",
    summary="List received events",
    response_description="Events, newest first.",
    tags=["events"],
    response_model=EventList,
    response_model_exclude_unset=True,
    responses=failures(400, 404),
)
async def list_events(
    request: Request,
    _: Reader,
    status: Annotated[EventStatus | None, Query(description="Only events in this state.")] = None,
    connection: Annotated[
        ConnectionName | None, Query(description="Only this connection (404 if unknown).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> dict[str, Any]:
    """Received events, newest first, as `events list --json`; `status=dead` is the
    dead-letter queue."""
    found = await run_in_threadpool(
        service.list_events,
        app_state(request).db,
        status=status,
        connection=connection,
        limit=limit,
    )
    return {"events": [service.event_summary(e) for e in found]}


@router.get(
    "/events/{event_id}",
    summary="One event",
    response_description="The event, its raw body and what it posted.",
    tags=["events"],
    response_model=EventDetail,
    response_model_exclude_unset=True,
    responses=failures(400, 404),
)
async def show_event(request: Request, _: Reader, event_id: RecordId) -> dict[str, Any]:
    """The event with its headers and raw body, its notices and the entries it posted, as
    `events show --json`."""
    return await run_in_threadpool(service.show_event, app_state(request).db, event_id)


def _replayed(state: AppState, ids: list[int]) -> dict[str, Any]:
    """Wake the in-process worker, so a replay posts now rather than at its next poll."""
    if state.on_stored is not None:
        for event_id in ids:
            state.on_stored(event_id)
    return shaped(Replayed, {"replayed": ids})


@router.post(
    "/events/{event_id}/replay",
    summary="Replay one event",
    response_description="The id of the event queued again.",
    tags=["events"],
    response_model=Replayed,
    responses=failures(400, 404, 409),
)
async def replay_event(
    request: Request, principal: Writer, key: IdempotencyKey, event_id: RecordId
) -> JSONResponse:
    """Make the event due again now, whatever its status but posted (409: reverse its entries
    instead), as `events replay ID`. Recorded in the audit trail."""
    state = app_state(request)

    def replay() -> dict[str, Any]:
        return _replayed(state, service.replay(state.db, [event_id], clock=state.clock))

    return await idempotent(request, principal, key, replay, body=None)


@router.post(
    "/events/replay-dead",
    summary="Replay every dead letter",
    response_description="The ids of the events queued again (none when none were dead).",
    tags=["events"],
    response_model=Replayed,
    responses=failures(400, 409),
)
async def replay_dead(request: Request, principal: Writer, key: IdempotencyKey) -> JSONResponse:
    """Make every dead-lettered event due again now, as `events replay --dead`."""
    state = app_state(request)

    def replay() -> dict[str, Any]:
        return _replayed(state, service.replay(state.db, dead=True, clock=state.clock))

    return await idempotent(request, principal, key, replay, body=None)


@router.get(
    "/connections",
    summary="Connections and their sync status",
    response_description="Every connection's sync status; never its secrets.",
    tags=["connections"],
    response_model=ConnectionList,
    response_model_exclude_unset=True,
)
async def list_connections(request: Request, _: Reader) -> dict[str, Any]:
    """Every connection: last event, waiting, dead and incomplete events, whether it has API
    access. Never its secrets. As `connections list --json`."""
    return {"connections": await run_in_threadpool(connections.sync_status, app_state(request).db)}


class NewConnection(BaseModel):
    """A store or gateway to connect; as `connections add`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    platform: Annotated[str, Field(json_schema_extra={"enum": sorted(platforms())}), Storable]
    name: Annotated[
        str,
        Field(
            pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
            description="Lower-case letters, digits, '-' or '_'; the webhook URL is "
            "/webhooks/NAME.",
            examples=["stripe-us"],
        ),
        Storable,
    ]
    secret: Annotated[str, Field(min_length=1, max_length=1000), Storable]
    """The platform's webhook signing secret; stored encrypted, never shown again."""
    api_url: Annotated[str, Field(pattern=r"^https?://", max_length=500), Storable] | None = None
    """The platform's API base URL (http:// or https://)."""
    api_token: Annotated[str, Field(min_length=1, max_length=1000), Storable] | None = None
    """A platform API token, for details webhooks leave out; stored encrypted."""

    @field_validator("platform")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in platforms():
            raise ValueError(f"unknown platform; one of {', '.join(sorted(platforms()))}")
        return value


@router.post(
    "/connections",
    summary="Connect a store or gateway",
    response_description="The connection, its clearing account and its webhook path.",
    tags=["connections"],
    status_code=201,
    response_model=ConnectionCreated,
    responses=failures(400, 409),
)
async def add_connection(
    request: Request, principal: Admin, key: IdempotencyKey, new: NewConnection
) -> JSONResponse:
    """Register the connection, seal its secrets and open its clearing account, as
    `connections add`. 409 when the name is taken."""
    state = app_state(request)

    def add() -> dict[str, Any]:
        stored = connections.add_connection(
            state.db,
            state.box,
            name=new.name,
            platform=new.platform,
            secret=new.secret,
            api_url=new.api_url,
            api_token=new.api_token,
            clock=state.clock,
        )
        return shaped(
            ConnectionCreated,
            {
                "name": stored.name,
                "platform": stored.platform,
                "clearing_account": stored.clearing_account,
                "webhook_path": f"/webhooks/{stored.name}",
            },
        )

    return await idempotent(
        request, principal, key, add, body=new.model_dump(mode="json"), status_code=201
    )
