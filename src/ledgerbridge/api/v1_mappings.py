"""``/api/v1`` mappings: each connection's mapping versions, setting a new one, a dry run.

Reading needs the read scope; setting and testing a mapping the admin scope (a mapping decides
where money is booked, and its target names another database). A document is sent as the
request body, JSON or YAML (``Content-Type: application/yaml``); a payload to test is sent
byte for byte as the platform sent it, so its amounts are read exactly. A document with
problems is answered 422 with every problem and its path; the active version stays.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Security
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.idempotency import IdempotencyKey, idempotent
from ledgerbridge.api.v1 import bearer
from ledgerbridge.api.v1_common import Admin, Reader, Storable, app_state, failures
from ledgerbridge.errors import InvalidInput
from ledgerbridge.mapping.validate import MappingInvalid
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.services import mapping as service

router = APIRouter(
    prefix="/api/v1",
    tags=["mappings"],
    dependencies=[Security(bearer)],
    responses=failures(401, 403, 503, "4XX"),
)

ConnectionName = Annotated[str, Field(max_length=120), Storable]
MAX_DOCUMENT = 256 * 1024

_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The mapping document (docs/mapping.md), JSON or YAML.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}
_PAYLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "A platform payload exactly as a webhook would carry it.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_DOCUMENT:
        raise InvalidInput(f"the body is over {MAX_DOCUMENT} bytes", field="body")
    return body


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body must be UTF-8 text", field="body") from None


def _invalid(exc: MappingInvalid) -> JSONResponse:
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.http_status)


@router.get(
    "/mappings",
    summary="Mapping versions of every connection",
    response_description="Per connection: its versions, the active one and its document.",
    responses=failures(404),
)
async def list_mappings(
    request: Request,
    _: Reader,
    connection: Annotated[ConnectionName | None, Query(description="Only this one.")] = None,
) -> dict[str, Any]:
    """As `mapping show --json`."""
    return await run_in_threadpool(service.show, app_state(request).db, connection)


@router.get(
    "/connections/{name}/mapping",
    summary="A connection's mapping",
    response_description="Its versions, the active one and its document.",
    responses=failures(404),
)
async def connection_mapping(request: Request, _: Reader, name: ConnectionName) -> dict[str, Any]:
    """The connection's versions (oldest first), active version and active document."""
    shown = await run_in_threadpool(service.show, app_state(request).db, name)
    found: dict[str, Any] = shown["mappings"][0]
    return found


async def _set(request: Request, principal: Admin, key: str | None, name: str) -> JSONResponse:
    state = app_state(request)
    body = await _body(request)
    data = service.load_document(_text(body), filename=_filename(request))

    def set_it() -> dict[str, Any]:
        result = service.set_mapping(
            state.db, name, data, created_by=principal.name, clock=state.clock
        )
        return result.as_json()

    try:
        return await idempotent(
            request, principal, key, set_it, body=hashlib.sha256(body).hexdigest()
        )
    except MappingInvalid as exc:
        return _invalid(exc)


def _filename(request: Request) -> str:
    kind = request.headers.get("content-type", "")
    return "body.json" if "json" in kind else "body.yaml"


@router.put(
    "/connections/{name}/mapping",
    summary="Set a connection's mapping",
    response_description="The version now active; `created` is false when it already was.",
    responses={**failures(400, 404, 409), 422: {"description": "The document's problems."}},
    openapi_extra=_DOCUMENT_BODY,
)
async def put_mapping(
    request: Request, principal: Admin, key: IdempotencyKey, name: ConnectionName
) -> JSONResponse:
    """Check the document and make it the next version; it applies from the next event. 422
    lists every problem with its path; the active version is untouched. As `mapping set`."""
    return await _set(request, principal, key, name)


@router.post(
    "/connections/{name}/mapping",
    summary="Set a connection's mapping",
    response_description="The version now active; `created` is false when it already was.",
    responses={**failures(400, 404, 409), 422: {"description": "The document's problems."}},
    openapi_extra=_DOCUMENT_BODY,
)
async def post_mapping(
    request: Request, principal: Admin, key: IdempotencyKey, name: ConnectionName
) -> JSONResponse:
    """The same as PUT, for clients that only POST."""
    return await _set(request, principal, key, name)


@router.post(
    "/connections/{name}/mapping/test",
    summary="Dry run: the entries a payload would post",
    response_description="The entries, unposted, and the notices.",
    responses=failures(400, 404),
    openapi_extra=_PAYLOAD_BODY,
)
async def test_mapping(
    request: Request,
    _: Admin,
    name: ConnectionName,
    topic: Annotated[
        str,
        Query(
            max_length=120, description="The topic a webhook would carry.", examples=["orders/paid"]
        ),
        Storable,
    ],
) -> dict[str, Any]:
    """Parse the payload with the connection's connector, apply its active mapping and the
    posting rules, and answer the entries without posting anything. As `mapping test --json`."""
    state = app_state(request)
    body = await _body(request)
    rates = state.rates or StaticRates({})
    return await run_in_threadpool(service.test_mapping, state.db, name, topic, body, rates=rates)
