"""MT940/MT942: every sample imports (or is refused for a stated reason) with the counts,
sums and balance gaps read off the ``:61:``/``:60F:``/``:62F:`` fields by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.reconcile.model import Statement
from ledgerbridge.statements.base import StatementInvalid
from ledgerbridge.statements.mt940 import Mt940Parser

# file → per statement: (lines, Σ amounts, opening, closing, gap); None where absent.
CASES: dict[str, list[tuple[int, str, str | None, str | None, str | None]]] = {
    # A fragment of six :60F: balances and nothing else: six balance-only statements.
    "amount_formats.sta": [
        (0, "0", "380115.12", None, None),
        (0, "0", "380115.10", None, None),
        (0, "0", "380115.00", None, None),
        (0, "0", "0.12", None, None),
        (0, "0", "0.12", None, None),
        (0, "0", "1.12", None, None),
    ],
    "betterplace_sepa_snippet.sta": [
        (4, "358593.91", "766656.49", "1125250.40", "0.00"),
        # A cut-down copy of a statement of betterplace_sepa_mt9401.sta: lines are missing.
        (7, "-2501917.30", "-1970431.87", "-4472049.09", "-300.08"),
    ],
    # Test data: 12345.12 − 233.15 is not 12345.98.
    "details_60-63.sta": [(1, "-233.15", "12345.12", "12345.98", "-234.01")],
    "february_30.sta": [(1, "-6.00", "1200.00", "1194.00", "0.00")],
    "gv_codes.sta": [(2, "-257.45", "12345.12", None, None)],
    # Anonymised real files whose balances no longer match their lines.
    "jejik_abnamro.sta": [
        (8, "-321.44", "3236.28", "876.84", "2038.00"),
        (2, "-24.49", "2876.84", "1849.75", "1002.60"),
    ],
    "jejik_generic.sta": [
        (1, "-10.00", "100.00", "90.00", "0.00"),
        (1, "-10.00", "90.00", "80.00", "0.00"),
    ],
    "jejik_ing.sta": [(7, "-45.59", "0.00", "3.47", "-49.06")],
    "jejik_knab.sta": [
        (1, "500.00", "0.00", "500.00", "0.00"),
        (2, "-6760.00", "3058.98", "798.98", "-4500.00"),
    ],
    "jejik_postfinance.sta": [
        (2, "229.20", "0.00", "229.20", "0.00"),
        (2, "-69.80", "229.20", "159.60", "-0.20"),
    ],
    "jejik_rabobank-iban.sta": [
        (2, "-35.00", "1000.00", "965.00", "0.00"),
        (2, "-35.00", "965.00", "930.00", "0.00"),
    ],
    "jejik_rabobank.sta": [
        (1, "-1213.28", "473.17", "395.82", "-1135.93"),
        (0, "0", "1000.89", "1000.89", "0.00"),
        (2, "-281.51", "1295.82", "1250.87", "-236.56"),
        (2, "-94.30", "4196.12", "4101.82", "0.00"),
    ],
    "jejik_sns.sta": [
        (2, "-25.00", "1234.56", "1209.56", "0.00"),
        (0, "0", "1209.56", "1209.56", "0.00"),
    ],
    "jejik_triodos.sta": [(2, "-715.70", "4975.09", "4370.79", "-111.40")],
    "mbank_mt940.sta": [(3, "0.03", "0.40", "0.43", "0.00")],
    "mbank_mt942.sta": [(3, "0.03", None, None, None)],  # MT942: no balances
    "raiffeisen_cmi.sta": [(7, "-1012213.50", "25170637.10", "25281687.60", "-1123264.00")],
    "sberbank_huf.sta": [(3, "-9437.00", "627311.30", "617874.30", "0.00")],
    "selfprovided_mt942.sta": [(1, "-0.42", None, None, None)],
    # A second :61: (CHF 119.00, dated 2022) follows the closing balance: it is kept, and the
    # balances, which agree without it, show it as a gap of exactly 119.00.
    "selfprovided_multiline.sta": [(2, "114.00", "16.40", "11.40", "119.00")],
}
REFUSED = {
    "cmxl_mt940.sta": "line 4 (:60F:): currency 'DEM' is not an ISO 4217 currency",
    "sparkassen.sta": "line 1 (:61:): the statement names no currency",
}
BIG = "betterplace_sepa_mt9401.sta"  # 26 statements, 97 lines, Σ −9 269 135.90, all balanced


def _read(bank: Path, name: str, parser: Mt940Parser | None = None) -> list[Statement]:
    return (parser or Mt940Parser()).parse((bank / "mt940" / name).read_bytes())


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class TestSamples:
    def test_the_tables_cover_every_mt940_sample(self, bank: Path) -> None:
        names = {p.name for p in (bank / "mt940").iterdir()}
        assert names == set(CASES) | set(REFUSED) | {BIG}

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_each_sample_gives_the_lines_sums_and_balances_read_from_the_file(
        self, bank: Path, name: str
    ) -> None:
        got = [
            (
                len(s.lines),
                sum((line.amount.amount for line in s.lines), Decimal(0)),
                s.opening_balance and s.opening_balance.amount,
                s.closing_balance and s.closing_balance.amount,
                s.balance_gap and s.balance_gap.amount,
            )
            for s in _read(bank, name)
        ]
        assert got == [(n, Decimal(t), _dec(o), _dec(c), _dec(g)) for n, t, o, c, g in CASES[name]]

    def test_the_26_statement_file_balances_everywhere(self, bank: Path) -> None:
        statements = _read(bank, BIG)
        assert len(statements) == 26
        assert sum(len(s.lines) for s in statements) == 97
        total = sum((line.amount.amount for s in statements for line in s.lines), Decimal(0))
        assert total == Decimal("-9269135.90")
        assert {s.balance_gap.amount for s in statements if s.balance_gap} == {Decimal("0.00")}

    @pytest.mark.parametrize(("name", "message"), sorted(REFUSED.items()))
    def test_samples_we_cannot_book_are_refused_whole_with_the_reason(
        self, bank: Path, name: str, message: str
    ) -> None:
        with pytest.raises(StatementInvalid, match=message.replace("(", r"\(").replace(")", r"\)")):
            _read(bank, name)

    def test_the_euro_and_zloty_statements_after_the_dem_one_import(self, bank: Path) -> None:
        data = (bank / "mt940" / "cmxl_mt940.sta").read_bytes()
        rest = data[data.index(b":20:1234567") :]
        eur, pln = Mt940Parser().parse(rest)
        assert (eur.currency, len(eur.lines), pln.currency, len(pln.lines)) == ("EUR", 2, "PLN", 3)
        assert sum(line.amount.amount for line in eur.lines) == Decimal("2200.00")
        assert eur.balance_gap is not None and eur.balance_gap.is_zero()
        assert sum(line.amount.amount for line in pln.lines) == Decimal("10040.00")
        assert pln.balance_gap is not None and pln.balance_gap.is_zero()

    def test_a_fragment_without_currency_imports_when_the_account_currency_is_given(
        self, bank: Path
    ) -> None:
        (statement,) = _read(bank, "sparkassen.sta", Mt940Parser(currency="EUR"))
        (line,) = statement.lines
        assert line.amount.amount == Decimal("30.00")  # "CR\n30,00": C, funds code R
        assert line.transaction_code == "N062/166"


class TestMapping:
    def test_bank_reference_dates_and_counterparty(self, bank: Path) -> None:
        first = _read(bank, "betterplace_sepa_snippet.sta")[0].lines[0]
        assert first.bank_ref == "0724710333343453"
        assert first.booking_date == dt.date(2007, 9, 4)  # entry date
        assert first.value_date == dt.date(2007, 9, 7)
        assert first.counterparty == "KARL KAUFMANN"
        assert first.references[0] == "EndToEndId TFNR 22 004 00001"
        assert first.transaction_code == "NTRF/166"
        assert first.account == "50880050/0194787400888"

    def test_amounts_without_decimals_and_customer_reference_fallback(self, bank: Path) -> None:
        statements = _read(bank, "jejik_knab.sta")
        assert statements[0].lines[0].amount.amount == Decimal("500.00")  # "500,"
        assert statements[1].lines[1].amount.amount == Decimal("500.00")  # "500" (no comma)
        assert statements[1].lines[1].bank_ref == "B4G29PGDCK1QFV3E"

    def test_rabobank_structured_details_give_end_to_end_and_name(self, bank: Path) -> None:
        line = _read(bank, "jejik_rabobank-iban.sta")[0].lines[0]
        assert line.bank_ref is None  # ":61:…EREF" announces the reference, is not one
        assert line.counterparty == "CONTRA ACCOUNT HOLDER"
        assert line.references[0] == "01-01-2013 12:00 0030000987654321"

    def test_a_reversal_of_a_credit_takes_money_out(self, bank: Path) -> None:
        statements = _read(bank, BIG)
        reversals = [
            line
            for s in statements
            for line in s.lines
            if line.transaction_code and line.transaction_code.startswith("NRTI")
        ]
        assert [line.amount.amount for line in reversals] == [Decimal("-204.88")] * 2

    def test_30_february_is_the_last_day_of_february(self, bank: Path) -> None:
        line = _read(bank, "february_30.sta")[0].lines[0]
        assert line.value_date == dt.date(2016, 2, 29)
        assert line.booking_date == dt.date(2016, 3, 1)

    def test_account_is_read_whole_and_owner_information_stays_out_of_the_line(
        self, bank: Path
    ) -> None:
        (statement,) = _read(bank, "selfprovided_multiline.sta")
        assert statement.account == 'BILLLULLXXX/"NUMERO DE COMPTE IBAN 2"'
        assert "FREE TEXT" not in statement.lines[0].description


def _statement_with(line61: str) -> bytes:
    return (
        ":20:TEST\n:25:NL00TEST0123456789\n:28C:1\n:60F:C240101EUR100,00\n"
        f":61:{line61}\n:86:text\n:62F:C240102EUR112,30\n"
    ).encode()


class TestBrokenFiles:
    def test_a_bad_amount_is_refused_naming_line_and_value(self) -> None:
        with pytest.raises(StatementInvalid) as caught:
            Mt940Parser().parse(_statement_with("2401020102C12,3xNTRFNONREF"))
        assert caught.value.message == "line 5 (:61:): amount '12,3x' is not a number"
        assert caught.value.field == "line 5 (:61:)"

    def test_a_point_as_decimal_mark_is_refused(self) -> None:
        with pytest.raises(StatementInvalid, match=r"amount '12\.30' is not a number"):
            Mt940Parser().parse(_statement_with("2401020102C12.30NTRFNONREF"))

    def test_an_impossible_date_is_refused(self) -> None:
        with pytest.raises(StatementInvalid, match=r"line 5 \(:61:\): date '241302'"):
            Mt940Parser().parse(_statement_with("2413020102C12,30NTRFNONREF"))

    def test_a_balance_that_is_not_a_number_is_refused(self) -> None:
        data = _statement_with("2401020102C12,30NTRFNONREF").replace(b"EUR100,00", b"EUR1O0,00")
        with pytest.raises(StatementInvalid, match=r"line 4 \(:60F:\): amount '1O0,00'"):
            Mt940Parser().parse(data)

    def test_the_well_formed_statement_balances(self) -> None:
        (statement,) = Mt940Parser().parse(_statement_with("2401020102C12,30NTRFNONREF"))
        assert statement.balance_gap is not None and statement.balance_gap.is_zero()

    def test_text_without_tags_is_refused(self) -> None:
        with pytest.raises(StatementInvalid, match="no MT940 tags"):
            Mt940Parser().parse(b"hello\nworld\n")


@given(cents=st.integers(min_value=0, max_value=10**13), credit=st.booleans())
def test_any_amount_round_trips_exactly(cents: int, credit: bool) -> None:
    text = f"{cents // 100},{cents % 100:02d}"
    mark = "C" if credit else "D"
    closing = 100 * 100 + (cents if credit else -cents)
    sign = "C" if closing >= 0 else "D"
    data = (
        ":20:T\n:25:A\n:60F:C240101EUR100,00\n"
        f":61:2401020102{mark}{text}NTRFNONREF\n"
        f":62F:{sign}240102EUR{abs(closing) // 100},{abs(closing) % 100:02d}\n"
    ).encode()
    (statement,) = Mt940Parser().parse(data)
    expected = Decimal(cents).scaleb(-2)
    assert statement.lines[0].amount.amount == (expected if credit else -expected)
    assert statement.balance_gap is not None and statement.balance_gap.is_zero()
