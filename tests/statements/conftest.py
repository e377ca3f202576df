"""Fixtures for the statement-parser tests: the bank samples folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bank(samples: Path) -> Path:
    """``shared/samples/bank``: real statement files in every supported format."""
    return samples / "bank"
