"""OFX 1.x (SGML) and 2.x (XML) bank and credit-card statements, QFX included → statements.

Why not ``OFXTree.parse(...).convert()`` end to end: ``ofxtools`` validates the whole message
against the OFX specification and refuses six of the eleven real files in our samples for
things that do not touch the money — a header without ``CHARSET``/``NEWFILEUID`` lines (QFX
exports), blank lines before the header, no header at all, a ``BANKID`` longer than nine
characters, a statement without ``BANKTRANLIST``. A strict path with a fallback would mean two
readers that must agree, so there is one reader that uses ``ofxtools`` where it is tolerant
and right:

* its ``TreeBuilder`` lexes the body (SGML elements without end tags, CDATA, XML) into an
  element tree, and refuses mismatched aggregates;
* its ``DateTime`` type checks every ``DTPOSTED``/``DTAVAIL``/``DTASOF`` against the OFX
  formats (``20090401122017.000[-5:EST]``).

The header (everything before ``<OFX>``) is skipped rather than validated. Amounts are read
from the element text with :func:`~ledgerbridge.statements.base.read_decimal`, because
``ofxtools``' decimal type also takes ``1e3`` and ``NaN``.

Mapping: ``bank_ref`` ← ``FITID``; amount ← ``TRNAMT`` as signed by the bank (for credit cards
a charge is negative); booking date ← ``DTPOSTED``; value date ← ``DTAVAIL``; counterparty ←
``NAME`` or ``PAYEE/NAME``; description ← ``MEMO`` (else ``NAME``); references ← ``REFNUM``,
``CHECKNUM``, ``SRVRTID``, ``MEMO``; transaction code ← ``TRNTYPE``; closing balance ←
``LEDGERBAL`` (OFX has no opening balance, so ``balance_gap`` is always unknown).

Traps:

* Dates are taken as written (``YYYYMMDD``), never shifted: ``ofxtools`` converts to UTC, which
  moves an evening posting in New York to the next day.
* A ``FITID`` may repeat (banks reuse them); ``position`` keeps both lines apart.
* An empty ``BALAMT`` is a missing balance, not zero. An empty ``CURDEF`` is filled from the
  transactions' ``CURRENCY/CURSYM`` when they all agree.
* A transaction response whose ``STATUS`` is an error and that carries no statement is refused
  with the bank's code and message; a file with no statement response at all (an account
  list) gives no statements.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ofxtools import Types
from ofxtools.Parser import ParseError, TreeBuilder

from ledgerbridge.reconcile.model import BankLine, Statement
from ledgerbridge.statements.base import (
    StatementInvalid,
    check_currency,
    clean,
    decode,
    read_decimal,
    to_money,
    unique,
)

if TYPE_CHECKING:
    from ledgerbridge.money import Money
    from ledgerbridge.statements.csv_profile import CsvProfile

_OFX_START = re.compile(r"<OFX>", re.IGNORECASE)
_STATEMENTS = {"STMTTRNRS": "STMTRS", "CCSTMTTRNRS": "CCSTMTRS"}
_DATETIME = Types.DateTime()


@dataclass(frozen=True, slots=True)
class OfxParser:
    """OFX/QFX; ``currency`` is the account's currency for files with an empty ``CURDEF``."""

    format: str = "ofx"
    currency: str | None = None

    def identify(self, head: bytes) -> bool:
        upper = head.upper()
        return b"OFXHEADER" in upper or b"<OFX>" in upper

    def parse(self, data: bytes, *, profile: CsvProfile | None = None) -> list[Statement]:
        del profile  # CSV only
        root = _tree(decode(data))
        statements: list[Statement] = []
        for index, response in enumerate(r for r in root.iter() if r.tag in _STATEMENTS):
            path = f"{response.tag}[{index + 1}]"
            body = response.find(_STATEMENTS[response.tag])
            if body is None:
                _refuse_error_status(response, path)
                continue
            statements.append(self._statement(body, f"{path}/{body.tag}"))
        return statements

    def _statement(self, body: ET.Element, path: str) -> Statement:
        currency = _currency(body, path, self.currency)
        account = _text(body, "BANKACCTFROM/ACCTID") or _text(body, "CCACCTFROM/ACCTID")
        transactions = body.findall("BANKTRANLIST/STMTTRN")
        lines = tuple(
            _line(tx, f"{path}/BANKTRANLIST/STMTTRN[{i + 1}]", currency, account, i)
            for i, tx in enumerate(transactions)
        )
        ledger = body.find("LEDGERBAL")
        closing: Money | None = None
        if ledger is not None and _text(ledger, "BALAMT") is not None:
            where = f"{path}/LEDGERBAL/BALAMT"
            closing = to_money(
                read_decimal(_number(ledger, "BALAMT"), where=where), currency, where=where
            )
        return Statement(
            account=account,
            currency=currency,
            lines=lines,
            closing_balance=closing,
            period_start=_date(body, "BANKTRANLIST/DTSTART", path),
            period_end=_date(body, "BANKTRANLIST/DTEND", path),
        )


class _CheckedBuilder(TreeBuilder):
    """``ofxtools``' builder, plus what the stdlib ``TreeBuilder`` does not check: that every
    end tag closes the innermost open aggregate, and (with :attr:`open`) that none is left
    open. Without this a truncated file parses as if it were whole."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.open.append(tag)
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        innermost = self.open.pop() if self.open else None
        if innermost != tag:
            raise ParseError(f"</{tag}> closes <{innermost}>")
        return super().end(tag)


def _tree(text: str) -> ET.Element:
    start = _OFX_START.search(text)
    if start is None:
        raise StatementInvalid("no <OFX> element: not an OFX file", field="OFX")
    builder = _CheckedBuilder()
    try:
        builder.feed(text[start.start() :])
        if builder.open:
            raise ParseError(f"<{builder.open[-1]}> is never closed (truncated file?)")
        root = builder.close()
    except (SyntaxError, ValueError, IndexError, AssertionError) as exc:
        message = exc.args[0] if exc.args else type(exc).__name__
        raise StatementInvalid(f"OFX markup is broken: {message}", field="OFX") from None
    return root


def _refuse_error_status(response: ET.Element, path: str) -> None:
    code = _text(response, "STATUS/CODE")
    if code not in (None, "0"):
        message = _text(response, "STATUS/MESSAGE") or "no message"
        raise StatementInvalid(
            f"{path}/STATUS: the bank reports error {code} ({message}) instead of a statement",
            field=f"{path}/STATUS",
        )


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return clean(found.text) if found is not None else None


def _number(element: ET.Element, path: str) -> str:
    """Element text with a decimal comma (allowed by OFX) turned into a point."""
    text = _text(element, path) or ""
    return text.replace(",", ".") if "," in text and "." not in text else text


def _date(element: ET.Element, path: str, where: str) -> dt.date | None:
    text = _text(element, path)
    if text is None:
        return None
    field = f"{where}/{path}"
    try:
        _DATETIME.convert(text)  # validates the OFX date-time syntax
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, TypeError):
        raise StatementInvalid(f"{field}: {text!r} is not an OFX date", field=field) from None


def _currency(body: ET.Element, path: str, fallback: str | None) -> str:
    declared = _text(body, "CURDEF")
    if declared:
        return check_currency(declared, where=f"{path}/CURDEF")
    symbols = {
        symbol
        for tx in body.findall("BANKTRANLIST/STMTTRN")
        for kind in ("CURRENCY", "ORIGCURRENCY")
        if (symbol := _text(tx, f"{kind}/CURSYM")) is not None
    }
    if len(symbols) == 1:
        return check_currency(symbols.pop(), where=f"{path}/BANKTRANLIST/STMTTRN/CURRENCY")
    if fallback is not None:
        return check_currency(fallback, where="currency")
    raise StatementInvalid(
        f"{path}/CURDEF: the statement names no currency; give the account's currency",
        field=f"{path}/CURDEF",
    )


def _line(tx: ET.Element, path: str, currency: str, account: str | None, position: int) -> BankLine:
    where = f"{path}/TRNAMT"
    amount = to_money(read_decimal(_number(tx, "TRNAMT"), where=where), currency, where=where)
    for kind in ("CURRENCY", "ORIGCURRENCY"):
        symbol = _text(tx, f"{kind}/CURSYM")
        if symbol is not None and symbol.upper() != currency:
            field = f"{path}/{kind}/CURSYM"
            raise StatementInvalid(
                f"{field}: transaction in {symbol} on a {currency} statement", field=field
            )
    posted = _date(tx, "DTPOSTED", path)
    if posted is None:
        raise StatementInvalid(f"{path}/DTPOSTED: missing", field=f"{path}/DTPOSTED")
    name = _text(tx, "NAME") or _text(tx, "PAYEE/NAME")
    memo = _text(tx, "MEMO")
    fitid = _text(tx, "FITID")
    trntype = _text(tx, "TRNTYPE")
    return BankLine(
        bank_ref=fitid,
        booking_date=posted,
        amount=amount,
        description=memo or name or "",
        value_date=_date(tx, "DTAVAIL", path),
        counterparty=name,
        references=unique(
            [_text(tx, "REFNUM"), _text(tx, "CHECKNUM"), _text(tx, "SRVRTID"), memo],
            skip=(fitid, "0"),
        ),
        transaction_code=trntype.upper() if trntype else None,
        account=account,
        position=position,
    )
