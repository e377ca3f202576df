"""CAMT.052/053/054: every sample imports with the counts, sums and balance gaps read off the
XML by hand; broken files are refused naming the line and element."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.reconcile.model import Statement
from ledgerbridge.statements.base import StatementInvalid
from ledgerbridge.statements.camt053 import CamtParser

# file → per statement: (currency, number of lines, Σ amounts, opening, closing, gap);
# None where the file has no booked balance of the statement's currency.
Row = tuple[str, int, str, str | None, str | None, str | None]
CASES: dict[str, list[Row]] = {
    "bsp_camt053_duplicate_same_day.xml": [("EUR", 2, "-9.00", None, None, None)],
    "bsp_camt053_iso_example_sek.xml": [("SEK", 3, "-64321.50", "500000.00", "435678.50", "0.00")],
    "bsp_camt053_multicurrency.xml": [
        ("EUR", 2, "750.25", "10000.00", "10750.25", "0.00"),
        ("USD", 1, "-99.99", "2500.00", "2400.01", "0.00"),
    ],
    "bsp_camt053_no_namespace.xml": [("GBP", 1, "250.00", "100.00", "350.00", "0.00")],
    "fffs_finnish_camt053_sample.xml": [("EUR", 10, "13644.83", "10000.00", "23644.83", "0.00")],
    "genkgo_camt052.v2.xml": [("SEK", 1, "-200000.00", None, None, None)],
    # One OPBD in RON, no entries and no closing balance.
    "genkgo_camt053.only_Dt_with_DtTm.xml": [("RON", 0, "0", "5442.09", None, None)],
    # Test data: OPBD 1.01 + 8.85 is not CLBD 4.04; the gap is reported, not hidden.
    "genkgo_camt053.v2.all_balance_types.xml": [("EUR", 1, "8.85", "1.01", "4.04", "5.82")],
    # 18.150 / 27.050 / 8.850 are exact cents; 18.15 + 8.85 is 27.00, not 27.05.
    "genkgo_camt053.v2.five_decimals.xml": [("EUR", 1, "8.85", "18.15", "27.05", "-0.05")],
    # CLBD is written in SEK on an EUR account: not comparable, so no closing balance.
    "genkgo_camt053.v2.minimal.xml": [("EUR", 1, "8.85", "18.15", None, None)],
    "genkgo_camt053.v2.multi_statement.xml": [
        ("EUR", 1, "8.85", "18.15", "27.00", "0.00"),
        ("EUR", 1, "-7.00", "27.00", "20.00", "0.00"),
    ],
    "genkgo_camt053.v2.ultimate_parties.xml": [("EUR", 1, "8.85", "18.15", None, None)],
    "genkgo_camt053.v2.with_party_ids.xml": [("EUR", 1, "8.85", "18.15", None, None)],
    "genkgo_camt053.v3.xml": [("EUR", 1, "8.85", "18.15", None, None)],
    "genkgo_camt053.v4.xml": [("EUR", 1, "8.85", "18.15", None, None)],
    "genkgo_camt053.v8.xml": [("EUR", 1, "8.85", "18.15", None, None)],
    "genkgo_camt054.v2.xml": [("SEK", 1, "-200000.00", None, None, None)],
    # Only OPAV/CLAV (available) balances: they are not used as booked balances.
    "lt_bank_statement_1.xml": [("EUR", 4, "-2768.08", None, None, None)],
    # The CHF 1537.00 credit is booked on 24 Nov with value date 25 Nov, and PostFinance
    # leaves it out of CLBD (it is in FWAV 216649.21): the gap is exactly that entry.
    "postfinance_ch_camt053_v04_chf.xml": [
        ("CHF", 5, "4656.02", "211993.19", "215112.21", "1537.00")
    ],
    "postfinance_ch_camt054_returns.xml": [("CHF", 1, "500.00", None, None, None)],
}


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _parse(bank: Path, name: str) -> list[Statement]:
    return CamtParser().parse((bank / "camt053" / name).read_bytes())


class TestSamples:
    def test_the_table_covers_every_camt_sample(self, bank: Path) -> None:
        assert {p.name for p in (bank / "camt053").iterdir()} == set(CASES)

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_each_sample_gives_the_lines_sums_and_balances_read_from_the_file(
        self, bank: Path, name: str
    ) -> None:
        statements = _parse(bank, name)
        got = [
            (
                s.currency,
                len(s.lines),
                sum((line.amount.amount for line in s.lines), Decimal(0)),
                s.opening_balance and s.opening_balance.amount,
                s.closing_balance and s.closing_balance.amount,
                s.balance_gap and s.balance_gap.amount,
            )
            for s in statements
        ]
        expected = [
            (c, n, Decimal(total), _money(o), _money(cl), _money(g))
            for c, n, total, o, cl, g in CASES[name]
        ]
        assert got == expected
        for statement in statements:
            assert [line.position for line in statement.lines] == list(range(len(statement.lines)))


class TestMapping:
    def test_a_batch_entry_keeps_bank_ref_references_and_signed_amount(self, bank: Path) -> None:
        (statement,) = _parse(bank, "bsp_camt053_iso_example_sek.xml")
        credit, batch, _ = statement.lines
        assert statement.account == "50000000054910000003"
        assert statement.statement_id == "AAAASESS-FP-STAT001"
        assert credit.bank_ref == "AAAASESS-FP-CN_98765/01"
        assert credit.counterparty == "MUELLER"
        assert credit.references == ("MUELL/FINP/RA12345",)
        assert credit.booking_date == dt.date(2010, 10, 18)  # from a DtTm, as written
        assert credit.transaction_code == "PAYM/0001/0005"
        assert batch.amount.amount == Decimal("-200000.00")
        assert batch.references == ("FINP-0055", "FINP-0055/001")

    def test_the_finnish_sample_carries_every_end_to_end_id_of_a_batched_entry(
        self, bank: Path
    ) -> None:
        (statement,) = _parse(bank, "fffs_finnish_camt053_sample.xml")
        third = statement.lines[2]
        assert third.bank_ref == "091029ACCTSTMTARCH03"
        assert third.counterparty == "Creditor Company"
        assert {"091029ARCH03001", "091029ARCH03002", "091029ARCH03003"} <= set(third.references)

    def test_two_identical_entries_both_survive_with_their_own_position(self, bank: Path) -> None:
        (statement,) = _parse(bank, "bsp_camt053_duplicate_same_day.xml")
        first, second = statement.lines
        assert first.amount == second.amount and first.description == second.description
        assert (first.position, second.position) == (0, 1)

    def test_a_statement_without_namespace_reads_like_one_with(self, bank: Path) -> None:
        (statement,) = _parse(bank, "bsp_camt053_no_namespace.xml")
        (line,) = statement.lines
        assert line.counterparty == "JANE CLIENT"
        assert line.description == "Consulting fee"
        assert statement.period_start is None

    def test_v8_party_names_sit_under_pty(self, bank: Path) -> None:
        (statement,) = _parse(bank, "genkgo_camt053.v8.xml")
        assert statement.lines[0].counterparty == "NAME NAME"
        assert statement.lines[0].value_date == dt.date(2015, 1, 2)


class TestBrokenFiles:
    def test_truncated_xml_is_refused_with_its_line(self, bank: Path) -> None:
        data = (bank / "camt053" / "bsp_camt053_no_namespace.xml").read_bytes()[:700]
        with pytest.raises(StatementInvalid, match=r"^line \d+: the XML is not well-formed"):
            CamtParser().parse(data)

    def test_an_amount_finer_than_the_currency_names_the_element_and_line(self, bank: Path) -> None:
        data = (bank / "camt053" / "genkgo_camt053.v2.five_decimals.xml").read_bytes()
        broken = data.replace(b'<Amt Ccy="EUR">8.850</Amt>', b'<Amt Ccy="EUR">8.855</Amt>')
        with pytest.raises(StatementInvalid) as caught:
            CamtParser().parse(broken)
        assert caught.value.field == "line 62: Ntry/Amt"
        assert "more decimals than EUR allows" in caught.value.message

    def test_an_amount_that_is_not_a_number_is_refused(self, bank: Path) -> None:
        data = (bank / "camt053" / "bsp_camt053_no_namespace.xml").read_bytes()
        broken = data.replace(b">250.00<", b">250,00<")
        with pytest.raises(
            StatementInvalid, match=r"line 41: Ntry/Amt: amount '250,00' is not a number"
        ):
            CamtParser().parse(broken)

    def test_an_unknown_credit_debit_indicator_is_refused(self, bank: Path) -> None:
        data = (bank / "camt053" / "bsp_camt053_no_namespace.xml").read_bytes()
        broken = data.replace(
            b"<CdtDbtInd>CRDT</CdtDbtInd>\n\t\t\t\t<Sts>", b"<CdtDbtInd>X</CdtDbtInd><Sts>"
        )
        with pytest.raises(StatementInvalid, match="Ntry/CdtDbtInd: 'X' is neither"):
            CamtParser().parse(broken)

    def test_an_entry_in_another_currency_is_refused(self, bank: Path) -> None:
        data = (bank / "camt053" / "bsp_camt053_no_namespace.xml").read_bytes()
        broken = data.replace(b'<Amt Ccy="GBP">250.00', b'<Amt Ccy="EUR">250.00')
        with pytest.raises(StatementInvalid, match="entry in EUR on a GBP statement"):
            CamtParser().parse(broken)

    def test_a_document_that_is_not_a_bank_to_customer_message_is_refused(self) -> None:
        with pytest.raises(StatementInvalid, match="holds no BkToCstmrStmt"):
            CamtParser().parse(b"<Document><CstmrCdtTrfInitn/></Document>")

    def test_entities_are_not_expanded(self) -> None:
        data = (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<Document><BkToCstmrStmt><Stmt><Acct><Ccy>EUR</Ccy></Acct>"
            b"<Ntry><Amt>1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2020-01-01</Dt>"
            b"</BookgDt><AcctSvcrRef>&x;</AcctSvcrRef></Ntry></Stmt></BkToCstmrStmt></Document>"
        )
        (statement,) = CamtParser().parse(data)
        assert statement.lines[0].bank_ref is None  # the entity stays an unexpanded reference
