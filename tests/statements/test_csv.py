"""CSV exports through column profiles: every sample imports with the counts and sums read off
the rows by hand; bad dates and amounts are refused naming line and column."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.reconcile.model import Statement
from ledgerbridge.statements.base import StatementInvalid
from ledgerbridge.statements.csv_profile import (
    BUILTIN_PROFILES,
    CsvParser,
    CsvProfile,
    Sign,
    detect_profile,
)

# file → (profile proposed by the header, currency, account, lines, Σ amounts)
CASES: dict[str, tuple[str, str, str | None, int, str]] = {
    "bsp_european_decimals.csv": ("de-betrag", "EUR", "DE89370400440532013000", 3, "2260.94"),
    "bsp_french_headers.csv": ("fr-debit-credit", "EUR", None, 3, "2260.94"),
    "bsp_sample_statement.csv": ("en-amount", "EUR", "DE123456789", 2, "1300.00"),
    "bsp_spanish_headers.csv": ("es-importe", "EUR", "ES9121000418450200051332", 3, "2260.94"),
    "bsp_split_amounts.csv": ("en-credit-debit-semicolon", "EUR", "DE4455667788", 2, "1050.25"),
    "csv2ofx_capitalone.csv": ("capitalone-card", "USD", None, 2, "0.00"),
    "csv2ofx_gls_de_latin1.csv": ("gls-de", "EUR", "1234567890", 1, "-98.76"),
    "csv2ofx_ing_es.csv": ("ing-es", "EUR", None, 10, "350.21"),
    "csv2ofx_n26.csv": ("n26-eur", "EUR", None, 2, "0.00"),
    "csv2ofx_outbank_de.csv": ("outbank-de", "EUR", "DE81254326973657190105", 4, "-35.89"),
    "csv2ofx_payoneer.csv": ("payoneer", "USD", None, 2, "20.00"),
    "csv2ofx_pc_mastercard.csv": ("pc-mastercard", "CAD", None, 2, "-50.31"),
    "csv2ofx_schwab_checking.csv": ("schwab-checking", "USD", None, 4, "-215.27"),
    "csv2ofx_stripe_payments_export.csv": ("stripe-payments", "CAD", None, 5, "112.50"),
    "csv2ofx_ubs_ch_fr.csv": ("ubs-ch-fr", "CHF", "0123 45678901.23A", 3, "30.00"),
}
CREDIT_UNION = "csv2ofx_creditunion_cr_lineends.csv"  # no currency anywhere: the user says


def _read(bank: Path, name: str, profile: CsvProfile | None = None) -> list[Statement]:
    return CsvParser().parse((bank / "csv" / name).read_bytes(), profile=profile)


class TestSamples:
    def test_the_table_covers_every_csv_sample(self, bank: Path) -> None:
        assert {p.name for p in (bank / "csv").iterdir()} == set(CASES) | {CREDIT_UNION}

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_the_header_row_proposes_the_right_profile(self, bank: Path, name: str) -> None:
        profile = detect_profile((bank / "csv" / name).read_bytes()[:8192])
        assert profile is not None and profile.name == CASES[name][0]

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_each_sample_gives_the_lines_and_sum_read_from_the_file(
        self, bank: Path, name: str
    ) -> None:
        _, currency, account, count, total = CASES[name]
        (statement,) = _read(bank, name)
        assert (statement.currency, statement.account, len(statement.lines)) == (
            currency,
            account,
            count,
        )
        assert sum(line.amount.amount for line in statement.lines) == Decimal(total)
        assert [line.position for line in statement.lines] == list(range(count))
        assert statement.balance_gap is None  # CSV exports carry no statement balances

    def test_a_profile_without_currency_needs_one_from_the_user(self, bank: Path) -> None:
        with pytest.raises(StatementInvalid, match="line 2: no currency"):
            _read(bank, CREDIT_UNION)
        proposed = detect_profile((bank / "csv" / CREDIT_UNION).read_bytes())
        assert proposed is not None and proposed.name == "en-check-register"
        # An expense register: the user saves it as "positive is money out", in dollars.
        saved = dataclasses.replace(proposed, currency="USD", sign=Sign.INVERTED)
        (statement,) = _read(bank, CREDIT_UNION, saved)
        assert len(statement.lines) == 8  # CR-only line endings are still eight rows
        assert sum(line.amount.amount for line in statement.lines) == Decimal("-465000.00")
        assert statement.lines[0].counterparty is None
        assert statement.lines[0].description == "Ằdøłƥh Noƴa"
        assert statement.lines[0].references == ("INV-1",)


class TestMapping:
    def test_thousands_separators_and_dollar_signs(self, bank: Path) -> None:
        (statement,) = _read(bank, "csv2ofx_schwab_checking.csv")
        assert statement.lines[0].amount.amount == Decimal("20.00")  # "$20.00" deposit
        assert statement.lines[1].amount.amount == Decimal("-103.00")  # withdrawal
        assert statement.lines[2].references == ("558",)
        assert statement.lines[0].booking_date == dt.date(2022, 8, 17)

    def test_latin1_german_export(self, bank: Path) -> None:
        (statement,) = _read(bank, "csv2ofx_gls_de_latin1.csv")
        (line,) = statement.lines
        assert line.counterparty == "Drillisch Online AG"
        assert line.booking_date == dt.date(2017, 10, 10)
        assert line.description.startswith("B4658645 U123456789 B123456")

    def test_apostrophe_thousands_and_value_date_only(self, bank: Path) -> None:
        (statement,) = _read(bank, "csv2ofx_ubs_ch_fr.csv")
        assert statement.lines[1].amount.amount == Decimal("240.00")
        assert statement.lines[1].bank_ref == "3456789ZT1234567"
        assert statement.lines[0].booking_date == dt.date(2019, 3, 31)

    def test_stripe_export_lowercase_currency_and_ids(self, bank: Path) -> None:
        (statement,) = _read(bank, "csv2ofx_stripe_payments_export.csv")
        assert statement.lines[0].bank_ref == "ch_1IGl9SBI9JK85yVZtjcU9OLJ"
        assert statement.lines[0].references == ("pi_1IGl9PBI9JK85yVZ1xLwlWQW",)
        assert statement.lines[0].booking_date == dt.date(2021, 2, 3)


PROFILE = CsvProfile(
    name="test",
    date_column="Datum",
    date_format="%d.%m.%Y",
    amount_column="Betrag",
    delimiter=";",
    decimal_comma=True,
    thousands=".",
    currency="EUR",
    reference_column="Ref",
)


class TestBrokenFiles:
    def test_a_bad_date_is_refused_naming_line_and_column(self) -> None:
        data = b"Datum;Betrag;Ref\n01.02.2024;1,00;A\n31.02.2024;2,00;B\n"
        with pytest.raises(StatementInvalid) as caught:
            CsvParser().parse(data, profile=PROFILE)
        assert caught.value.field == "line 3, column Datum"
        assert "'31.02.2024' is not a date in the form %d.%m.%Y" in caught.value.message

    def test_a_bad_amount_is_refused_naming_line_and_column(self) -> None:
        data = b"Datum;Betrag;Ref\n01.02.2024;1,0x;A\n"
        with pytest.raises(
            StatementInvalid, match=r"line 2, column Betrag: amount '1,0x' is not a number"
        ):
            CsvParser().parse(data, profile=PROFILE)

    def test_a_decimal_point_file_read_with_a_decimal_comma_profile_is_refused(self) -> None:
        data = b"Datum;Betrag;Ref\n01.02.2024;1,234.56;A\n"
        with pytest.raises(StatementInvalid, match=r"column Betrag: amount '1,234\.56' is not a"):
            CsvParser().parse(data, profile=PROFILE)

    def test_missing_columns_are_refused(self) -> None:
        with pytest.raises(StatementInvalid, match="no header row with the columns Datum, Betrag"):
            CsvParser().parse(b"Date;Amount\n2024-01-01;1\n", profile=PROFILE)

    def test_an_unknown_header_has_no_profile(self) -> None:
        assert detect_profile(b"foo,bar\n1,2\n") is None
        with pytest.raises(StatementInvalid, match="no saved profile matches"):
            CsvParser().parse(b"foo,bar\n1,2\n")

    def test_a_wrong_encoding_is_refused(self) -> None:
        latin1 = "Datum;Betrag;Ref\n01.02.2024;1,00;Gebühr\n".encode("latin-1")
        with pytest.raises(StatementInvalid, match="not utf-8"):
            CsvParser().parse(latin1, profile=PROFILE)


class TestSignConventions:
    def test_an_indicator_column_signs_unsigned_amounts(self) -> None:
        profile = dataclasses.replace(
            PROFILE, sign=Sign.INDICATOR, indicator_column="S/H", debit_marks=("S",)
        )
        data = b"Datum;Betrag;S/H;Ref\n01.02.2024;5,00;S;A\n01.02.2024;7,00;H;B\n"
        (statement,) = CsvParser().parse(data, profile=profile)
        assert [line.amount.amount for line in statement.lines] == [
            Decimal("-5.00"),
            Decimal("7.00"),
        ]

    def test_a_debit_column_is_money_out_whatever_its_sign(self) -> None:
        profile = dataclasses.replace(
            PROFILE, sign=Sign.SPLIT, amount_column=None, debit_column="Soll", credit_column="Haben"
        )
        data = b"Datum;Soll;Haben;Ref\n01.02.2024;-5,00;;A\n01.02.2024;5,00;;B\n"
        (statement,) = CsvParser().parse(data, profile=profile)
        assert [line.amount.amount for line in statement.lines] == [Decimal("-5.00")] * 2

    def test_lines_are_grouped_by_currency(self) -> None:
        profile = dataclasses.replace(PROFILE, currency=None, currency_column="Wäh")
        data = "Datum;Betrag;Wäh;Ref\n01.02.2024;1,00;EUR;A\n01.02.2024;2,00;USD;B\n".encode()
        eur, usd = CsvParser().parse(data, profile=profile)
        assert (eur.currency, usd.currency) == ("EUR", "USD")
        assert usd.lines[0].position == 0

    def test_builtin_profiles_have_unique_names(self) -> None:
        names = [p.name for p in BUILTIN_PROFILES]
        assert len(names) == len(set(names))


def _german(cents: int) -> str:
    """1234567 → '12.345,67' (negative with a leading minus)."""
    whole, fraction = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", ".")
    return f"{'-' if cents < 0 else ''}{grouped},{fraction:02d}"


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=20))
def test_amounts_with_decimal_comma_and_thousands_dots_round_trip(amounts: list[int]) -> None:
    rows = "".join(f"01.02.2024;{_german(c)};R{i}\n" for i, c in enumerate(amounts))
    (statement,) = CsvParser().parse(f"Datum;Betrag;Ref\n{rows}".encode(), profile=PROFILE)
    assert [line.amount.minor for line in statement.lines] == amounts
    assert [line.bank_ref for line in statement.lines] == [f"R{i}" for i in range(len(amounts))]
