"""``target requeue`` from the command line: a count in JSON, an unknown connection in plain words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app

runner = CliRunner()


def test_requeue_reports_a_count_and_names_an_unknown_connection(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERBRIDGE_SECRET_KEY", raising=False)
    assert runner.invoke(app, ["init", "--database-url", database_url]).exit_code == 0
    done = runner.invoke(app, ["target", "requeue", "--json", "--database-url", database_url])
    assert done.exit_code == 0 and json.loads(done.stdout) == {"requeued": 0}
    unknown = runner.invoke(
        app, ["target", "requeue", "--connection", "nope", "--database-url", database_url]
    )
    assert unknown.exit_code == 2 and "nope" in unknown.stderr
