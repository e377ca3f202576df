"""BAI2 cash-management files (US and UK banks) → one :class:`Statement` per account record.

Why the ``bai2`` package is used record by record: its whole-file parser
(``parse_from_string``) fails on three of our eight real samples — records not separated by
newlines (``moov_sample3_no_newlines``), an ``03`` record whose summary continues on an ``88``
line right after a type code (``moov_sample2``: ``…,190/`` then ``88,500000,…`` is read as type
code ``190500000``), and trailers whose record counts do not match the file (``moov_sample4``).
Its per-record parsers are sound, though, and carry what is worth not rewriting: the funds-type
availability layouts (``0``/``1``/``2``/``S``/``V``/``D``) and the table that says which of
the 400-odd type codes are credits and which are debits. So this module

1. cuts the text into logical records with their line numbers: it splits lines at ``/`` followed
   by blanks and a record code (several records on one line), joins a wrapped line that does
   not start with a record code to the record before it, and attaches ``88`` continuations;
2. joins an ``03`` record with its continuations field by field (a ``/`` ends a field);
3. parses each record with the package's ``AccountIdentifierParser``/``TransactionDetailParser``/
   ``GroupHeaderParser``, so any failure names the record's line;
4. nests them itself: ``02`` group (as-of date, currency) → ``03`` account → ``16`` details.

Mapping: amount ← detail amount in minor units of the currency (``Money.from_minor``: BAI2 has
no decimal point), signed by the type code (credits 100–399 +, debits 400–699 −); ``bank_ref``
← bank reference; ``references`` ← customer reference, ``88`` lines such as ``EREF:``/``REMI:``;
booking date ← the group's as-of date; value date ← the date of a value-dated (``V``) detail;
opening/closing balance ← summary type ``010``/``015``; currency ← ``03``, else ``02``, else
USD (the BAI2 default).

Traps:

* Trailer control totals and record counts are not enforced: producers get them wrong
  (``moov_sample4``'s account trailer says 26 records for 18), and the ledger balances
  ``010`` + lines = ``015`` check what matters. Suggested follow-up: surface them as notes.
* A non-monetary detail (type ``890``) is skipped when its amount is zero and refused otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bai2.constants import FundsType, TypeCodeTransaction  # type: ignore[import-untyped]
from bai2.helpers import IteratorHelper  # type: ignore[import-untyped]
from bai2.parsers import (  # type: ignore[import-untyped]
    AccountIdentifierParser,
    GroupHeaderParser,
    TransactionDetailParser,
)

from ledgerbridge.money import Money
from ledgerbridge.reconcile.model import BankLine, Statement
from ledgerbridge.statements.base import StatementInvalid, check_currency, clean, decode, unique

if TYPE_CHECKING:
    from ledgerbridge.statements.csv_profile import CsvProfile

_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
_RECORD_START = re.compile(r"(?:0[1-3]|16|49|88|98|99),")
_PACKED = re.compile(r"(?<=/)\s+(?=(?:0[1-3]|16|49|88|98|99),)")
_MINOR = re.compile(r"[+-]?\d+")


@dataclass
class _Record:
    code: str
    rows: list[str]
    line: int

    @property
    def where(self) -> str:
        return f"line {self.line} ({self.code} record)"


@dataclass
class _Account:
    record: _Record
    currency: str
    as_of: dt.date
    summary: dict[str, int]
    details: list[BankLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Bai2Parser:
    """BAI2 (version 2) files."""

    format: str = "bai2"

    def identify(self, head: bytes) -> bool:
        return re.match(rb"\s*01,[^,\n]*,[^,\n]*,\d{6},", head) is not None

    def parse(self, data: bytes, *, profile: CsvProfile | None = None) -> list[Statement]:
        del profile  # CSV only
        records = _records(decode(data, fallback="latin-1"))
        if not records or records[0].code != "01":
            raise StatementInvalid("line 1: a BAI2 file starts with an 01 record", field="line 1")
        accounts: list[_Account] = []
        group: tuple[dt.date, str] | None = None
        for record in records:
            if record.code == "02":
                group = _group(record)
            elif record.code == "03":
                if group is None:
                    raise StatementInvalid(
                        f"{record.where}: account outside a group", field=record.where
                    )
                accounts.append(_account(record, *group))
            elif record.code == "16":
                if not accounts:
                    raise StatementInvalid(
                        f"{record.where}: detail outside an account", field=record.where
                    )
                _add_detail(accounts[-1], record)
        return [_statement(account) for account in accounts]


def _records(text: str) -> list[_Record]:
    """Logical records (a record and its ``88`` continuations) with 1-based line numbers."""
    records: list[_Record] = []
    for number, physical in enumerate(
        text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1
    ):
        for packed in _PACKED.split(physical):
            piece = packed.strip()
            if not piece:
                continue
            if not _RECORD_START.match(piece):
                if not records:
                    raise StatementInvalid(
                        f"line {number}: {piece[:20]!r} is not a BAI2 record",
                        field=f"line {number}",
                    )
                records[-1].rows[-1] += " " + piece  # a record wrapped without an 88
            elif piece.startswith("88,"):
                if not records:
                    raise StatementInvalid(
                        f"line {number}: continuation without a record", field=f"line {number}"
                    )
                records[-1].rows.append(piece)
            else:
                records.append(_Record(piece[:2], [piece], number))
    return records


def _parse(parser_class: Any, record: _Record, rows: list[str]) -> Any:
    """One record through the package's parser; its exceptions become :class:`StatementInvalid`."""
    try:
        return parser_class(IteratorHelper(rows), check_integrity=False).parse()
    # Everything: besides its own exceptions the package lets ValueError (int(''), enums),
    # IndexError (short records) and others through; none may reach the caller raw.
    except Exception as exc:
        message = exc.args[0] if exc.args else type(exc).__name__
        raise StatementInvalid(f"{record.where}: {message}", field=record.where) from None


def _group(record: _Record) -> tuple[dt.date, str]:
    header = _parse(GroupHeaderParser, record, record.rows)
    if header.as_of_date is None:
        raise StatementInvalid(f"{record.where}: no as-of date", field=record.where)
    # The package puts USD in when the group names no currency, which is also the BAI2 default.
    return header.as_of_date, check_currency(header.currency, where=record.where)


def _account(record: _Record, as_of: dt.date, group_currency: str) -> _Account:
    identifier = _parse(AccountIdentifierParser, record, [_joined_identifier(record)])
    currency = group_currency
    if identifier.currency:
        currency = check_currency(identifier.currency, where=record.where)
    summary = {
        item.type_code.code: item.amount
        for item in identifier.summary_items
        if item.type_code is not None and item.amount is not None
    }
    return _Account(record, currency, as_of, summary)


def _joined_identifier(record: _Record) -> str:
    """An ``03`` record and its ``88`` continuations as one line, joined field by field.

    A ``/`` ends a field, so ``…,190/`` + ``88,500000,…`` is type code 190 followed by amount
    500000 (the package glues them into ``190500000``). Some banks also end a row with one
    empty field too many (``015,35217175,,,/``); that extra field is dropped when it falls
    right after a complete summary group.
    """
    fields: list[str] = []
    for row in record.rows:
        fields += row.removeprefix("88,").removesuffix("/").split(",")
        if _open_fields(fields[3:]) == 1 and fields[-1] == "":
            fields.pop()
    return ",".join(fields) + "/"


def _open_fields(summary: list[str]) -> int:
    """How many fields of ``summary`` belong to a group that is not complete yet."""
    index = 0
    while index < len(summary):
        funds = summary[index + 3] if index + 3 < len(summary) else ""
        size = 4 + {"S": 3, "V": 2}.get(funds, 0)
        if funds == "D":
            count = summary[index + 4] if index + 4 < len(summary) else ""
            size = 5 + 2 * int(count) if count.isdigit() else len(summary) - index + 1
        if index + size > len(summary):
            return len(summary) - index
        index += size
    return 0


def _add_detail(account: _Account, record: _Record) -> None:
    raw_amount = record.rows[0].split(",")[2] if record.rows[0].count(",") >= 2 else ""
    if not _MINOR.fullmatch(raw_amount.strip()):
        raise StatementInvalid(
            f"{record.where}: amount {raw_amount!r} is not a number", field=record.where
        )
    detail = _parse(
        TransactionDetailParser, record, [_filled_availability(record.rows[0]), *record.rows[1:]]
    )
    kind = detail.type_code.transaction
    minor = int(raw_amount)
    if kind not in (TypeCodeTransaction.credit, TypeCodeTransaction.debit):
        if minor == 0:
            return
        raise StatementInvalid(
            f"{record.where}: type {detail.type_code.code} is neither a credit nor a debit",
            field=record.where,
        )
    money = Money.from_minor(abs(minor), account.currency)
    value_date = None
    if detail.funds_type == FundsType.value_dated and detail.availability:
        value_date = detail.availability.get("date")
    continuation = [row[3:].removesuffix("/") for row in record.rows[1:]]
    bank_ref = clean(detail.bank_reference)
    account.details.append(
        BankLine(
            bank_ref=bank_ref,
            booking_date=account.as_of,
            amount=money if kind == TypeCodeTransaction.credit else -money,
            description=clean(detail.text) or "",
            value_date=value_date,
            counterparty=_party(continuation, credit=kind == TypeCodeTransaction.credit),
            references=unique([detail.customer_reference, *continuation], skip=(bank_ref,)),
            transaction_code=detail.type_code.code,
            account=clean(account.record.rows[0].split(",")[1]),
            position=len(account.details),
        )
    )


def _party(continuation: list[str], *, credit: bool) -> str | None:
    """The other side's name from ``88`` lines labelled ``DBNM:``/``CRNM:`` (Goldman Sachs)."""
    label = "DBNM:" if credit else "CRNM:"
    return next(
        (clean(row.removeprefix(label)) for row in continuation if row.startswith(label)), None
    )


def _filled_availability(row: str) -> str:
    """A ``16`` row whose blank distributed-availability amounts (``S,,200000,300000``) read
    as zero: the package calls ``int('')`` on them."""
    fields = row.split(",")
    if len(fields) > 6 and fields[3] == "S":
        fields[4:7] = [f or "0" for f in fields[4:7]]
    return ",".join(fields)


def _statement(account: _Account) -> Statement:
    def balance(code: str) -> Money | None:
        minor = account.summary.get(code)
        return Money.from_minor(minor, account.currency) if minor is not None else None

    return Statement(
        account=clean(account.record.rows[0].split(",")[1]),
        currency=account.currency,
        lines=tuple(account.details),
        opening_balance=balance("010"),
        closing_balance=balance("015"),
        period_start=account.as_of,
        period_end=account.as_of,
    )
