"""Fixtures for the FX tests: the ECB samples, a fake ECB on loopback, and a hand-driven clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fx.ecb_server import FakeEcb, history_xml


class ManualClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def fx_samples(samples: Path) -> Path:
    return samples / "fx"


@pytest.fixture(scope="session")
def ecb_files(fx_samples: Path) -> dict[str, bytes]:
    """What the fake ECB serves: two samples as they are, and the history written from CSV."""
    return {
        "eurofxref-daily.xml": (fx_samples / "ecb_eurofxref-daily_2015-01-07.xml").read_bytes(),
        "eurofxref-hist-90d.xml": (
            fx_samples / "ecb_eurofxref-hist-90d_2019-11-29.xml"
        ).read_bytes(),
        "eurofxref-hist.xml": history_xml(fx_samples / "ecb_eurofxref-hist.csv"),
    }


@pytest.fixture
def ecb(ecb_files: dict[str, bytes]) -> Iterator[FakeEcb]:
    server = FakeEcb(dict(ecb_files))
    server.start()
    try:
        yield server
    finally:
        server.stop()
