"""A task that runs every so often in a background thread of ``serve`` (the history catch-up).

A failing run is logged and the next one comes at its time: a platform that is down for an hour
must not stop the catch-up of the others, nor ``serve`` itself.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("ledgerbridge.periodic")


class Periodic:
    def __init__(
        self,
        name: str,
        task: Callable[[], object],
        *,
        interval: dt.timedelta,
        first_delay: dt.timedelta | None = None,
    ) -> None:
        self.name = name
        self.task = task
        self.interval = interval
        self.first_delay = interval if first_delay is None else first_delay
        self.runs = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"ledgerbridge-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay.total_seconds()):
            delay = self.interval
            try:
                self.task()
            except Exception:
                log.exception(f"{self.name} failed")
            self.runs += 1
