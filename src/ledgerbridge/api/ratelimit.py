"""A token bucket per connection, so one misbehaving (or spoofed) sender cannot starve the rest.

Each connection may send ``rate_per_s`` deliveries a second on average, in bursts of up to
``burst``. Past that the webhook answers 429 with ``Retry-After``; every platform we connect
retries on 429, so nothing is lost, only delayed.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from ledgerbridge.errors import LedgerBridgeError


class RateLimited(LedgerBridgeError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class RateLimiter:
    rate_per_s: float = 200.0
    burst: float = 400.0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, *, now: float | None = None) -> None:
        """Spend one token of ``key``'s bucket, or raise RateLimited."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, moment))
            tokens = min(self.burst, tokens + (moment - last) * self.rate_per_s)
            if tokens < 1:
                wait = math.ceil((1 - tokens) / self.rate_per_s)
                self._buckets[key] = (tokens, moment)
                raise RateLimited(
                    f"too many deliveries for {key!r}; retry in {wait} s", retry_after_s=wait
                )
            self._buckets[key] = (tokens - 1, moment)
