"""``Authorization: Bearer <api key>`` for the JSON API: 401 without a valid key, 403 when the
key's scope is below what the route needs."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ledgerbridge.apikeys import Forbidden, Principal, Scope, Unauthenticated


def require(scope: Scope) -> Callable[[Request], object]:
    """A FastAPI dependency that admits keys of ``scope`` or above."""

    async def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send an API key as `Authorization: Bearer <key>`")
        cache = request.app.state.ledgerbridge.keys
        principal: Principal = await run_in_threadpool(cache.principal, token.strip())
        if not principal.scope.allows(scope):
            raise Forbidden(
                f"the key {principal.name!r} has scope {principal.scope.value}; "
                f"this needs {scope.value}"
            )
        return principal

    return dependency
