"""The daily reconciliation inside ``serve``: run, log what is new, tell a person.

Every ``interval`` (24 h by default) the loop reconciles the last ``lookback_days`` and, when the
run finds discrepancies it had not reported before, logs each one and posts a Slack-compatible
message (``{"text": …}``) to the configured outgoing webhook. A failing webhook is logged and
never stops the loop; the discrepancies stay on the dashboard and in ``discrepancies list``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import httpx
import structlog

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.services import reconcile
from ledgerbridge.store.database import Database

log = structlog.get_logger("ledgerbridge.daily")


def message(report: dict[str, Any]) -> dict[str, Any]:
    """The Slack-compatible body announcing a run's new discrepancies."""
    lines = [f"• {d['kind']}: {d['reason']}" for d in report["discrepancies"]]
    summary = report["summary"]
    text = (
        f"ledgerbridge reconciliation {report['from']} to {report['to']}: "
        f"{summary['new_discrepancies']} new discrepancies, {summary['open_discrepancies']} "
        f"open, auto-match rate {summary['auto_match_rate']}.\n" + "\n".join(lines)
    )
    return {"text": text}


def run_once(
    db: Database,
    *,
    lookback_days: int = 31,
    notify_url: str | None = None,
    clock: Clock = utcnow,
) -> dict[str, Any]:
    today = clock().date()
    report = reconcile.run(
        db, date_from=today - dt.timedelta(days=lookback_days), date_to=today, clock=clock
    ).as_json()
    new = report["summary"]["new_discrepancies"]
    for finding in report["discrepancies"]:
        log.warning("discrepancy", kind=finding["kind"], reason=finding["reason"])
    if new and notify_url:
        try:
            httpx.post(notify_url, json=message(report), timeout=10).raise_for_status()
        except httpx.HTTPError as exc:
            log.error("discrepancy webhook failed", url=notify_url, error=str(exc))
    return report


class DailyReconciliation:
    """``run_once`` every ``interval`` in a background thread, until stopped."""

    def __init__(
        self,
        db: Database,
        *,
        interval: dt.timedelta,
        notify_url: str | None,
        before: Callable[[], object] | None = None,
    ) -> None:
        self.db = db
        self.before = before
        self.interval = interval
        self.notify_url = notify_url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ledgerbridge-daily", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval.total_seconds()):
            try:
                if self.before is not None:
                    self.before()  # e.g. pull payouts no webhook announces
                run_once(self.db, notify_url=self.notify_url)
            except Exception:
                log.exception("daily reconciliation failed")
