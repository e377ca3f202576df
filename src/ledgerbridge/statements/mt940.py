"""SWIFT MT940 statements (and MT942 interim reports) → :class:`Statement` values.

Why two layers: the ``mt-940`` package knows the field grammar — the ``:61:`` sub-fields,
entry dates that cross a year end, the German ``?20``/``?32`` and ``EREF+``/``SVWZ+`` ``:86:``
sub-fields — but it reports neither line numbers nor malformed amounts (its ``:61:`` pattern
reads ``12,3xNTRF`` as 12.3 plus a type code ``xNTR``). So this module first cuts the file into
tags with their line numbers, checks every amount, mark and date it will book from the raw
text, groups the tags into statements, and then hands each statement to ``mt-940`` for the
rest. Amounts are read from the file's own digits (``500,`` → 500.00), never from a library
value.

Mapping: ``bank_ref`` ← the ``//`` bank reference of ``:61:``, else its customer reference
(``NONREF`` counts as none); ``references`` ← customer reference, end-to-end and mandate
references, ``/EREF/``/``/REMI/``-style fields, the remittance text and supplementary details;
booking date ← the ``:61:`` entry date (else the value date); ``transaction_code`` ← the SWIFT
type (``NTRF``, ``NMSC``) and, when the ``:86:`` has one, the German GVC (``NTRF/166``).

Traps:

* Marks: ``D`` and ``RC`` (reversal of a credit) take money out; ``C`` and ``RD`` put it in.
  ``CR``/``DR`` are ``C``/``D`` with funds code ``R``, not reversals.
* A statement starts at ``:20:``. Fragments without one (``amount_formats.sta``) start a new
  statement at each repeated opening balance instead of overwriting the first.
* An ``:86:`` that follows a balance tag is information for the account owner, not part of the
  preceding line; it is dropped here (``mt-940`` would glue it onto the last line).
* ``:25:`` is taken from the raw text: ``mt-940`` cuts it at 35 characters.
* A value date of 30 February (interest-day convention of German banks) becomes the last day
  of February, as ``mt-940`` does; any other impossible date is refused.
* A file that names no currency (no balance, no ``:34F:``) is refused unless the parser was
  built with the account's ``currency``; an obsolete currency such as DEM is refused, since
  :class:`~ledgerbridge.money.Money` cannot hold it.
* Bytes are UTF-8 when they decode, else ISO-8859-2 (Central European banks; identical to
  Latin-1 for German umlauts).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import mt940

from ledgerbridge.reconcile.model import BankLine, Statement
from ledgerbridge.statements.base import (
    StatementInvalid,
    check_currency,
    clean,
    decode,
    to_money,
    unique,
)

if TYPE_CHECKING:
    from ledgerbridge.money import Money
    from ledgerbridge.statements.csv_profile import CsvProfile

_TAG = re.compile(r":(?P<name>\d{2}[A-Z]?|NS):(?P<value>.*)")
_SPLIT_TAG = re.compile(r"(?P<name>\d{2}[A-Z]?|NS):(?P<value>.*)")  # after a lone ":" line
_END = re.compile(r"-(\}|XXX)?\s*|\{\d:.*")  # end of message, SWIFT block lines
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LINE61 = re.compile(
    r"(?P<date>\d{6})(?P<entry>\d{4}|\s{4})?(?P<mark>(?i:R?[DC]))(?P<funds>[A-Z])?\n?"
    r"(?P<amount>[^A-Z\n]*)(?P<rest>[A-Z][\s\S]*)?"
)
_BALANCE = re.compile(r"(?P<mark>[DC])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>.*)")
_FLOOR = re.compile(r"(?P<currency>[A-Z]{3})")
_AMOUNT = re.compile(r"\d+(,\d*)?")
_OPENING = {"60", "60F", "60M"}
_CLOSING = ("62F", "62", "62M")
_BALANCE_TAGS = {*_OPENING, *_CLOSING, "64", "65"}
_SWIFT_FIELD = re.compile(r"/(EREF|REMI|NAME|BENM|ORDP|MARF|CSID|PREF|ISDT|IBAN|BIC|TRCD|ADDR)/")
_NONE = {"NONREF", "NOTPROVIDED", "EREF", "PREF", "MARF", "KREF+", ""}
"""Reference-field contents that say "no reference here" (Rabobank puts ``EREF`` in the
``:61:`` reference to announce an ``/EREF/`` in the ``:86:``)."""


@dataclass(frozen=True, slots=True)
class _Tag:
    name: str
    value: str
    line: int

    @property
    def where(self) -> str:
        """``line 14 (:61:)``: the line the tag starts on, and the tag."""
        return f"line {self.line} (:{self.name}:)"


@dataclass(frozen=True, slots=True)
class Mt940Parser:
    """MT940/MT942; ``currency`` is the account's currency for files that name none."""

    format: str = "mt940"
    currency: str | None = None

    def identify(self, head: bytes) -> bool:
        return re.search(rb"(?m)^:(20|25|28C?|60[FM]|61):", head) is not None

    def parse(self, data: bytes, *, profile: CsvProfile | None = None) -> list[Statement]:
        del profile  # CSV only
        tags = _tokenise(decode(data, fallback="iso-8859-2"))
        if not tags:
            raise StatementInvalid("line 1: no MT940 tags (:20:, :25:, :61: …)", field="line 1")
        return [self._statement(group) for group in _group(tags)]

    def _statement(self, tags: list[_Tag]) -> Statement:
        currency = _currency(tags, self.currency)
        for tag in tags:
            if tag.name in _BALANCE_TAGS:
                _balance(tag, currency)  # every balance is checked, not only the two used
        lines61 = [t for t in tags if t.name == "61"]
        amounts = [_line_amount(t, currency) for t in lines61]
        details = _library_details(tags)
        if len(details) != len(lines61):
            raise StatementInvalid(
                f"{tags[0].where}: mt-940 read {len(details)} lines where the file has "
                f"{len(lines61)} :61: tags",
                field=tags[0].where,
            )
        account = next((clean(t.value) for t in tags if t.name == "25"), None)
        opening = next((t for t in tags if t.name in _OPENING), None)
        closing = next((t for n in _CLOSING for t in tags if t.name == n), None)
        bank_lines = tuple(
            _bank_line(data, amount, account, position)
            for position, (data, amount) in enumerate(zip(details, amounts, strict=True))
        )
        return Statement(
            account=account,
            currency=currency,
            lines=bank_lines,
            statement_id=next((clean(t.value) for t in tags if t.name == "20"), None),
            opening_balance=_balance(opening, currency)[0] if opening else None,
            closing_balance=_balance(closing, currency)[0] if closing else None,
            period_start=_balance(opening, currency)[1] if opening else None,
            period_end=_balance(closing, currency)[1] if closing else None,
        )


def _tokenise(text: str) -> list[_Tag]:
    """Tags with their values (continuation lines included) and 1-based line numbers."""
    tags: list[_Tag] = []
    name: str | None = None
    value: list[str] = []
    start = 0
    lines = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        match = _TAG.fullmatch(line)
        if line == ":" and index + 1 < len(lines):  # a tag wrapped after its colon
            match = _SPLIT_TAG.fullmatch(lines[index + 1].rstrip())
            index += 1 if match else 0
        if match or _END.fullmatch(line):
            if name is not None:
                tags.append(_Tag(name, "\n".join(value).strip("\n"), start))
            name = match["name"] if match else None
            value, start = ([match["value"]] if match else []), index + 1 - (line == ":")
        elif name is not None:
            value.append(line)
        index += 1
    if name is not None:
        tags.append(_Tag(name, "\n".join(value).strip("\n"), start))
    return tags


def _group(tags: list[_Tag]) -> list[list[_Tag]]:
    """Tags per statement: a new one at ``:20:`` or at a second opening balance."""
    groups: list[list[_Tag]] = []
    for tag in tags:
        current = groups[-1] if groups else None
        starts = tag.name == "20" or (
            tag.name in _OPENING
            and current is not None
            and any(t.name in _OPENING for t in current)
        )
        if current is None or starts:
            groups.append([tag])
        else:
            current.append(tag)
    return groups


def _currency(tags: list[_Tag], fallback: str | None) -> str:
    for tag in tags:
        pattern = _BALANCE if tag.name in _BALANCE_TAGS else _FLOOR if tag.name == "34F" else None
        match = pattern.match(tag.value) if pattern else None
        if match:
            return check_currency(match["currency"], where=tag.where)
    if fallback is not None:
        return check_currency(fallback, where="currency")
    where = tags[0].where
    raise StatementInvalid(
        f"{where}: the statement names no currency (no :60F:/:62F: balance or :34F: limit); "
        "give the account's currency",
        field=where,
    )


def _amount(text: str, currency: str, *, where: str) -> Money:
    if not _AMOUNT.fullmatch(text):
        raise StatementInvalid(f"{where}: amount {text!r} is not a number", field=where)
    whole, _, fraction = text.partition(",")
    return to_money(Decimal(f"{whole}.{fraction or '0'}"), currency, where=where)


def _date(yymmdd: str, *, where: str, clamp_february: bool = False) -> dt.date:
    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if clamp_february and month == 2 and 28 < day <= 31:
        day = calendar.monthrange(year, 2)[1]
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise StatementInvalid(f"{where}: date {yymmdd!r} does not exist", field=where) from None


def _line_amount(tag: _Tag, currency: str) -> Money:
    where = tag.where
    match = _LINE61.match(tag.value)
    if match is None or match["rest"] is None:
        if match is not None:
            raise StatementInvalid(
                f"{where}: amount {match['amount']!r} is not a number", field=where
            )
        shown = tag.value.split("\n")[0]
        raise StatementInvalid(f"{where}: {shown!r} is not a statement line", field=where)
    _date(match["date"], where=where, clamp_february=True)
    money = _amount(match["amount"], currency, where=where)
    debit = match["mark"].upper() in ("D", "RC")
    return -money if debit else money


def _balance(tag: _Tag, currency: str) -> tuple[Money, dt.date]:
    where = tag.where
    match = _BALANCE.match(tag.value.split("\n")[0])
    if match is None:
        raise StatementInvalid(f"{where}: {tag.value!r} is not a balance", field=where)
    if match["currency"] != currency:
        raise StatementInvalid(
            f"{where}: balance in {match['currency']} on a {currency} statement", field=where
        )
    money = _amount(match["amount"].strip(), currency, where=where)
    return (-money if match["mark"] == "D" else money), _date(match["date"], where=where)


def _library_details(tags: list[_Tag]) -> list[dict[str, Any]]:
    """What ``mt-940`` reads from each ``:61:`` and its ``:86:``, statement-level ``:86:`` out."""
    kept: list[_Tag] = []
    in_line = False
    for tag in tags:
        if tag.name == "61":
            in_line = True
        elif tag.name not in ("86", "NS"):
            in_line = False
        if tag.name != "86" or in_line:
            kept.append(tag)
    text = "\n".join(f":{t.name}:{t.value}" for t in kept)
    collection = mt940.models.Transactions(options=mt940.Options.all())
    try:
        collection.parse(text)
    # Everything: mt-940 raises RuntimeError, ValueError, decimal.InvalidOperation and, on
    # some malformed :90D: fields, AttributeError; none of them may reach the caller raw.
    except Exception as exc:
        where = tags[0].where
        raise StatementInvalid(
            f"{where}: the statement starting here cannot be read ({exc.args[0]})", field=where
        ) from None
    return [dict(t.data) for t in collection.transactions]


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return clean(value) if isinstance(value, str) else None


def _bank_line(data: dict[str, Any], amount: Money, account: str | None, position: int) -> BankLine:
    value_date = dt.date(data["date"].year, data["date"].month, data["date"].day)
    entry = data.get("entry_date")
    booking = dt.date(entry.year, entry.month, entry.day) if entry else value_date
    customer = _text(data, "customer_reference")
    bank = _text(data, "bank_reference")
    bank_ref = next((r for r in (bank, customer) if r and r.upper() not in _NONE), None)
    unstructured = data.get("transaction_details")
    swift = _swift_fields(unstructured) if isinstance(unstructured, str) else {}
    description = clean(unstructured) if isinstance(unstructured, str) else None
    if description is None:
        parts = (_text(data, "posting_text"), _text(data, "purpose"), _text(data, "non_swift_text"))
        description = " / ".join(unique(parts))
    references = unique(
        [
            customer if customer and customer.upper() not in _NONE else None,
            _text(data, "end_to_end_reference"),
            _text(data, "additional_position_reference"),
            *swift.get("EREF", []),
            *swift.get("MARF", []),
            *swift.get("REMI", []),
            _text(data, "purpose"),
            _text(data, "extra_details"),
            description,
        ],
        skip=(bank_ref,),
    )
    codes = [_text(data, "id"), _text(data, "transaction_code")]
    return BankLine(
        bank_ref=bank_ref,
        booking_date=booking,
        amount=amount,
        description=description or "",
        value_date=value_date,
        counterparty=_text(data, "applicant_name") or next(iter(swift.get("NAME", [])), None),
        references=references,
        transaction_code="/".join(c for c in codes if c) or None,
        account=account,
        position=position,
    )


def _swift_fields(details: str) -> dict[str, list[str]]:
    """``/EREF/…/REMI/…`` sub-fields (Rabobank, ING, ABN AMRO SEPA layout), lines re-joined."""
    joined = details.replace("\n", "")
    parts = _SWIFT_FIELD.split(joined)
    fields: dict[str, list[str]] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        text = clean(value.strip("/"))
        if text:
            fields.setdefault(code, []).append(text)
    return fields
