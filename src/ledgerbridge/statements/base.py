"""The statement-parser port: bank file bytes in, :class:`Statement` values out.

Every format adapter (:mod:`.camt053`, :mod:`.mt940`, :mod:`.ofx`, :mod:`.bai2`,
:mod:`.csv_profile`) offers the same three things (STYLE §4, after beangulp's importer):

* ``format`` — a short name (``"camt053"``, ``"mt940"`` …) used by ``--format`` and stored
  with the statement;
* ``identify(head)`` — does the *content* look like this format? Detection never looks at a
  file name: banks send ``.txt`` for MT940, ``.xml`` for anything, ``.qfx`` for OFX;
* ``parse(data, profile=…)`` — every statement in the file, or :class:`StatementInvalid`.

Invariants every adapter keeps:

* A file is taken whole or refused whole. There is no half list: one unreadable line means
  :class:`StatementInvalid` naming the line number (text formats) or the element and its
  line (XML), and nothing is returned.
* No library exception leaks. ``mt-940``, ``ofxtools``, ``bai2`` and ``lxml`` raise
  ``RuntimeError``, ``ValueError``, ``SyntaxError`` and their own types; each adapter wraps
  them, because the worker treats anything that is not a
  :class:`~ledgerbridge.errors.LedgerBridgeError` as a bug.
* Money is exact: amounts are read from the file's own text with :func:`read_decimal` and
  become :class:`~ledgerbridge.money.Money` in the statement currency. An amount finer than the
  currency allows is refused, never rounded (``18.150`` EUR is fine, ``18.155`` EUR is not).
* Signs follow :mod:`ledgerbridge.reconcile.model`: money in is positive, money out negative.
* ``position`` is the index of the line within its statement, so two real lines that share a
  bank reference (a reused OFX ``FITID``, two identical card payments) both survive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Protocol

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.money import InvalidAmount, Money, UnknownCurrency

if TYPE_CHECKING:
    from ledgerbridge.reconcile.model import Statement
    from ledgerbridge.statements.csv_profile import CsvProfile

HEAD_SIZE = 8192
"""How many leading bytes :func:`detect` hands to ``identify``: enough to get past the
XML comments the Finnish CAMT sample opens with, and past the blank lines some OFX files
start with."""


class StatementInvalid(LedgerBridgeError):
    """A bank file cannot be read; the message and ``field`` name the line or element at fault
    (``"line 14"``, ``"line 52: Ntry/Amt"``), or ``"format"`` when the format is unknown."""

    code = "statement_invalid"


class StatementParser(Protocol):
    """One bank-file format."""

    @property
    def format(self) -> str:
        """The name ``--format`` takes: ``camt053``, ``mt940``, ``ofx``, ``bai2`` or ``csv``."""
        ...

    def identify(self, head: bytes) -> bool:
        """Whether the first bytes of a file look like this format (content, not file name)."""
        ...

    def parse(self, data: bytes, *, profile: CsvProfile | None = None) -> list[Statement]:
        """Every statement in ``data``; raises :class:`StatementInvalid` for a broken file.

        ``profile`` is the saved column profile of CSV exports; other formats ignore it.
        """
        ...


@cache
def parsers() -> tuple[StatementParser, ...]:
    """Every registered parser, in detection order: the self-describing formats first, CSV
    (which recognises a file only by its header row) last."""
    # Imported here, not at the top: each format module imports StatementInvalid from this
    # one, so a top-level import would be circular.
    from ledgerbridge.statements.bai2 import Bai2Parser  # noqa: PLC0415
    from ledgerbridge.statements.camt053 import CamtParser  # noqa: PLC0415
    from ledgerbridge.statements.csv_profile import CsvParser  # noqa: PLC0415
    from ledgerbridge.statements.mt940 import Mt940Parser  # noqa: PLC0415
    from ledgerbridge.statements.ofx import OfxParser  # noqa: PLC0415

    return (CamtParser(), OfxParser(), Bai2Parser(), Mt940Parser(), CsvParser())


def parser_for(format: str) -> StatementParser:
    """The parser registered under ``format``; unknown names are :class:`StatementInvalid`."""
    for parser in parsers():
        if parser.format == format:
            return parser
    known = ", ".join(p.format for p in parsers())
    raise StatementInvalid(f"unknown statement format {format!r} (known: {known})", field="format")


def detect(data: bytes) -> StatementParser:
    """The parser whose ``identify`` accepts the head of ``data``; by content only."""
    head = data[:HEAD_SIZE]
    for parser in parsers():
        if parser.identify(head):
            return parser
    raise StatementInvalid(
        "not a statement format we know (CAMT.052/053/054, MT940/942, OFX/QFX, BAI2, or a CSV "
        "whose header row matches a saved profile)",
        field="format",
    )


def parse_statement(
    data: bytes, format: str = "auto", profile: CsvProfile | None = None
) -> list[Statement]:
    """Parse a bank file: by the named ``format``, or by content when ``format`` is ``"auto"``."""
    parser = detect(data) if format == "auto" else parser_for(format)
    return parser.parse(data, profile=profile)


# --- helpers shared by the adapters ----------------------------------------------------------

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def read_decimal(text: str, *, where: str, what: str = "amount") -> Decimal:
    """``text`` as an exact Decimal: digits with an optional sign and decimal point.

    Stricter than ``Decimal()``, which would also take ``"1e3"``, ``"NaN"``, ``"1_000"`` and
    surrounding blanks from a misaligned column.
    """
    stripped = text.strip()
    if not _PLAIN_NUMBER.fullmatch(stripped):
        raise StatementInvalid(f"{where}: {what} {text!r} is not a number", field=where)
    try:
        return Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise StatementInvalid(f"{where}: {what} {text!r} is not a number", field=where) from None


def to_money(number: Decimal, currency: str, *, where: str) -> Money:
    """Exact money, with an unknown currency or too many decimals as :class:`StatementInvalid`."""
    try:
        return Money.of(number, currency)
    except (InvalidAmount, UnknownCurrency) as exc:
        raise StatementInvalid(f"{where}: {exc.message}", field=where) from None


def check_currency(code: str | None, *, where: str) -> str:
    """An ISO 4217 code with a minor unit, upper-cased; anything else is refused."""
    candidate = (code or "").strip().upper()
    if not candidate:
        raise StatementInvalid(f"{where}: no currency given", field=where)
    try:
        Money.zero(candidate)
    except UnknownCurrency:
        raise StatementInvalid(
            f"{where}: currency {code!r} is not an ISO 4217 currency with a minor unit",
            field=where,
        ) from None
    return candidate


def clean(text: str | None) -> str | None:
    """Whitespace collapsed to single spaces; None for nothing but blanks."""
    if text is None:
        return None
    collapsed = " ".join(text.split())
    return collapsed or None


def unique(values: Iterable[str | None], *, skip: Iterable[str | None] = ()) -> tuple[str, ...]:
    """Non-blank values in first-seen order, without repeats and without those in ``skip``."""
    seen = {s for s in skip if s}
    out: list[str] = []
    for value in values:
        text = clean(value)
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return tuple(out)


def decode(data: bytes, fallback: str = "cp1252") -> str:
    """Text of ``data``: UTF-8 (a BOM dropped) when it decodes, else ``fallback``.

    Bank files are UTF-8 or a legacy single-byte code page; a single-byte code page never
    fails, so the fallback closes the chain. Adapters that know better pass their own.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(fallback, errors="replace")
