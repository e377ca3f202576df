"""The dashboard at ``/``: sync status, dead letters, discrepancies, trial balance, audit chain.

Server-rendered HTML (Jinja2, autoescaped) with plain forms; no JavaScript at all (the
Content-Security-Policy forbids scripts outright).

Signing in: a person pastes an API key into ``/login``. The key is checked once (scrypt, via
the app's ``KeyCache``) and then forgotten; the browser receives a session cookie instead::

    lb_session = base64url(json {"sid", "key", "pfx", "exp"}) "." base64url(HMAC-SHA256)

``key`` is the API key's *name* and ``pfx`` its public 8-hex prefix, never the secret. The
HMAC key is random per application instance (kept on ``app.state``), so a restart signs
everyone out. The cookie is ``HttpOnly``, ``SameSite=Strict``, ``Path=/`` (and ``Secure`` when
the request came over https). On every request the session's key is looked up again, so a
revoked key's sessions stop at once and the key's *current* scope decides what is allowed.

Every form that changes something (replay, resolve, logout) carries a per-session form token,
``HMAC(key, "form|" + sid)``; a POST without the right token, or with a foreign ``Origin``,
is refused with 403. Replay and resolve also need the write scope (403 page otherwise).
"""

from __future__ import annotations

import hmac
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.dashboard_data import gather
from ledgerbridge.api.dashboard_session import SESSION_TTL_S, SESSIONS_LOCK, Sessions, Viewer
from ledgerbridge.apikeys import Scope, Unauthenticated
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.services import discrepancies, events
from ledgerbridge.store.database import Database
from ledgerbridge.store.tables import api_keys
from ledgerbridge.store.unit_of_work import UnitOfWork

router = APIRouter(include_in_schema=False)

COOKIE = "lb_session"
MAX_FORM_BYTES = 16 * 1024
_KEY_PREFIX = re.compile(r"^lb_([0-9a-f]{8})_")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# --- sessions ------------------------------------------------------------------------------


def _sessions(request: Request) -> Sessions:
    found = getattr(request.app.state, "dashboard_sessions", None)
    if found is None:
        with SESSIONS_LOCK:
            found = getattr(request.app.state, "dashboard_sessions", None)
            if found is None:
                found = Sessions()
                request.app.state.dashboard_sessions = found
    assert isinstance(found, Sessions)
    return found


def _current_scope(db: Database, name: str, prefix: str) -> Scope | None:
    """The key's scope now, or None when it is revoked or gone."""
    with UnitOfWork(db, read_only=True) as uow:
        row = uow.connection.execute(
            select(api_keys.c.scope, api_keys.c.revoked_at).where(
                api_keys.c.name == name, api_keys.c.prefix == prefix
            )
        ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return Scope(row.scope)


async def _viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    sessions = _sessions(request)
    claims = sessions.claims(token)
    if claims is None:
        return None
    name, prefix, sid = str(claims.get("key")), str(claims.get("pfx")), str(claims.get("sid"))
    scope = await run_in_threadpool(_current_scope, _state(request).db, name, prefix)
    if scope is None:
        return None
    return Viewer(name, scope, sid, sessions.form_token(sid))


def _state(request: Request) -> Any:
    return request.app.state.ledgerbridge


# --- rendering -----------------------------------------------------------------------------


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)


def _message(title: str, message: str, status: int, viewer: Viewer | None = None) -> HTMLResponse:
    return _page("message.html", status, title=title, message=message, viewer=viewer)


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=_SECURITY_HEADERS)


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


# --- forms ---------------------------------------------------------------------------------


class _FormRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body of at most ``MAX_FORM_BYTES`` (an empty
    body is an empty form); the first value of each field."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _FormRejected(413, "the form is too large")
    if body and kind != "application/x-www-form-urlencoded":
        raise _FormRejected(415, "send the form as application/x-www-form-urlencoded")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise _FormRejected(400, "the form could not be read") from None
    return {k: v[0] for k, v in fields.items() if v}


def _same_origin(request: Request) -> bool:
    """A POST a browser sends from another site carries that site's ``Origin``."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


async def _checked_post(
    request: Request, *, needs: Scope
) -> tuple[Viewer, dict[str, str]] | Response:
    """The viewer and form of a state-changing POST, or the page that refuses it."""
    viewer = await _viewer(request)
    if viewer is None:
        return _redirect("/login")
    if not _same_origin(request):
        return _message("Forbidden", "This form was sent from another site.", 403, viewer)
    try:
        form = await _form(request)
    except _FormRejected as exc:
        return _message("Bad request", exc.message, exc.status, viewer)
    sent = form.get("form_token", "").encode("utf-8")
    if not hmac.compare_digest(sent, viewer.form_token.encode("ascii")):
        return _message(
            "Forbidden",
            "The form has expired or did not come from this dashboard; reload and try again.",
            403,
            viewer,
        )
    if not viewer.scope.allows(needs):
        return _message(
            "Forbidden",
            f"The key {viewer.name!r} has scope {viewer.scope.value}; this needs {needs.value}.",
            403,
            viewer,
        )
    return viewer, form


def _failure(exc: LedgerBridgeError, viewer: Viewer) -> HTMLResponse:
    return _message("Not done", exc.message, exc.http_status, viewer)


# --- routes --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request) -> Response:
    viewer = await _viewer(request)
    if viewer is None:
        return _redirect("/login")
    state = _state(request)
    replayed, resolved = _int_param(request, "replayed"), _int_param(request, "resolved")
    try:
        data = await run_in_threadpool(gather, state, replayed, resolved)
    except LedgerBridgeError as exc:
        return _message("Dashboard unavailable", exc.message, exc.http_status, viewer)
    return _page("dashboard.html", viewer=viewer, **data)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    if await _viewer(request) is not None:
        return _redirect("/")
    return _page("login.html", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    if not _same_origin(request):
        return _page("login.html", 403, error="This form was sent from another site.")
    try:
        form = await _form(request)
    except _FormRejected as exc:
        return _page("login.html", exc.status, error=exc.message)
    token = form.get("api_key", "").strip()
    prefix = _KEY_PREFIX.match(token)
    if not token or prefix is None:
        return _page("login.html", 401, error="That is not an API key (they start with lb_).")
    try:
        principal = await run_in_threadpool(_state(request).keys.principal, token)
    except Unauthenticated:
        return _page("login.html", 401, error="That API key is unknown or revoked.")
    session = _sessions(request).issue(principal.name, prefix.group(1))
    response = _redirect("/")
    response.set_cookie(
        COOKIE,
        session,
        max_age=SESSION_TTL_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def _logout(request: Request) -> Response:
    viewer = await _viewer(request)
    if viewer is not None:
        claims = _sessions(request).claims(request.cookies.get(COOKIE, ""))
        _sessions(request).end(viewer.sid, float(claims["exp"]) if claims else time.time())
    response = _redirect("/login")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    checked = await _checked_post(request, needs=Scope.READ)
    if isinstance(checked, Response):
        return checked
    return await _logout(request)


@router.get("/logout")
async def logout_link(request: Request) -> Response:
    """Signing out by link (the cookie is SameSite=Strict, so only this site can do it)."""
    return await _logout(request)


@router.post("/events/{event_id}/replay")
async def replay_event(request: Request, event_id: int) -> Response:
    checked = await _checked_post(request, needs=Scope.WRITE)
    if isinstance(checked, Response):
        return checked
    viewer, _ = checked
    state = _state(request)
    try:
        await run_in_threadpool(events.replay, state.db, [event_id], clock=state.clock)
    except LedgerBridgeError as exc:
        return _failure(exc, viewer)
    if state.loop is not None:
        state.loop.wake()
    return _redirect(f"/?replayed={event_id}#replayed")


@router.post("/events/replay-dead")
async def replay_dead(request: Request) -> Response:
    checked = await _checked_post(request, needs=Scope.WRITE)
    if isinstance(checked, Response):
        return checked
    viewer, _ = checked
    state = _state(request)
    try:
        await run_in_threadpool(events.replay, state.db, dead=True, clock=state.clock)
    except LedgerBridgeError as exc:
        return _failure(exc, viewer)
    if state.loop is not None:
        state.loop.wake()
    return _redirect("/#events")


@router.post("/discrepancies/{discrepancy_id}/resolve")
async def resolve_discrepancy(request: Request, discrepancy_id: int) -> Response:
    checked = await _checked_post(request, needs=Scope.WRITE)
    if isinstance(checked, Response):
        return checked
    viewer, form = checked
    state = _state(request)
    try:
        action = discrepancies.Action(form.get("action", ""))
    except ValueError:
        choices = ", ".join(a.value for a in discrepancies.Action)
        return _message("Not done", f"Choose an action: {choices}.", 400, viewer)
    try:
        await run_in_threadpool(
            lambda: discrepancies.resolve(
                state.db,
                discrepancy_id,
                action=action,
                note=form.get("note", ""),
                by=f"dashboard:{viewer.name}",
                clock=state.clock,
            )
        )
    except LedgerBridgeError as exc:
        return _failure(exc, viewer)
    return _redirect(f"/?resolved={discrepancy_id}#discrepancies")
