"""BAI2: every sample imports with the counts, sums and 010/015 balance gaps read off the
``16`` and ``03`` records by hand (amounts are minor units; types 100–399 credit, 400–699
debit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.reconcile.model import Statement
from ledgerbridge.statements.bai2 import Bai2Parser
from ledgerbridge.statements.base import StatementInvalid

# file → per account record: (currency, lines, Σ amounts, opening 010, closing 015, gap)
CASES: dict[str, list[tuple[str, int, str, str | None, str | None, str | None]]] = {
    "moj_account_trailer_blank.bai2": [
        ("USD", 0, "0", None, None, None),
        ("USD", 0, "0", None, None, None),
    ],
    # 010 and 015 are both 100.00 around a 0.01 credit ("16,191,001"): test data.
    "moj_citi_example.bai2": [("GBP", 1, "0.01", "100.00", "100.00", "0.01")],
    "moj_nwb_example.bai2": [("GBP", 5, "-26.76", "365.21", "338.45", "0.00")],
    "moj_svb_us_example.bai2": [
        ("USD", 1, "4901.96", "347269.79", "352171.75", "0.00"),
        ("USD", 1, "9058.00", "352171.75", "361229.75", "0.00"),
    ],
    # Only available balances (040/045): no ledger balances.
    "moov_sample1_cad.bai2": [
        ("CAD", 11, "0.00", None, None, None),
        ("CAD", 6, "0.00", None, None, None),
    ],
    "moov_sample2_multi_account.bai2": [
        ("USD", 1, "4500.00", "43500.00", None, None),
        ("USD", 1, "5000.00", "-5000.00", None, None),
        ("USD", 2, "300000.00", "100000.00", None, None),
        ("USD", 0, "0", "5000.00", None, None),
        ("USD", 0, "0", "8000.00", None, None),
    ],
    "moov_sample3_no_newlines.bai2": [
        ("USD", 6, "-1.00", "-35.00", "-36.00", "0.00"),
        ("USD", 0, "0", "0.00", "0.00", "0.00"),
        ("USD", 0, "0", "0.00", "0.00", "0.00"),
        ("USD", 2, "-307.03", "-557.03", "-864.06", "0.00"),
        ("USD", 0, "0", "985.47", "985.47", "0.00"),
        ("USD", 0, "0", "0.00", "0.00", "0.00"),
        ("USD", 0, "0", "0.00", "0.00", "0.00"),
        ("USD", 6, "-149.51", "6252.66", "6103.15", "0.00"),
        ("USD", 4, "-56.24", "-731.35", "-787.59", "0.00"),
        ("USD", 8, "316.73", "-40.78", "275.95", "0.00"),
        *[("USD", 0, "0", "0.00", "0.00", "0.00")] * 5,
    ],
    # Account 104108339's ledger moves by −2000.00 (its 400 summary: one debit of 2000.00),
    # but 14 details follow it: the gap is the other 13.
    "moov_sample4_continuations.bai2": [
        ("USD", 0, "0", None, None, None),
        ("USD", 3, "-8451.50", None, None, None),
        ("USD", 14, "-299031.74", "1595811.94", "1593811.94", "-297031.74"),
        ("USD", 0, "0", None, None, None),
        ("USD", 0, "0", None, None, None),
    ],
}


def _read(bank: Path, name: str) -> list[Statement]:
    return Bai2Parser().parse((bank / "bai2" / name).read_bytes())


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class TestSamples:
    def test_the_table_covers_every_bai2_sample(self, bank: Path) -> None:
        assert {p.name for p in (bank / "bai2").iterdir()} == set(CASES)

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_each_sample_gives_the_lines_sums_and_balances_read_from_the_file(
        self, bank: Path, name: str
    ) -> None:
        got = [
            (
                s.currency,
                len(s.lines),
                sum((line.amount.amount for line in s.lines), Decimal(0)),
                s.opening_balance and s.opening_balance.amount,
                s.closing_balance and s.closing_balance.amount,
                s.balance_gap and s.balance_gap.amount,
            )
            for s in _read(bank, name)
        ]
        assert got == [
            (c, n, Decimal(t), _dec(o), _dec(cl), _dec(g)) for c, n, t, o, cl, g in CASES[name]
        ]


class TestMapping:
    def test_value_dated_detail_with_references(self, bank: Path) -> None:
        (statement,) = _read(bank, "moj_citi_example.bai2")
        (line,) = statement.lines
        assert statement.account == "77777777"
        assert line.bank_ref == "1234567890"
        assert line.references[0] == "RP12312312312312"  # customer reference
        assert "TRID:RP12312312312312" in line.references  # an 88 continuation
        assert line.booking_date == dt.date(2015, 7, 15)  # group as-of date
        assert line.value_date == dt.date(2015, 7, 15)
        assert line.transaction_code == "191"

    def test_continuation_lines_give_references_and_the_counterparty(self, bank: Path) -> None:
        statements = _read(bank, "moov_sample4_continuations.bai2")
        reject = statements[1].lines[1]
        assert reject.bank_ref == "SB2322600000404"
        assert reject.amount.amount == Decimal("1435.00")  # 261 ACH credit reject: money in
        assert reject.counterparty == "SAMPLE INC"  # DBNM of a credit
        assert "REMI: ACH- Test - Addenda Record" in reject.references

    def test_records_packed_on_one_line_are_split(self, bank: Path) -> None:
        first = _read(bank, "moov_sample3_no_newlines.bai2")[0]
        assert [line.amount.amount for line in first.lines] == [
            Decimal(v) for v in ("25.00", "5.00", "1.00", "-25.00", "-6.00", "-1.00")
        ]

    def test_a_summary_continued_after_a_type_code_keeps_its_fields_apart(self, bank: Path) -> None:
        second = _read(bank, "moov_sample2_multi_account.bai2")[1]
        assert second.opening_balance is not None
        assert second.opening_balance.amount == Decimal("-5000.00")
        assert second.lines[0].description == "LOCK BOX NO.68751"


class TestBrokenFiles:
    HEAD = "01,SENDER,RECEIVER,240101,1200,1,,,2/\n02,RECEIVER,BANK,1,240101,,USD,2/\n"

    def test_a_detail_amount_that_is_not_a_number_names_the_line(self) -> None:
        data = self.HEAD + "03,123,USD,010,100,,/\n16,195,12.50,Z,REF,,text/\n49,0,3/\n"
        with pytest.raises(StatementInvalid) as caught:
            Bai2Parser().parse(data.encode())
        assert caught.value.message == "line 4 (16 record): amount '12.50' is not a number"

    def test_an_unknown_type_code_names_the_line(self) -> None:
        data = self.HEAD + "03,123,USD,010,100,,/\n16,999,1250,Z,REF,,text/\n"
        with pytest.raises(StatementInvalid, match=r"line 4 \(16 record\): Type code '999'"):
            Bai2Parser().parse(data.encode())

    def test_a_detail_outside_an_account_is_refused(self) -> None:
        data = self.HEAD + "16,195,1250,Z,REF,,text/\n"
        with pytest.raises(StatementInvalid, match="detail outside an account"):
            Bai2Parser().parse(data.encode())

    def test_a_file_not_starting_with_a_header_is_refused(self) -> None:
        with pytest.raises(StatementInvalid, match="starts with an 01 record"):
            Bai2Parser().parse(b"03,123,USD,010,100,,/\n")

    def test_a_yen_account_has_no_decimals(self) -> None:
        data = self.HEAD.replace(",USD,", ",JPY,") + "03,123,,010,100,,/\n16,195,1250,Z,R,,t/\n"
        (statement,) = Bai2Parser().parse(data.encode())
        assert statement.lines[0].amount.amount == Decimal(1250)
        assert statement.currency == "JPY"
