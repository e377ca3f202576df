"""OFX/QFX: every sample imports (or is refused for a stated reason) with the counts, sums and
ledger balances read off ``<TRNAMT>``/``<BALAMT>`` by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.reconcile.model import Statement
from ledgerbridge.statements.base import StatementInvalid
from ledgerbridge.statements.ofx import OfxParser

# file → per statement: (currency, account, lines, Σ amounts, closing LEDGERBAL or None)
CASES: dict[str, list[tuple[str, str, int, str, str | None]]] = {
    "bsp_sample.qfx": [("USD", "123456789", 1, "-15.00", None)],
    "ofxparse_account_listing.ofx": [],  # an account list: no statement in it
    "ofxparse_anzcc_creditcard.ofx": [("AUD", "1234123412341234", 1, "-5.50", "-123.45")],
    "ofxparse_bank_medium.ofx": [("CAD", "12300 000012345678", 3, "-345.27", "382.34")],
    "ofxparse_checking.ofx": [("USD", "1452687~7", 3, "-59.50", "100.99")],
    "ofxparse_empty_balance.ofx": [("CAD", "192639749", 1, "120.00", None)],  # <BALAMT> blank
    "ofxparse_multiple_accounts.ofx": [
        ("USD", "9100", 0, "0", "111.00"),
        ("USD", "9200", 0, "0", "222.00"),
    ],
    "ofxparse_suncorp.ofx": [("AUD", "123456789", 1, "-16.85", "1234.12")],
    # <CURDEF></CURDEF>: the currency comes from the line's <CURRENCY><CURSYM>AUD.
    "ofxparse_v102_empty_tags.ofx": [("AUD", "12345678", 1, "12.34", None)],
}
REFUSED = {
    "ofxparse_decimal_error.ofx": (
        "STMTTRNRS[1]/STMTRS/BANKTRANLIST/STMTTRN[1]/TRNAMT",
        "amount '$120' is not a number",
    ),
    "ofxparse_error_message.ofx": (
        "STMTTRNRS[1]/STATUS",
        "the bank reports error 2000 (General Server Error) instead of a statement",
    ),
}


def _read(bank: Path, name: str) -> list[Statement]:
    return OfxParser().parse((bank / "ofx" / name).read_bytes())


class TestSamples:
    def test_the_tables_cover_every_ofx_sample(self, bank: Path) -> None:
        assert {p.name for p in (bank / "ofx").iterdir()} == set(CASES) | set(REFUSED)

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_each_sample_gives_the_lines_sums_and_ledger_balance_read_from_the_file(
        self, bank: Path, name: str
    ) -> None:
        got = [
            (
                s.currency,
                s.account,
                len(s.lines),
                sum((line.amount.amount for line in s.lines), Decimal(0)),
                s.closing_balance and s.closing_balance.amount,
            )
            for s in _read(bank, name)
        ]
        expected = [
            (c, a, n, Decimal(t), None if b is None else Decimal(b))
            for c, a, n, t, b in CASES[name]
        ]
        assert got == expected
        assert all(s.opening_balance is None and s.balance_gap is None for s in _read(bank, name))

    @pytest.mark.parametrize("name", sorted(REFUSED))
    def test_broken_samples_are_refused_naming_the_element(self, bank: Path, name: str) -> None:
        field, message = REFUSED[name]
        with pytest.raises(StatementInvalid) as caught:
            _read(bank, name)
        assert caught.value.field == field
        assert caught.value.message == f"{field}: {message}"


class TestMapping:
    def test_fitid_dates_and_names(self, bank: Path) -> None:
        (statement,) = _read(bank, "ofxparse_checking.ofx")
        cheque = statement.lines[2]
        assert cheque.bank_ref == "0000488"
        assert cheque.booking_date == dt.date(2011, 4, 7)
        assert cheque.counterparty == "RETURNED CHECK FEE, CHECK # 319"
        assert cheque.references[0] == "319"  # CHECKNUM
        assert cheque.transaction_code == "CHECK"
        assert statement.period_start == dt.date(2000, 1, 1)

    def test_a_posting_time_with_a_zone_keeps_the_date_the_bank_wrote(self, bank: Path) -> None:
        (statement,) = _read(bank, "ofxparse_bank_medium.ofx")
        # 20090401122017.000[-5:EST]: 1 April, whatever the UTC time.
        assert statement.lines[0].booking_date == dt.date(2009, 4, 1)

    def test_a_late_evening_posting_is_not_moved_to_the_next_day(self) -> None:
        data = _one_transaction(fitid="A", posted="20240131230000.000[-5:EST]")
        (statement,) = OfxParser().parse(data)
        assert statement.lines[0].booking_date == dt.date(2024, 1, 31)

    def test_cdata_names_are_read(self, bank: Path) -> None:
        (statement,) = _read(bank, "ofxparse_suncorp.ofx")
        assert statement.lines[0].counterparty == "EFTPOS WDL HANDYWAY ALDI STORE"


def _one_transaction(*, fitid: str, posted: str = "20240102", amount: str = "-1.00") -> bytes:
    transaction = (
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{posted}<TRNAMT>{amount}<FITID>{fitid}"
        "<NAME>Shop</STMTTRN>"
    )
    return _document(transaction)


def _document(transactions: str) -> bytes:
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1"
        "<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1"
        "<ACCTID>42<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20240101"
        f"<DTEND>20240131{transactions}</BANKTRANLIST><LEDGERBAL><BALAMT>10.00"
        "<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    ).encode()


class TestDuplicatesAndBrokenInput:
    def test_a_reused_fitid_keeps_both_lines_with_different_positions(self) -> None:
        line = (
            "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-4.50<FITID>SAME"
            "<NAME>Coffee</STMTTRN>"
        )
        (statement,) = OfxParser().parse(_document(line + line))
        first, second = statement.lines
        assert first.bank_ref == second.bank_ref == "SAME"
        assert (first.position, second.position) == (0, 1)
        assert sum(x.amount.amount for x in statement.lines) == Decimal("-9.00")

    def test_truncated_markup_is_refused(self) -> None:
        data = _one_transaction(fitid="A")
        with pytest.raises(StatementInvalid, match="OFX markup is broken"):
            OfxParser().parse(data[: data.index(b"</BANKTRANLIST>")])

    def test_a_bad_date_names_the_element(self) -> None:
        with pytest.raises(StatementInvalid) as caught:
            OfxParser().parse(_one_transaction(fitid="A", posted="20241301"))
        assert caught.value.field == "STMTTRNRS[1]/STMTRS/BANKTRANLIST/STMTTRN[1]/DTPOSTED"

    def test_an_amount_finer_than_cents_is_refused(self) -> None:
        with pytest.raises(StatementInvalid, match=r"TRNAMT: .*more decimals than USD allows"):
            OfxParser().parse(_one_transaction(fitid="A", amount="-1.005"))

    def test_a_decimal_comma_is_read(self) -> None:
        (statement,) = OfxParser().parse(_one_transaction(fitid="A", amount="-1,25"))
        assert statement.lines[0].amount.amount == Decimal("-1.25")

    def test_a_transaction_in_another_currency_is_refused(self) -> None:
        line = (
            "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-4.50<FITID>X"
            "<CURRENCY><CURRATE>1.1<CURSYM>EUR</CURRENCY></STMTTRN>"
        )
        with pytest.raises(StatementInvalid, match="CURRENCY/CURSYM: transaction in EUR"):
            OfxParser().parse(_document(line))
