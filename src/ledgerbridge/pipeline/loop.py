"""A background thread that does rounds of work: at once when woken, else every ``poll_s``.

The posting worker and the target outbox both work this way: a commit wakes them so the
next round starts at once, and the poll catches retries coming due and rows other processes
stored. A failing round is logged and the loop carries on; the next round retries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger("ledgerbridge.loop")

T = TypeVar("T")


def drain(round_: Callable[[], list[T]], *, max_rounds: int) -> list[T]:
    """Run rounds until one finds nothing due (tests and one-shot commands); work whose retry
    is not yet due is left for later."""
    outcomes: list[T] = []
    for _ in range(max_rounds):
        batch = round_()
        if not batch:
            break
        outcomes.extend(batch)
    return outcomes


class PollingLoop:
    def __init__(self, name: str, round_: Callable[[], object], *, poll_s: float) -> None:
        self.name = name
        self.round = round_
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self, *_: Any) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"ledgerbridge-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = bool(self.round())
            except Exception:  # keep the loop alive; the next round retries
                log.exception(f"{self.name} round failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll_s)
