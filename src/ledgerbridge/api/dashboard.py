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

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from ledgerbridge.apikeys import Scope, Unauthenticated
from ledgerbridge.errors import LedgerBridgeError, NotFound
from ledgerbridge.money import Money
from ledgerbridge.services import audit, connections, discrepancies, events, reports
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import PENDING, EventStatus, InboxEvent
from ledgerbridge.store.reconciliation import StoredDiscrepancy
from ledgerbridge.store.tables import api_keys, inbox_events
from ledgerbridge.store.tables import connections as connections_table
from ledgerbridge.store.unit_of_work import UnitOfWork

router = APIRouter(include_in_schema=False)

COOKIE = "lb_session"
SESSION_TTL_S = 8 * 3600
MAX_FORM_BYTES = 16 * 1024
RECENT_EVENTS = 15
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


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person: their key's name and current scope, and this session's form
    token."""

    name: str
    scope: Scope
    sid: str
    form_token: str

    @property
    def can_write(self) -> bool:
        return self.scope.allows(Scope.WRITE)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and checks signed session tokens; remembers sessions ended by ``/logout``."""

    def __init__(self, key: bytes | None = None, *, ttl_s: int = SESSION_TTL_S) -> None:
        self._key = key or secrets.token_bytes(32)
        self.ttl_s = ttl_s
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def issue(self, name: str, prefix: str) -> str:
        claims = {
            "sid": secrets.token_urlsafe(16),
            "key": name,
            "pfx": prefix,
            "exp": int(time.time()) + self.ttl_s,
        }
        body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def claims(self, token: str) -> dict[str, Any] | None:
        """The token's claims if its signature holds, it has not expired or been ended."""
        body_part, _, mac_part = token.partition(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(mac, self._sign(body)):
            return None
        try:
            claims = json.loads(body)
        except ValueError:
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            return None
        if claims["exp"] < time.time():
            return None
        with self._lock:
            if claims.get("sid") in self._ended:
                return None
        return claims

    def form_token(self, sid: str) -> str:
        return _b64(self._sign(f"form|{sid}".encode()))

    def end(self, sid: str, expires: float) -> None:
        now = time.time()
        with self._lock:
            self._ended = {s: t for s, t in self._ended.items() if t > now}
            self._ended[sid] = expires


_sessions_lock = threading.Lock()


def _sessions(request: Request) -> Sessions:
    found = getattr(request.app.state, "dashboard_sessions", None)
    if found is None:
        with _sessions_lock:
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


def _ago(then: dt.datetime | None, now: dt.datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _amount(minor: int | None, currency: str | None) -> str:
    if minor is None:
        return ""
    if currency is None:
        return str(minor)
    try:
        return f"{Money.from_minor(minor, currency).format()} {currency}"
    except LedgerBridgeError:
        return f"{minor} (minor units) {currency}"


def _oldest_waiting(db: Database) -> dict[str, dt.datetime]:
    """connection → when its oldest unposted event arrived."""
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.connection.execute(
            select(connections_table.c.name, func.min(inbox_events.c.received_at))
            .join(connections_table, connections_table.c.id == inbox_events.c.connection_id)
            .where(inbox_events.c.status.in_(PENDING))
            .group_by(connections_table.c.name)
        )
        return {row[0]: aware for row in rows if (aware := _aware(row[1])) is not None}


def _event_row(event: InboxEvent) -> dict[str, Any]:
    posted = event.posted_at.isoformat(timespec="seconds") if event.posted_at else None
    return {
        **events.event_summary(event),
        "received_at": event.received_at.isoformat(timespec="seconds"),
        "posted_at": posted,
    }


def _discrepancy_row(d: StoredDiscrepancy) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "reason": d.reason,
        "payouts": ", ".join(
            f"{p.get('connection', '?')}:{p.get('payout_id', '?')}" for p in d.payouts
        ),
        "bank_lines": ", ".join(str(i) for i in d.bank_line_ids),
        "expected": _amount(d.expected_minor, d.currency),
        "actual": _amount(d.actual_minor, d.currency),
        "difference": _amount(d.difference_minor, d.currency),
        "detected_at": d.detected_at.isoformat(timespec="seconds"),
    }


def _gather(state: Any, replayed: int | None, resolved: int | None) -> dict[str, Any]:
    db: Database = state.db
    now: dt.datetime = state.clock()
    status = connections.sync_status(db)
    oldest = _oldest_waiting(db)
    for row in status:
        last = dt.datetime.fromisoformat(row["last_event_at"]) if row["last_event_at"] else None
        row["last_ago"] = _ago(last, now)
        row["failed"] = row["events"].get("failed", 0)
        waiting_since = oldest.get(row["name"])
        row["lag"] = _ago(waiting_since, now).removesuffix(" ago") if waiting_since else "—"
    dead = [_event_row(e) for e in events.list_events(db, status=EventStatus.DEAD, limit=200)]
    recent = [_event_row(e) for e in events.list_events(db, limit=RECENT_EVENTS)]
    with UnitOfWork(db, read_only=True) as uow:
        open_items = uow.reconciliation.discrepancies(status="open")
        replayed_event = None
        if replayed is not None:
            try:
                replayed_event = uow.inbox.get(replayed)
            except NotFound:
                replayed_event = None
    tb = reports.trial_balance(db)
    chain = audit.verify(db)
    return {
        "now": now.isoformat(timespec="seconds"),
        "connections": status,
        "dead": dead,
        "recent": recent,
        "discrepancies": [_discrepancy_row(d) for d in open_items],
        "actions": [a.value for a in discrepancies.Action],
        "tb": tb,
        "audit": chain,
        "replayed": _event_row(replayed_event) if replayed_event else None,
        "resolved": resolved,
    }


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
        data = await run_in_threadpool(_gather, state, replayed, resolved)
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
