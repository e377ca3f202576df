"""Structured logs: readable on a terminal, one JSON object per line everywhere else."""

from __future__ import annotations

import logging
import sys

import structlog

from ledgerbridge.redaction import redact_processor


def _stderr_logger(*_: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(file=sys.stderr)


def configure_logging(log_format: str | None = None, *, level: int = logging.INFO) -> None:
    as_json = (log_format or ("console" if sys.stderr.isatty() else "json")) == "json"
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Look sys.stderr up at each log call, not once: it may have been replaced since
        # (a test runner's capture, a daemon's redirect).
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
