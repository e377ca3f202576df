"""Bank CSV exports → statements, through a saved column profile.

Why profiles and not a guesser: a CSV carries no schema. ``05/03/2021`` is May or March,
``1.234`` is a thousand or one, ``36.33`` on a card export is money out. A person decides once
per bank export, the decision is saved as a frozen :class:`CsvProfile` (data, like every
custom mapping — ARCHITECTURE "Custom mapping is data"), and every later file of that bank is
read the same way. :func:`detect_profile` only *proposes* a built-in profile by the header row
(English, French, Spanish and German headers); it never guesses a date order or a decimal mark
from the values.

Sign conventions (:class:`Sign`): one signed amount column; one column where positive means
money out (card statements); separate debit and credit columns; or an unsigned amount with a
debit/credit indicator column.

Traps:

* Debit columns are read as money out whatever their sign: some banks write ``200,25`` and
  some ``-200,25`` in a column named "Debit".
* ``$1,036.47`` and ``11'373.94``: currency symbols are dropped and the thousands separator is
  removed only where the profile names one; anything else left over is refused, so ``1.234,56``
  read with a decimal point never becomes 1.234.
* Line endings may be CR only (old Mac exports); :mod:`csv` is given ``newline=""`` so it
  splits them, and line numbers in errors are the reader's physical line numbers.
* A CSV may mix currencies or accounts (Payoneer): lines are grouped into one statement per
  (account, currency), in first-seen order. CSV exports carry no trustworthy balances (a
  running-balance column is per row and often sorted newest first), so balances stay unknown.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ledgerbridge.money import Money
from ledgerbridge.reconcile.model import BankLine, Statement
from ledgerbridge.statements.base import (
    StatementInvalid,
    check_currency,
    clean,
    read_decimal,
    to_money,
    unique,
)

_SYMBOLS = str.maketrans("", "", "$€£¥ \u00a0")
_HEADER_SCAN = 20
"""Rows looked at for the header row (some exports put an account summary above it)."""


class Sign(StrEnum):
    SIGNED = "signed"
    """One amount column; positive is money in."""
    INVERTED = "inverted"
    """One amount column; positive is money out (credit-card exports list purchases so)."""
    SPLIT = "split"
    """A debit column (money out) and a credit column (money in)."""
    INDICATOR = "indicator"
    """An unsigned amount and a column saying debit or credit."""


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """How to read one bank's CSV export. Column names are header texts, matched exactly."""

    name: str
    date_column: str
    date_format: str
    """A :func:`datetime.datetime.strptime` format, e.g. ``%d.%m.%Y``."""
    sign: Sign = Sign.SIGNED
    amount_column: str | None = None
    debit_column: str | None = None
    credit_column: str | None = None
    indicator_column: str | None = None
    debit_marks: tuple[str, ...] = ("D", "DR", "DBIT", "DEBIT", "S")
    """Indicator values meaning money out (``S`` is German *Soll*); compared upper-cased."""
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal_comma: bool = False
    thousands: str = ""
    """The thousands separator to remove (``"."``, ``","``, ``"'"``), or none."""
    currency: str | None = None
    """The account's currency, for exports without a currency column."""
    currency_column: str | None = None
    value_date_column: str | None = None
    reference_column: str | None = None
    """The bank's own id for the line: becomes ``bank_ref``."""
    reference_columns: tuple[str, ...] = ()
    """Other references (end-to-end ids, mandate, cheque number)."""
    description_columns: tuple[str, ...] = ()
    counterparty_column: str | None = None
    code_column: str | None = None
    account_column: str | None = None
    account: str | None = None

    def required(self) -> tuple[str, ...]:
        """The columns a header row must have for this profile to apply."""
        money = {
            Sign.SPLIT: (self.debit_column, self.credit_column),
            Sign.INDICATOR: (self.amount_column, self.indicator_column),
        }.get(self.sign, (self.amount_column,))
        return tuple(c for c in (self.date_column, *money) if c)


def _p(name: str, date: str, fmt: str, **kw: object) -> CsvProfile:
    return CsvProfile(name, date, fmt, **kw)  # type: ignore[arg-type]


# fmt: off
BUILTIN_PROFILES: tuple[CsvProfile, ...] = (
    _p("de-betrag", "Buchungstag", "%Y-%m-%d", amount_column="Betrag", delimiter=";",
       decimal_comma=True, thousands=".", currency_column="CCY", reference_column="Ref",
       description_columns=("Verwendungszweck",), account_column="IBAN"),
    _p("fr-debit-credit", "Date opération", "%Y-%m-%d", sign=Sign.SPLIT, debit_column="Débit",
       credit_column="Crédit", delimiter=";", decimal_comma=True, thousands=" ",
       currency_column="Devise", reference_column="Référence", description_columns=("Libellé",)),
    _p("es-importe", "Fecha", "%Y-%m-%d", amount_column="Importe", delimiter=";",
       decimal_comma=True, thousands=".", currency_column="Moneda", reference_column="Referencia",
       description_columns=("Concepto",), account_column="Cuenta"),
    _p("en-credit-debit-semicolon", "Booking Date", "%Y-%m-%d", sign=Sign.SPLIT,
       debit_column="Debit", credit_column="Credit", delimiter=";", decimal_comma=True,
       currency_column="CCY", reference_column="Ref", description_columns=("Details",),
       account_column="IBAN"),
    _p("en-amount", "Date", "%Y-%m-%d", amount_column="Amount", currency_column="Currency",
       reference_column="Reference", description_columns=("Description",),
       account_column="Account"),
    _p("schwab-checking", "Date", "%m/%d/%Y", sign=Sign.SPLIT, debit_column="Withdrawal",
       credit_column="Deposit", thousands=",", currency="USD", reference_columns=("CheckNumber",),
       description_columns=("Description",), code_column="Type"),
    _p("capitalone-card", "Posted Date", "%Y-%m-%d", sign=Sign.SPLIT, debit_column="Debit",
       credit_column="Credit", currency="USD", value_date_column="Transaction Date",
       description_columns=("Description",), code_column="Category"),
    _p("gls-de", "Buchungstag", "%d.%m.%Y", amount_column="Betrag", delimiter=";",
       encoding="latin-1", decimal_comma=True, thousands=".", currency_column="Währung",
       value_date_column="Wertstellung", counterparty_column="Auftraggeber/Empfänger",
       description_columns=tuple(f"VWZ{i}" for i in range(1, 15)), code_column="Buchungstext",
       account_column="Kontonummer"),
    _p("outbank-de", "Date", "%m/%d/%y", amount_column="Amount", delimiter=";",
       decimal_comma=True, thousands=".", currency_column="Currency",
       value_date_column="Value Date", counterparty_column="Name",
       reference_columns=("SEPA Reference", "Client Reference", "Mandate Identification"),
       description_columns=("Reason", "Posting Text"), code_column="Posting Key",
       account_column="Account"),
    _p("n26-eur", "Booking Date", "%Y-%m-%d", amount_column="Amount (EUR)", currency="EUR",
       value_date_column="Value Date", counterparty_column="Partner Name",
       reference_columns=("Payment Reference",), description_columns=("Payment Reference",),
       code_column="Type"),
    _p("ing-es", "date", "%d/%m/%Y", amount_column="amount", currency="EUR",
       description_columns=("desc",), code_column="subcategory"),
    _p("payoneer", "Transaction Date", "%m/%d/%Y", sign=Sign.SPLIT, debit_column="Debit Amount",
       credit_column="Credit Amount", thousands=",", currency_column="Currency",
       reference_column="Transaction ID", counterparty_column="Target",
       description_columns=("Description", "Additional Description")),
    _p("pc-mastercard", "Date", "%m/%d/%Y", sign=Sign.INVERTED, amount_column="Amount",
       currency="CAD", counterparty_column="Merchant Name", description_columns=("Merchant Name",)),
    _p("ubs-ch-fr", "Date de valeur", "%d.%m.%Y", sign=Sign.SPLIT, debit_column="Débit",
       credit_column="Crédit", delimiter=";", thousands="'", currency_column="Monn.",
       reference_column="N° de transaction",
       description_columns=("Description 1", "Description 2", "Description 3"),
       account_column="Produit"),
    _p("en-check-register", "Date", "%m/%d/%y", amount_column="Amount",
       reference_columns=("Check Number",), description_columns=("Description", "Comments"),
       code_column="Category"),
    _p("stripe-payments", "created", "%Y-%m-%d %H:%M", amount_column="amount",
       currency_column="currency", reference_column="id",
       reference_columns=("payment_intent_id", "invoice_id"), description_columns=("description",),
       counterparty_column="customer_email"),
)
# fmt: on
"""Profiles for the exports in ``shared/samples/bank/csv``; a person's saved profile may be any
other :class:`CsvProfile`. Profiles without a currency need one set before use."""


def detect_profile(head: bytes) -> CsvProfile | None:
    """The built-in profile whose columns the header row of ``head`` has (most specific wins)."""
    best: tuple[int, CsvProfile] | None = None
    for profile in BUILTIN_PROFILES:
        try:
            rows = _rows(head, profile, limit=_HEADER_SCAN, strict=False)
        except StatementInvalid:
            continue
        header = next((r for _, r in rows if set(profile.required()) <= set(r)), None)
        if header is None:
            continue
        named = (
            profile.reference_column,
            profile.currency_column,
            profile.account_column,
            profile.value_date_column,
            profile.counterparty_column,
            profile.code_column,
            *profile.description_columns,
            *profile.reference_columns,
        )
        score = sum(1 for c in {*profile.required(), *named} if c and c in header)
        if best is None or score > best[0]:
            best = (score, profile)
    return best[1] if best else None


@dataclass(frozen=True, slots=True)
class CsvParser:
    """CSV exports read through a :class:`CsvProfile` (given, or proposed by the header)."""

    format: str = "csv"
    profiles: Sequence[CsvProfile] = field(default=BUILTIN_PROFILES)

    def identify(self, head: bytes) -> bool:
        return detect_profile(head) is not None

    def parse(self, data: bytes, *, profile: CsvProfile | None = None) -> list[Statement]:
        chosen = profile or detect_profile(data[:8192])
        if chosen is None:
            raise StatementInvalid(
                "line 1: no saved profile matches this CSV's header row; give a profile",
                field="line 1",
            )
        return _parse(data, chosen)


def _rows(
    data: bytes, profile: CsvProfile, limit: int | None = None, *, strict: bool = True
) -> list[tuple[int, list[str]]]:
    """Rows with their physical line numbers. ``strict=False`` (detection, on a head that may
    end inside a character) replaces undecodable bytes instead of refusing the file."""
    text = _decode(data, profile) if strict else data.decode(profile.encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, [cell.strip() for cell in row]))
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        line = reader.line_num
        raise StatementInvalid(f"line {line}: {exc}", field=f"line {line}") from None
    return rows


def _decode(data: bytes, profile: CsvProfile) -> str:
    try:
        return data.decode(profile.encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise StatementInvalid(
            f"byte {exc.start}: the file is not {profile.encoding} as profile "
            f"{profile.name!r} says",
            field="encoding",
        ) from None
    except LookupError:
        raise StatementInvalid(f"unknown encoding {profile.encoding!r}", field="encoding") from None


def _parse(data: bytes, profile: CsvProfile) -> list[Statement]:
    rows = _rows(data, profile)
    start = next(
        (i for i, (_, r) in enumerate(rows[:_HEADER_SCAN]) if set(profile.required()) <= set(r)),
        None,
    )
    if start is None:
        raise StatementInvalid(
            f"no header row with the columns {', '.join(profile.required())} "
            f"(profile {profile.name!r})",
            field="header",
        )
    header = rows[start][1]
    groups: dict[tuple[str | None, str], list[BankLine]] = {}
    for number, row in rows[start + 1 :]:
        if not any(row):
            continue
        cells = dict(zip(header, row, strict=False))
        line = _line(cells, profile, number)
        key = (line.account, line.amount.currency)
        groups.setdefault(key, []).append(line)
    return [
        Statement(
            account=account,
            currency=currency,
            lines=tuple(_at(line, i) for i, line in enumerate(lines)),
        )
        for (account, currency), lines in groups.items()
    ]


def _at(line: BankLine, position: int) -> BankLine:
    return BankLine(
        line.bank_ref,
        line.booking_date,
        line.amount,
        line.description,
        line.value_date,
        line.counterparty,
        line.references,
        line.transaction_code,
        line.account,
        position,
    )


def _line(cells: dict[str, str], profile: CsvProfile, number: int) -> BankLine:
    where = f"line {number}"
    currency = profile.currency
    if profile.currency_column and cells.get(profile.currency_column):
        currency = cells[profile.currency_column]
    if currency is None:
        raise StatementInvalid(
            f"{where}: no currency: profile {profile.name!r} needs a currency or currency column",
            field=where,
        )
    currency = check_currency(currency, where=f"{where}, column {profile.currency_column}")
    bank_ref = clean(cells.get(profile.reference_column or "", ""))
    description = " / ".join(unique(cells.get(c) for c in profile.description_columns))
    booking = _date(cells, profile.date_column, profile, where)
    assert booking is not None  # the date column is never optional
    return BankLine(
        bank_ref=bank_ref,
        booking_date=booking,
        amount=_amount(cells, profile, currency, where),
        description=description,
        value_date=_date(cells, profile.value_date_column, profile, where),
        counterparty=clean(cells.get(profile.counterparty_column or "")),
        references=unique((cells.get(c) for c in profile.reference_columns), skip=(bank_ref,)),
        transaction_code=clean(cells.get(profile.code_column or "")),
        account=clean(cells.get(profile.account_column or "")) or profile.account,
        position=0,
    )


def _date(
    cells: dict[str, str], column: str | None, profile: CsvProfile, where: str
) -> dt.date | None:
    """The date in ``column``; None for a blank optional column (value date)."""
    text = cells.get(column or "", "")
    if column is None or (not text and column != profile.date_column):
        return None
    try:
        return dt.datetime.strptime(text, profile.date_format).date()  # noqa: DTZ007 - a date
    except ValueError:
        raise StatementInvalid(
            f"{where}, column {column}: {text!r} is not a date in the form {profile.date_format}",
            field=f"{where}, column {column}",
        ) from None


def _number(raw: str, profile: CsvProfile, where: str) -> Decimal:
    """``raw`` read with the profile's decimal mark; a thousands separator is accepted only
    between groups of three digits, so ``1,234.56`` under a decimal-comma profile is refused
    instead of becoming 1.23456."""
    text = raw.translate(_SYMBOLS)
    point = "," if profile.decimal_comma else "."
    group = re.escape(profile.thousands) if profile.thousands.strip() else None
    whole = rf"\d{{1,3}}(?:{group}\d{{3}})+|\d+" if group else r"\d+"
    if not re.fullmatch(rf"[+-]?(?:{whole})(?:{re.escape(point)}\d*)?", text):
        raise StatementInvalid(f"{where}: amount {raw!r} is not a number", field=where)
    if group:
        text = text.replace(profile.thousands, "")
    return read_decimal(text.replace(point, "."), where=where)


def _amount(cells: dict[str, str], profile: CsvProfile, currency: str, where: str) -> Money:
    def read(column: str | None) -> Money | None:
        raw = cells.get(column or "", "")
        if not raw.translate(_SYMBOLS):
            return None
        spot = f"{where}, column {column}"
        return to_money(_number(raw, profile, spot), currency, where=spot)

    if profile.sign in (Sign.SIGNED, Sign.INVERTED, Sign.INDICATOR):
        value = read(profile.amount_column)
        if value is None:
            spot = f"{where}, column {profile.amount_column}"
            raise StatementInvalid(f"{spot}: no amount", field=spot)
        if profile.sign is Sign.INVERTED:
            return -value
        if profile.sign is Sign.INDICATOR:
            mark = cells.get(profile.indicator_column or "", "").upper()
            return -abs(value) if mark in profile.debit_marks else abs(value)
        return value
    debit, credit = read(profile.debit_column), read(profile.credit_column)
    if debit is None and credit is None:
        spot = f"{where}, columns {profile.debit_column}/{profile.credit_column}"
        raise StatementInvalid(f"{spot}: neither a debit nor a credit amount", field=spot)
    total = Money.zero(currency)
    if debit is not None:
        total -= abs(debit)
    if credit is not None:
        total += abs(credit)
    return total
