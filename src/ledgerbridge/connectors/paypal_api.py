"""PayPal REST: OAuth client credentials, webhook verification by API, and the reads a sync makes.

Credentials: a PayPal REST app has a client id and a secret; a connection stores both in its
encrypted ``api_token`` as ``"<client_id>:<secret>"``. Every call carries a bearer token from
``POST /v1/oauth2/token`` (HTTP basic auth with the pair, ``grant_type=client_credentials``);
:class:`ClientCredentials` asks for one on first use, keeps it until a minute before its
``expires_in`` runs out, and asks again once if PayPal answers 401 (a token revoked early).

All calls go through :class:`~ledgerbridge.sync.http.ApiClient`, so 429 with Retry-After, 5xx
and dropped connections are retried the same way for every platform, and a refusal is a typed
error. The default base URL is the live API, ``https://api-m.paypal.com``; sandbox apps use
``https://api-m.sandbox.paypal.com``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Generator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from ledgerbridge.connectors.base import PayloadInvalid, PlatformUnavailable, load_json
from ledgerbridge.errors import InvalidInput
from ledgerbridge.sync import http as sync_http  # module, not name: sync.http imports us

if TYPE_CHECKING:
    from ledgerbridge.sync.http import ApiClient

DEFAULT_API = "https://api-m.paypal.com"
OAUTH_PATH = "/v1/oauth2/token"
VERIFY_PATH = "/v1/notifications/verify-webhook-signature"
EXPIRY_MARGIN_S = 60.0


def credentials(api_token: str) -> tuple[str, str]:
    """``"client_id:secret"`` → (client_id, secret); InvalidInput for anything else."""
    client_id, sep, secret = (api_token or "").partition(":")
    if not sep or not client_id.strip() or not secret.strip():
        raise InvalidInput(
            "a PayPal api_token must be '<client_id>:<secret>' of a REST app", field="api_token"
        )
    return client_id.strip(), secret.strip()


class ClientCredentials(httpx.Auth):
    """OAuth 2 client credentials with a cached bearer token; see the module docstring.

    When PayPal refuses the token request, that refusal is the answer the caller sees, so
    :class:`ApiClient` retries a 429/5xx and reports a 401 (wrong credentials) in plain words.
    """

    requires_response_body = True

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = base_url.rstrip("/") + OAUTH_PATH
        self._basic = httpx.BasicAuth(client_id, secret)
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self.issued = 0
        """Tokens obtained so far (a test sees the cache work)."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        if token is None:
            token = self._accept((yield self._token_request()))
            if token is None:
                return
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            self._forget(token)
            token = self._accept((yield self._token_request()))
            if token is None:
                return
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _current(self) -> str | None:
        with self._lock:
            if self._token is not None and self._clock() < self._token[1]:
                return self._token[0]
        return None

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token is not None and self._token[0] == token:
                self._token = None

    def _token_request(self) -> httpx.Request:
        request = httpx.Request(
            "POST",
            self.token_url,
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        return next(self._basic.auth_flow(request))

    def _accept(self, response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return None
        try:
            body = load_json(response.content)
        except PayloadInvalid:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise PlatformUnavailable("PayPal's token answer held no access_token")
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        seconds = float(lifetime) if isinstance(lifetime, int) else 0.0
        with self._lock:
            self._token = (token, self._clock() + max(seconds - EXPIRY_MARGIN_S, 0.0))
            self.issued += 1
        return token


def paypal_client(
    base_url: str,
    auth: ClientCredentials,
    *,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = 6,
    timeout: float = 30.0,
) -> ApiClient:
    """An :class:`ApiClient` for PayPal's REST API, authenticated by ``auth``."""
    return sync_http.ApiClient(
        platform="PayPal",
        base_url=base_url or DEFAULT_API,
        auth=auth,
        sleep=sleep,
        max_attempts=max_attempts,
        timeout=timeout,
    )


def _plain(value: Any) -> Any:
    """The event as JSON can carry it again: exact decimals written as their text.

    PayPal states every amount as a string, so a fractional JSON number in an event is never
    money; writing it as text keeps it exact instead of turning it into a float.
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def verification_status(client: ApiClient, fields: Mapping[str, str], event: bytes) -> str:
    """PayPal's verdict on a delivery (``SUCCESS`` or ``FAILURE``) from
    ``POST /v1/notifications/verify-webhook-signature``. Raises PlatformUnavailable,
    PlatformRequestFailed, PayloadInvalid."""
    request = {**fields, "webhook_event": _plain(load_json(event))}
    answer = client.json_of(client.request("POST", VERIFY_PATH, json=request), VERIFY_PATH)
    status = answer.get("verification_status") if isinstance(answer, dict) else None
    if not isinstance(status, str):
        raise PlatformUnavailable("PayPal's verification answer had no verification_status")
    return status


def resource(client: ApiClient, path: str) -> dict[str, Any]:
    """One resource (``/v2/payments/captures/{id}``, ``/v2/payments/refunds/{id}``) as a dict."""
    body = client.get_json(path)
    if not isinstance(body, dict):
        raise PayloadInvalid(f"PayPal answered {path} with JSON that is not an object")
    return body


def transactions(
    client: ApiClient, *, start: dt.datetime, end: dt.datetime, page: int, page_size: int
) -> dict[str, Any]:
    """One page of the Transaction Search API (``GET /v1/reporting/transactions``); PayPal
    allows at most 31 days between ``start`` and ``end``."""
    params = {
        "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fields": "all",
        "page_size": page_size,
        "page": page,
    }
    body = client.get_json("/v1/reporting/transactions", params=params)
    if not isinstance(body, dict):
        raise PayloadInvalid("PayPal's transaction search answered with JSON that is not an object")
    return body
