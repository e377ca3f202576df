"""The command line as a user drives it: exit codes, messages, JSON shapes, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.store.database import connect

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def cli(*args: str, url: str) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--database-url", url])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def book(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # init writes the secret key file here
    code, _, err = cli("init", "--base-currency", "USD", url=database_url)
    assert code == 0, err
    code, _, err = cli(
        "accounts",
        "add",
        "1201",
        "Stripe clearing",
        "--type",
        "asset",
        "--role",
        "clearing:stripe",
        url=database_url,
    )
    assert code == 0, err
    return database_url


def entry_count(url: str) -> int:
    db = connect(url)
    with db.engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM journal_entries")).scalar_one())
    db.dispose()
    return count


class TestInit:
    def test_init_twice_is_harmless_and_reports_json(self, book: str) -> None:
        code, out, _ = cli("init", "--json", url=book)
        assert code == 0
        assert json.loads(out)["created"] is False

    def test_changing_the_base_currency_is_refused(self, book: str) -> None:
        code, _, err = cli("init", "--base-currency", "EUR", url=book)
        assert code == 2
        assert "base currency cannot change" in err

    def test_an_unknown_currency_is_refused(self, tmp_path: Path) -> None:
        code, _, err = cli("init", "--base-currency", "usd", url=f"sqlite:///{tmp_path}/x.db")
        assert code == 2
        assert "'usd' is not an ISO 4217 currency code" in err

    def test_commands_before_init_say_what_to_do(self, tmp_path: Path) -> None:
        code, _, err = cli("report", "trial-balance", url=f"sqlite:///{tmp_path}/new.db")
        assert code == 2
        assert "run `ledgerbridge init` first" in err


class TestEntriesPost:
    def test_the_worked_example_posts_and_balances(self, book: str) -> None:
        code, out, err = cli(
            "entries", "post", str(REPO / "examples/worked-example.yaml"), "--json", url=book
        )
        assert code == 0, err
        assert len(json.loads(out)["entries"]) == 4
        code, out, _ = cli("report", "trial-balance", "--json", url=book)
        tb = json.loads(out)
        balances = {a["code"]: a["balance"] for a in tb["accounts"]}
        assert balances["1201"] == "0.00"  # sale - fee - refund - payout: nothing in transit
        assert balances["1000"] == "29.03"
        assert tb["total_debit"] == tb["total_credit"]

    def test_posting_the_same_file_twice_posts_once(self, book: str) -> None:
        example = str(REPO / "examples/worked-example.yaml")
        cli("entries", "post", example, url=book)
        code, out, _ = cli("entries", "post", example, "--json", url=book)
        assert code == 0
        assert all(not e["created"] for e in json.loads(out)["entries"])
        assert entry_count(book) == 4

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            (
                '{"date": "2026-11-02", "lines": [{"account": "1000", "debit": 12.30},'
                ' {"account": "4000", "credit": "12.30"}]}',
                "lines[0].debit: 12.30 is a floating-point number",
            ),
            (
                "date: 2026-11-02\nlines:\n - {account: '1000', debit: '10.00'}\n"
                " - {account: '4000', credit: '9.99'}\n",
                "does not balance: debits exceed credits by 0.01 USD",
            ),
            (
                "date: 2026-11-02\nlines:\n - {account: '1000', debit: '10.00'}\n"
                " - {account: '4999', credit: '10.00'}\n",
                "there is no account '4999'",
            ),
            (
                "date: 2026-11-02\nlines:\n - {account: '1000', debit: '10.00', currency: XYZ, rate: '1'}\n"
                " - {account: '4000', credit: '10.00'}\n",
                "'XYZ' is not an ISO 4217 currency code",
            ),
            (
                "date: 2026-11-02\nlines:\n - {account: '1000', debit: '10.001'}\n"
                " - {account: '4000', credit: '10.001'}\n",
                "10.001 has more decimals than USD allows",
            ),
            ("date: 2026-11-02\n", "lines is missing"),
            ("{not json", "not valid JSON or YAML"),
        ],
        ids=[
            "float",
            "unbalanced",
            "unknown-account",
            "unknown-currency",
            "too-precise",
            "no-lines",
            "garbage",
        ],
    )
    def test_bad_input_exits_2_names_the_problem_and_writes_nothing(
        self, book: str, tmp_path: Path, document: str, message: str
    ) -> None:
        path = tmp_path / "entry.yaml"
        path.write_text(document)
        code, _, err = cli("entries", "post", str(path), url=book)
        assert code == 2
        assert message in " ".join(err.split())
        assert entry_count(book) == 0

    def test_one_bad_entry_in_a_file_writes_none_of_them(self, book: str, tmp_path: Path) -> None:
        good = "{date: 2026-11-02, external_id: a, lines: [{account: '1000', debit: '1.00'}, {account: '4000', credit: '1.00'}]}"
        bad = "{date: 2026-11-02, external_id: b, lines: [{account: '1000', debit: '1.00'}, {account: '4998', credit: '1.00'}]}"
        path = tmp_path / "two.yaml"
        path.write_text(f"entries:\n - {good}\n - {bad}\n")
        code, _, _ = cli("entries", "post", str(path), url=book)
        assert code == 2
        assert entry_count(book) == 0

    def test_a_missing_file_is_a_plain_error(self, book: str) -> None:
        code, _, err = cli("entries", "post", "/nonexistent/entry.yaml", url=book)
        assert code == 2
        assert "No such file" in err


class TestReports:
    def test_journal_json_lists_entries_with_string_amounts(self, book: str) -> None:
        cli("entries", "post", str(REPO / "examples/worked-example.yaml"), url=book)
        code, out, _ = cli("report", "journal", "--from", "2026-11-03", "--json", url=book)
        assert code == 0
        data = json.loads(out)
        assert [e["source"]["external_id"] for e in data["entries"]] == [
            "example-refund-1001",
            "example-payout-1",
        ]
        assert data["entries"][0]["lines"][0]["amount"] == "24.00"

    def test_a_bad_date_is_exit_2(self, book: str) -> None:
        code, _, err = cli("report", "trial-balance", "--as-of", "yesterday", url=book)
        assert code == 2
        assert "--as-of" in err


class TestAuditVerify:
    def test_clean_book_exits_0_and_tampered_book_exits_1_naming_it(self, book: str) -> None:
        cli("entries", "post", str(REPO / "examples/worked-example.yaml"), url=book)
        code, out, _ = cli("audit", "verify", "--json", url=book)
        assert code == 0 and json.loads(out)["ok"] is True
        db = connect(book)
        with db.engine.begin() as conn:
            if db.dialect == "postgresql":
                conn.execute(text("ALTER TABLE journal_lines DISABLE TRIGGER USER"))
            else:
                conn.execute(text("DROP TRIGGER journal_lines_no_update"))
            conn.execute(
                text("UPDATE journal_lines SET amount_minor = amount_minor + 1 WHERE entry_id = 3")
            )
        db.dispose()
        code, out, _ = cli("audit", "verify", url=book)
        assert code == 1
        assert "entry 3" in out and "TAMPERED" in out
