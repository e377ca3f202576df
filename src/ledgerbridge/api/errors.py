"""One rendering of errors for the whole HTTP edge: ``{"error": {"code", "message", "field"}}``.

Expected failures carry their own status; validation errors are 400 naming the field; anything
else is logged with its traceback and answered with an opaque 500 that leaks nothing.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerbridge.errors import LedgerBridgeError

log = structlog.get_logger("ledgerbridge.api")


def error_response(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": {"code": code, "message": message, "field": field}}
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerBridgeError)
    async def _expected(_: Request, exc: LedgerBridgeError) -> JSONResponse:
        response = error_response(exc.http_status, exc.code, exc.message, exc.field)
        retry_after = getattr(exc, "retry_after_s", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return error_response(
            400, "invalid_input", str(first.get("msg", "invalid request")), field or None
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return error_response(500, "internal_error", "something went wrong on our side")
