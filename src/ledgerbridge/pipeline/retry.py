"""When to try a failed event again: exponential backoff with jitter, then the dead-letter queue.

Attempt ``n`` (1-based) waits ``min(cap, base · 2^(n-1))`` seconds scaled by a random factor in
[0.5, 1.0] ("equal jitter"), so a burst of events that failed together does not retry in
lock-step. With the defaults (base 2 s, cap 1 h, 10 attempts) an event keeps trying for about
half an hour before it is dead: long enough for a refund to wait for its order, or a rate
provider to come back; short enough that a person hears about it the same day.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 10
    base_s: float = 2.0
    cap_s: float = 3600.0

    def delay(self, attempt: int, *, rng: random.Random, at_least_s: float = 0.0) -> dt.timedelta:
        """How long to wait after failed attempt number ``attempt``."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(attempt - 1, 0))
        return dt.timedelta(seconds=max(at_least_s, ceiling * rng.uniform(0.5, 1.0)))

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
