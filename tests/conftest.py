"""Shared fixtures: the public samples folder and the database backends under test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = Path(os.environ.get("LEDGERBRIDGE_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def samples() -> Path:
    """The public sample payloads and statements (``../shared/samples``), or a visible skip."""
    if not SAMPLES.is_dir():
        pytest.skip(f"public samples folder not found at {SAMPLES}")
    return SAMPLES
