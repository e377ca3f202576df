"""The ledger-cli / hledger export: readable names, text neither tool can misread, real balances.

Where ``ledger`` or ``hledger`` is installed (``apt-get install ledger hledger``), the file is
checked by the tool itself in its strictest mode, and the tool's cost-basis balance per account
must equal ours; a hand-tampered file must fail the same check. Without the tools those tests
skip and say so; the text-level tests below run everywhere.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.errors import InvalidInput
from ledgerbridge.export.ledger_cli import account_names, plain, to_ledger
from ledgerbridge.ledger.accounts import Account, UnknownAccount
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money
from tests.export import sample_book as book
from tests.strategies import CHART, journal_entries, nonzero, trial_balance

LEDGER = shutil.which("ledger")
HLEDGER = shutil.which("hledger")
needs_ledger = pytest.mark.skipif(
    LEDGER is None, reason="ledger-cli is not installed (apt-get install ledger)"
)
needs_hledger = pytest.mark.skipif(
    HLEDGER is None, reason="hledger is not installed (apt-get install hledger)"
)


def export() -> str:
    return to_ledger(book.ACCOUNTS, book.entries(), base_currency=book.BASE)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def ledger_balances(path: Path) -> dict[str, Decimal]:
    """``ledger``'s cost-basis balance per account, in pedantic mode."""
    assert LEDGER is not None
    result = run(
        LEDGER, "-f", str(path), "--pedantic", "bal", "--basis", "--flat", "--empty",
        "--no-total", "--format", "%(account)\t%(quantity(scrub(display_total)))\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = (line.split("\t") for line in result.stdout.splitlines())
    return {account: Decimal(value) for account, value in rows}


def hledger_balances(path: Path) -> dict[str, Decimal]:
    """``hledger``'s cost-basis balance per account, after ``hledger check --strict``."""
    assert HLEDGER is not None
    check = run(HLEDGER, "-f", str(path), "check", "--strict")
    assert check.returncode == 0, check.stderr
    result = run(HLEDGER, "-f", str(path), "bal", "--cost", "--flat", "--empty", "-O", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    return {row[0]: Decimal(row[-1].split(" ")[0]) for row in rows if row[0] != "total"}


def ours(accounts: tuple[Account, ...], entries: list[JournalEntry]) -> dict[str, Decimal]:
    names = account_names(accounts)
    return {names[code]: value for code, value in nonzero(trial_balance(entries)).items()}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "book.journal"
    path.write_text(text, encoding="utf-8")
    return path


class TestAccountNames:
    def test_a_name_is_root_code_and_the_readable_name(self) -> None:
        names = account_names(book.ACCOUNTS)
        assert names["1200"] == "Assets:1200 Stripe clearing"
        assert names["4000"] == "Income:4000 Sales"
        assert names["7100"] == "Income:7100 Réalisé FX gain/loss"
        assert names["7900.1"] == "Expenses:7900.1 Rounding"

    def test_colons_semicolons_and_double_spaces_cannot_split_a_name(self) -> None:
        assert account_names(book.ACCOUNTS)["6300"] == "Expenses:6300 Bank fees- wires, intl"

    def test_names_are_unique_because_codes_are(self) -> None:
        names = account_names(book.ACCOUNTS).values()
        assert len(set(names)) == len(book.ACCOUNTS)


class TestPlainText:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a;b", "a,b"),
            ("line\nbreak", "line break"),
            ("tab\there", "tab here"),
            ("nel\x85ls\u2028", "nel ls "),
            ('"quotes" — ünïcode', '"quotes" — ünïcode'),
        ],
    )
    def test_text_is_kept_on_one_line_without_comment_markers(
        self, text: str, expected: str
    ) -> None:
        assert plain(text) == expected


class TestToLedger:
    def test_a_transaction_has_date_flag_description_and_source_tag(self) -> None:
        text = export()
        assert (
            '2026-10-04 * Order #1001 — "Deluxe" mug ☕, back\\slash\n'
            "    ; source: stripe-us/order_paid/ch_3Nx\n"
            "    Assets:1200 Stripe clearing  116.22 USD\n"
            '    ; memo: net of "fee" second line\n'
        ) in text

    def test_a_foreign_line_carries_its_base_amount_as_a_total_price(self) -> None:
        text = export()
        assert "    Assets:1210 PayPal EUR clearing  100.00 EUR @@ 108.57 USD\n" in text
        assert "    Assets:1900 Currency conversion  -1500 JPY @@ 10.05 USD\n" in text
        assert "    ; rate: 0.0067\n    ; rate_date: 2026-10-02\n    ; rate_source: ecb\n" in text

    def test_a_reversal_names_what_it_reverses(self) -> None:
        assert "    ; reverses: stripe-us/order_paid/ch_3Nx\n" in export()

    def test_a_description_starting_with_a_parenthesis_is_not_read_as_a_code(self) -> None:
        assert "\n2026-10-05 * () (gift) 注文 1003\n" in export()

    def test_an_empty_description_leaves_a_bare_flag(self) -> None:
        assert "\n2026-10-09 *\n" in export()

    def test_accounts_commodities_and_tags_are_declared(self) -> None:
        lines = export().splitlines()
        assert "account Assets:1210 PayPal EUR clearing" in lines
        assert {"commodity EUR", "commodity JPY", "commodity USD"} <= set(lines)
        assert {"tag source", "tag reverses", "tag memo"} <= set(lines)

    def test_refusals_match_the_beancount_export(self) -> None:
        with pytest.raises(InvalidInput):
            to_ledger((*book.ACCOUNTS, book.ACCOUNTS[0]), [], base_currency="USD")
        with pytest.raises(UnknownAccount):
            to_ledger(book.ACCOUNTS[1:], book.entries(), base_currency="USD")
        with pytest.raises(InvalidInput):
            to_ledger(book.ACCOUNTS, book.entries(), base_currency="EUR")

    @pytest.mark.slow
    @needs_ledger
    def test_ledger_accepts_the_file_and_agrees_on_every_balance(self, tmp_path: Path) -> None:
        balances = ledger_balances(write(tmp_path, export()))
        assert nonzero(balances) == ours(book.ACCOUNTS, book.entries())
        assert set(balances) <= set(account_names(book.ACCOUNTS).values())

    @pytest.mark.slow
    @needs_hledger
    def test_hledger_accepts_the_file_and_agrees_on_every_balance(self, tmp_path: Path) -> None:
        balances = hledger_balances(write(tmp_path, export()))
        assert nonzero(balances) == ours(book.ACCOUNTS, book.entries())

    @pytest.mark.slow
    @needs_ledger
    @needs_hledger
    def test_a_tampered_posting_fails_both_tools(self, tmp_path: Path) -> None:
        text = export()
        tampered = text.replace("Income:4000 Sales  -90.00 USD", "Income:4000 Sales  -90.01 USD")
        assert tampered != text
        path = write(tmp_path, tampered)
        assert LEDGER is not None and HLEDGER is not None
        ledger = run(LEDGER, "-f", str(path), "bal")
        assert ledger.returncode != 0 and "does not balance" in ledger.stderr
        assert run(HLEDGER, "-f", str(path), "check").returncode != 0

    @pytest.mark.slow
    @needs_hledger
    def test_a_foreign_only_entry_balances_in_hledger(self, tmp_path: Path) -> None:
        def aed(account: str, side: Side, amount: str, base: str) -> JournalLine:
            return JournalLine(
                account, side, Money.of(amount, "AED"), Money.of(base, "USD"), rate=Decimal("1")
            )

        entry = JournalEntry(
            book.OPEN,
            "AED only",
            "USD",
            SourceKey("manual", "aed-1", "transfer"),
            (
                aed("1000", Side.DEBIT, "0.01", "0.00"),
                aed("1000", Side.DEBIT, "643.81", "0.07"),
                aed("1200", Side.CREDIT, "643.82", "0.07"),
            ),
        )
        text = to_ledger(book.ACCOUNTS, [entry], base_currency="USD")
        assert nonzero(hledger_balances(write(tmp_path, text))) == {
            "Assets:1000 Bank": Decimal("0.07"),
            "Assets:1200 Stripe clearing": Decimal("-0.07"),
        }


AWKWARD = [
    "*",
    "! x",
    "(gift) card",
    "a  ; not a note",
    "x|y",
    "~ weekly",
    "2026-01-01 x",
    "tab\there",
    "two\nlines",
    "\u00a0lead",
    'Order #1001 — "Deluxe" ☕',
    "",
]


class TestDescriptionsReadBack:
    def _journal(self, tmp_path: Path) -> Path:
        lines = (
            JournalLine.in_base("1000", Side.DEBIT, Money.of("1.00", "USD")),
            JournalLine.in_base("1100", Side.CREDIT, Money.of("1.00", "USD")),
        )
        entries = [
            JournalEntry(book.OPEN, text, "USD", SourceKey("m", str(i), "k"), lines)
            for i, text in enumerate(AWKWARD)
        ]
        return write(tmp_path, to_ledger(CHART, entries, base_currency="USD"))

    @pytest.mark.slow
    @needs_ledger
    def test_ledger_reads_each_description_as_written_on_one_line(self, tmp_path: Path) -> None:
        assert LEDGER is not None
        path = self._journal(tmp_path)
        result = run(LEDGER, "-f", str(path), "--pedantic", "reg", "--format", "%(payee)\n")
        assert result.returncode == 0, result.stderr
        expected = [plain(text).strip() or "<Unspecified payee>" for text in AWKWARD]
        assert result.stdout.splitlines()[::2] == expected

    @pytest.mark.slow
    @needs_hledger
    def test_hledger_reads_each_description_as_written_on_one_line(self, tmp_path: Path) -> None:
        assert HLEDGER is not None
        path = self._journal(tmp_path)
        result = run(HLEDGER, "-f", str(path), "reg", "Assets:1000", "-O", "csv")
        assert result.returncode == 0, result.stderr
        descriptions = [row["description"] for row in csv.DictReader(io.StringIO(result.stdout))]
        assert descriptions == [plain(text).strip() for text in AWKWARD]


class TestRandomBooks:
    @pytest.mark.slow
    @needs_hledger
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(journal_entries("EUR"), min_size=1, max_size=4))
    def test_hledger_agrees_with_any_balanced_book(self, entries: list[JournalEntry]) -> None:
        text = to_ledger(CHART, entries, base_currency="EUR")
        with tempfile.TemporaryDirectory() as tmp:
            assert nonzero(hledger_balances(write(Path(tmp), text))) == ours(CHART, entries)
