"""One HTTP client for every platform API a sync reads, with the rate-limit manners they ask for.

Platforms throttle differently and all of them say so on the wire:

* **429 Too Many Requests** with ``Retry-After`` (seconds, or an HTTP date): wait that long, then
  ask again. Without the header, back off exponentially (1 s, 2 s, 4 s …, at most 60 s).
* **Shopify's leaky bucket**: every answer carries ``X-Shopify-Shop-Api-Call-Limit: used/size``
  (40 requests, leaking 2 per second on standard plans). Once the bucket is nearly full
  (``used >= size - 2``) the client pauses long enough for it to leak below that, so it never
  earns a 429 in the first place.
* **5xx and dropped connections** (reset, timeout, a body cut short) are retried with the same
  backoff: a sync of a year of orders should survive a flaky minute.

After ``max_attempts`` the client raises :class:`PlatformUnavailable`: the sync stops, keeping
its cursor, and resumes from that page next time. A 4xx other than 429 is
:class:`PlatformRequestFailed` at once (a wrong token will not become right by retrying).
Sleeping goes through an injected function so tests run a real server and no real waits.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from ledgerbridge.connectors.base import (
    PayloadInvalid,
    PlatformRequestFailed,
    PlatformUnavailable,
    load_json,
)

MAX_BACKOFF_S = 60.0
SHOPIFY_CALL_LIMIT = "x-shopify-shop-api-call-limit"
SHOPIFY_LEAK_PER_S = 2.0


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds, or an HTTP date. None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def bucket_pause(value: str | None) -> float:
    """Seconds to wait after an answer with Shopify's call-limit header, so the next call fits."""
    if not value or "/" not in value:
        return 0.0
    used_text, size_text = value.split("/", 1)
    try:
        used, size = int(used_text), int(size_text)
    except ValueError:
        return 0.0
    excess = used - (size - 2)
    return 0.0 if excess < 0 else (excess + 1) / SHOPIFY_LEAK_PER_S


class ApiClient:
    """GET/POST against one platform's API with retries; see the module docstring."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.platform = platform
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.requests = 0
        """Requests sent, retries included (for tests and the sync summary)."""
        self.retries = 0
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=timeout,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def set_header(self, name: str, value: str) -> None:
        """Change a default header (an OAuth token obtained after construction)."""
        self._client.headers[name] = value

    def get(self, url: str, *, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.request("GET", url, params=params)

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET and read the body exactly (decimals as Decimal); PayloadInvalid if it is not JSON."""
        return self.json_of(self.get(url, params=params), url)

    def json_of(self, response: httpx.Response, url: str) -> Any:
        try:
            return load_json(response.content)
        except PayloadInvalid as exc:
            raise PayloadInvalid(
                f"{self.platform} answered {url} with something that is not JSON: {exc.message}",
                field="body",
            ) from None

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries (429, 5xx, transport errors); raise typed errors otherwise."""
        delay = 1.0
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            self.requests += 1
            try:
                response = self._client.request(
                    method,
                    url,
                    params=dict(params) if params is not None else None,
                    data=dict(data) if data is not None else None,
                    json=json,
                    headers=dict(headers) if headers is not None else None,
                    auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                )
                response.read()
            except httpx.TransportError as exc:
                last_problem = f"{self.platform} could not be reached ({type(exc).__name__}: {exc})"
                wait = delay
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    told = retry_after_seconds(response.headers.get("retry-after"))
                    last_problem = f"{self.platform} answered {status} to {method} {url}"
                    wait = told if told is not None else delay
                elif status >= 400:
                    raise PlatformRequestFailed(
                        f"{self.platform} refused {method} {url} ({status}): {response.text[:300]}",
                        status=status,
                    )
                else:
                    pause = bucket_pause(response.headers.get(SHOPIFY_CALL_LIMIT))
                    if pause:
                        self.sleep(pause)
                    return response
            if attempt == self.max_attempts:
                break
            self.retries += 1
            self.sleep(min(wait, MAX_BACKOFF_S))
            delay = min(delay * 2, MAX_BACKOFF_S)
        raise PlatformUnavailable(
            f"{last_problem}; gave up after {self.max_attempts} attempts", retry_after=delay
        )
