"""The Beancount export, checked by Beancount itself.

The strongest check is not ours: the real ``bean-check`` must accept the file, and Beancount's
own weights per account must equal our debit-minus-credit base balances. A hand-tampered file
must fail the same check, which shows the check can fail.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from beancount import loader
from beancount.core import account as bc_account
from beancount.core import convert, data
from beancount.core.amount import Amount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.errors import InvalidInput
from ledgerbridge.export.beancount import account_names, quote, to_beancount
from ledgerbridge.ledger.accounts import Account, AccountType, UnknownAccount
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money, UnknownCurrency, quantum
from tests.export import sample_book as book
from tests.strategies import CHART, base_currencies, journal_entries, trial_balance

BEAN_CHECK = Path(sys.executable).with_name("bean-check")


def export() -> str:
    return to_beancount(book.ACCOUNTS, book.entries(), base_currency=book.BASE, open_date=book.OPEN)


def bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BEAN_CHECK), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def weight(posting: data.Posting) -> tuple[Decimal, str]:
    """Beancount's weight of a posting: units, or units times price, in the price currency."""
    amount = convert.get_weight(posting)  # type: ignore[no-untyped-call]
    return amount.number, amount.currency


def meta(directive: data.Transaction | data.Posting) -> dict[str, Any]:
    assert directive.meta is not None
    return directive.meta


def weights_by_account(entries: list[data.Directive], base: str) -> dict[str, Decimal]:
    """Beancount's own per-account sum of posting weights, which must all be in ``base``."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                number, currency = weight(posting)
                assert currency == base
                sums[posting.account] += number
    # A total price becomes a per-unit price at 28 digits, so a weight can be off in the
    # 28th digit; rounding to the base currency's minor unit removes only that noise.
    return {name: value.quantize(quantum(base)) for name, value in sums.items()}


def ours_by_name(accounts: tuple[Account, ...], entries: list[JournalEntry]) -> dict[str, Decimal]:
    names = account_names(accounts)
    return {names[code]: value for code, value in trial_balance(entries).items()}


def load(text: str) -> tuple[list[data.Directive], list[Any], dict[str, Any]]:
    entries, errors, options = loader.load_string(text)
    return entries, errors, options


class TestAccountNames:
    def test_a_name_is_root_then_code_then_capitalised_words(self) -> None:
        names = account_names([Account("1200", "Stripe clearing", AccountType.ASSET)])
        assert names == {"1200": "Assets:A1200-Stripe-Clearing"}

    @pytest.mark.parametrize(
        ("kind", "root"),
        [
            (AccountType.ASSET, "Assets"),
            (AccountType.LIABILITY, "Liabilities"),
            (AccountType.EQUITY, "Equity"),
            (AccountType.REVENUE, "Income"),
            (AccountType.EXPENSE, "Expenses"),
        ],
    )
    def test_each_type_goes_under_its_beancount_root(self, kind: AccountType, root: str) -> None:
        assert account_names([Account("9", "X", kind)])["9"] == f"{root}:A9-X"

    def test_accents_apostrophes_and_punctuation_are_spelled_in_ascii(self) -> None:
        names = account_names(
            [
                Account("7100", "Réalisé FX gain/loss", AccountType.REVENUE),
                Account("3100", "Owner’s drawings", AccountType.EQUITY),
                Account("x.y_z", "注文", AccountType.EXPENSE),
            ]
        )
        assert names == {
            "7100": "Income:A7100-Realise-FX-Gain-Loss",
            "3100": "Equity:A3100-Owners-Drawings",
            "x.y_z": "Expenses:Ax-y-z",
        }

    def test_every_name_in_the_sample_book_is_valid_for_beancount(self) -> None:
        names = account_names(book.ACCOUNTS)
        assert all(bc_account.is_valid(name) for name in names.values())
        assert len(set(names.values())) == len(book.ACCOUNTS)

    def test_codes_that_spell_alike_get_distinct_names_whatever_the_order(self) -> None:
        accounts = [
            Account("7900_1", "Rounding", AccountType.EXPENSE),
            Account("7900.1", "Rounding", AccountType.EXPENSE),
            Account("7900-1", "Rounding", AccountType.EXPENSE),
        ]
        names = account_names(accounts)
        assert names == {
            "7900-1": "Expenses:A7900-1-Rounding",
            "7900.1": "Expenses:A7900-1-Rounding-2",
            "7900_1": "Expenses:A7900-1-Rounding-3",
        }
        assert account_names(list(reversed(accounts))) == names

    def test_quote_escapes_what_the_beancount_lexer_unescapes(self) -> None:
        assert quote('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\nd"'


class TestToBeancount:
    @pytest.mark.slow
    def test_the_real_bean_check_accepts_the_export(self, tmp_path: Path) -> None:
        path = tmp_path / "book.beancount"
        path.write_text(export(), encoding="utf-8")
        result = bean_check(path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout + result.stderr == ""

    @pytest.mark.slow
    def test_a_tampered_posting_fails_bean_check(self, tmp_path: Path) -> None:
        text = export()
        tampered = text.replace(
            "  Income:A4100-Shipping-Income  -10.00 USD",
            "  Income:A4100-Shipping-Income  -10.01 USD",
            1,
        )
        assert tampered != text
        path = tmp_path / "tampered.beancount"
        path.write_text(tampered, encoding="utf-8")
        result = bean_check(path)
        assert result.returncode != 0
        assert "does not balance" in result.stdout + result.stderr

    @pytest.mark.slow
    @pytest.mark.parametrize(
        ("price", "passes"), [("0.07", True), ("0.08", False)], ids=["exact", "one-cent-off"]
    )
    def test_an_entry_with_no_base_currency_line_is_checked_to_half_a_cent(
        self, tmp_path: Path, price: str, passes: bool
    ) -> None:
        # Beancount infers no USD tolerance for a transaction without USD units, so without
        # the file's default tolerance the 1e-28 noise of its price division would fail it.
        def aed(account: str, side: Side, amount: str, base: str) -> JournalLine:
            return JournalLine(
                account, side, Money.of(amount, "AED"), Money.of(base, "USD"), rate=Decimal("0.27")
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
        text = to_beancount(book.ACCOUNTS, [entry], base_currency="USD", open_date=book.OPEN)
        path = tmp_path / "aed.beancount"
        tampered = text.replace("-643.82 AED @@ 0.07 USD", f"-643.82 AED @@ {price} USD")
        assert "-643.82 AED @@ 0.07 USD" in text
        path.write_text(tampered, encoding="utf-8")
        result = bean_check(path)
        assert (result.returncode == 0) is passes, result.stdout + result.stderr

    @pytest.mark.slow
    def test_a_line_outside_its_accounts_currency_fails_bean_check(self, tmp_path: Path) -> None:
        # The core does not know which account takes which currency; the open directive's
        # constraint lets bean-check catch a USD line on the EUR-only clearing account.
        usd_on_eur = JournalEntry(
            book.OPEN,
            "misposted",
            "USD",
            SourceKey("manual", "m-1", "adjustment"),
            (
                JournalLine.in_base("1210", Side.DEBIT, Money.of("5.00", "USD")),
                JournalLine.in_base("1000", Side.CREDIT, Money.of("5.00", "USD")),
            ),
        )
        text = to_beancount(book.ACCOUNTS, [usd_on_eur], base_currency="USD", open_date=book.OPEN)
        path = tmp_path / "misposted.beancount"
        path.write_text(text, encoding="utf-8")
        result = bean_check(path)
        assert result.returncode != 0
        assert "Invalid currency USD" in result.stdout + result.stderr

    def test_beancount_weights_per_account_equal_our_base_balances(self, tmp_path: Path) -> None:
        path = tmp_path / "book.beancount"
        path.write_text(export(), encoding="utf-8")
        entries, errors, _ = loader.load_file(str(path))
        assert errors == []
        ours = ours_by_name(book.ACCOUNTS, book.entries())
        assert weights_by_account(entries, book.BASE) == ours
        assert ours[account_names(book.ACCOUNTS)["1000"]] == Decimal("5107.90")

    def test_descriptions_sources_and_memos_survive_exactly(self) -> None:
        entries, errors, options = load(export())
        assert errors == []
        assert options["operating_currency"] == ["USD"]
        transactions = [e for e in entries if isinstance(e, data.Transaction)]
        ours = sorted(book.entries(), key=lambda e: e.date)
        assert [t.narration for t in transactions] == [e.description for e in ours]
        assert [meta(t)["source"] for t in transactions] == [str(e.source) for e in ours]
        assert meta(transactions[-1])["reverses"] == "stripe-us/order_paid/ch_3Nx"
        assert "reverses" not in meta(transactions[0])
        card_sale = transactions[1]
        assert card_sale.narration == book.CARD_SALE_DESCRIPTION
        assert meta(card_sale.postings[0])["memo"] == 'net of "fee"\nsecond line'

    def test_foreign_lines_carry_their_base_amount_and_rate(self) -> None:
        entries, _, _ = load(export())
        eur_sale = next(
            e for e in entries if isinstance(e, data.Transaction) and "1002" in meta(e)["source"]
        )
        clearing, conversion, base_line, _ = eur_sale.postings
        assert clearing.units == Amount(Decimal("100.00"), "EUR")
        assert conversion.units == Amount(Decimal("-100.00"), "EUR")
        number, currency = weight(clearing)
        assert (number.quantize(Decimal("0.01")), currency) == (Decimal("108.57"), "USD")
        assert meta(clearing)["rate"] == Decimal("1.0857")
        assert meta(clearing)["rate_date"] == dt.date(2026, 10, 2)
        assert meta(clearing)["rate_source"] == "ecb"
        assert base_line.price is None
        assert "rate" not in meta(base_line)

    def test_every_account_is_opened_once_even_if_unused(self) -> None:
        entries, _, _ = load(export())
        opened = {e.account: e for e in entries if isinstance(e, data.Open)}
        assert set(opened) == set(account_names(book.ACCOUNTS).values())
        assert all(o.date == book.OPEN for o in opened.values())
        assert opened["Assets:A1210-PayPal-EUR-Clearing"].currencies == ["EUR"]
        assert opened["Equity:A3100-Owners-Drawings"].currencies is None

    def test_the_same_book_gives_the_same_text_whatever_the_account_order(self) -> None:
        shuffled = to_beancount(
            tuple(reversed(book.ACCOUNTS)),
            book.entries(),
            base_currency=book.BASE,
            open_date=book.OPEN,
        )
        assert shuffled == export()

    def test_transactions_are_written_in_date_order(self) -> None:
        dates = re.findall(r"^(\d{4}-\d{2}-\d{2}) \*", export(), flags=re.MULTILINE)
        assert dates == sorted(dates)
        assert len(dates) == len(book.entries())

    def test_two_accounts_with_one_code_are_refused(self) -> None:
        accounts = (*book.ACCOUNTS, Account("1000", "Other bank", AccountType.ASSET))
        with pytest.raises(InvalidInput, match="'1000'"):
            to_beancount(accounts, [], base_currency="USD", open_date=book.OPEN)

    def test_a_line_on_an_account_not_exported_is_refused(self) -> None:
        accounts = [a for a in book.ACCOUNTS if a.code != "6100"]
        with pytest.raises(UnknownAccount, match="'6100'"):
            to_beancount(accounts, book.entries(), base_currency="USD", open_date=book.OPEN)

    def test_an_entry_kept_in_another_base_currency_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            to_beancount(book.ACCOUNTS, book.entries(), base_currency="EUR", open_date=book.OPEN)
        assert caught.value.field == "base_currency"

    def test_an_entry_dated_before_the_accounts_open_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            to_beancount(
                book.ACCOUNTS,
                book.entries(),
                base_currency="USD",
                open_date=dt.date(2026, 10, 2),
            )
        assert caught.value.field == "open_date"

    def test_an_unknown_base_currency_is_refused(self) -> None:
        with pytest.raises(UnknownCurrency):
            to_beancount(book.ACCOUNTS, [], base_currency="usd", open_date=book.OPEN)

    def test_an_empty_book_still_opens_its_accounts(self) -> None:
        entries, errors, _ = load(
            to_beancount(book.ACCOUNTS, [], base_currency="USD", open_date=book.OPEN)
        )
        assert errors == []
        assert len(entries) == len(book.ACCOUNTS)


class TestRandomBooks:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        base_currencies.flatmap(
            lambda b: st.tuples(st.just(b), st.lists(journal_entries(b), min_size=1, max_size=4))
        )
    )
    def test_any_balanced_book_loads_cleanly_with_matching_weights(
        self, book_: tuple[str, list[JournalEntry]]
    ) -> None:
        base, entries = book_
        entries += [entries[0].reversal(reason="property")]
        text = to_beancount(CHART, entries, base_currency=base, open_date=dt.date(2000, 1, 1))
        loaded, errors, _ = load(text)
        assert errors == []
        transactions = [e for e in loaded if isinstance(e, data.Transaction)]
        assert sorted(t.narration or "" for t in transactions) == sorted(
            e.description for e in entries
        )
        ours = ours_by_name(CHART, entries)
        theirs = weights_by_account(loaded, base)
        assert theirs == {name: ours[name] for name in theirs}
        assert all(value == 0 for name, value in ours.items() if name not in theirs)
