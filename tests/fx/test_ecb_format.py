"""Reading the ECB's files: every figure exact, the namespaces respected, bad files refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.fx.ecb_format import FeedInvalid, parse_history_csv, parse_xml
from tests.fx.ecb_server import history_xml

ENVELOPE = (
    '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
    'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">{}</gesmes:Envelope>'
)


def envelope(cubes: str) -> bytes:
    return ENVELOPE.format(f"<Cube>{cubes}</Cube>").encode()


class TestTheSamples:
    def test_the_daily_file_reads_as_one_publication_with_exact_figures(
        self, fx_samples: Path
    ) -> None:
        data = (fx_samples / "ecb_eurofxref-daily_2015-01-07.xml").read_bytes()
        quotes = parse_xml(data, name="daily")
        assert list(quotes) == [dt.date(2015, 1, 7)]
        day = quotes[dt.date(2015, 1, 7)]
        assert len(day) == 31
        assert day["USD"] == Decimal("1.1831")
        assert str(day["GBP"]) == "0.78230"  # the text as published, trailing zero and all
        assert str(day["IDR"]) == "15041.65"

    def test_the_90_day_file_holds_65_weekdays(self, fx_samples: Path) -> None:
        data = (fx_samples / "ecb_eurofxref-hist-90d_2019-11-29.xml").read_bytes()
        quotes = parse_xml(data, name="90d")
        assert len(quotes) == 65
        assert min(quotes) == dt.date(2019, 9, 2)
        assert max(quotes) == dt.date(2019, 11, 29)
        assert all(day.weekday() < 5 for day in quotes)
        assert quotes[dt.date(2019, 11, 29)]["ISK"] == Decimal(134)

    def test_the_history_writer_reproduces_the_ecb_90_day_file_byte_for_byte(
        self, fx_samples: Path
    ) -> None:
        written = history_xml(
            fx_samples / "ecb_eurofxref-hist.csv", first="2019-09-02", last="2019-11-29"
        )
        assert written == (fx_samples / "ecb_eurofxref-hist-90d_2019-11-29.xml").read_bytes()

    def test_the_csv_history_and_its_xml_form_read_the_same(
        self, fx_samples: Path, ecb_files: dict[str, bytes]
    ) -> None:
        path = fx_samples / "ecb_eurofxref-hist.csv"
        with path.open(encoding="utf-8") as handle:
            from_csv = parse_history_csv(handle, name=str(path))
        assert parse_xml(ecb_files["eurofxref-hist.xml"], name="hist") == from_csv
        assert len(from_csv) == 6983
        assert "BGN" not in from_csv[dt.date(2026, 4, 13)]  # N/A is no rate, not zero
        assert from_csv[dt.date(1999, 1, 4)]["CYP"] == Decimal("0.58231")


class TestNamespaces:
    def test_other_prefixes_for_the_same_namespaces_read_the_same(self) -> None:
        document = (
            b'<e:Envelope xmlns:e="http://www.gesmes.org/xml/2002-08-01" '
            b'xmlns:x="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
            b'<x:Cube><x:Cube time="2024-01-02"><x:Cube currency="USD" rate="1.0956"/>'
            b"</x:Cube></x:Cube></e:Envelope>"
        )
        assert parse_xml(document, name="x") == {dt.date(2024, 1, 2): {"USD": Decimal("1.0956")}}

    def test_cubes_outside_the_ecb_namespace_are_not_rates(self) -> None:
        document = (
            b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01">'
            b'<Cube><Cube time="2024-01-02"><Cube currency="USD" rate="1.0956"/></Cube></Cube>'
            b"</gesmes:Envelope>"
        )
        with pytest.raises(FeedInvalid, match="no Cube"):
            parse_xml(document, name="x")


class TestBadFiles:
    @pytest.mark.parametrize(
        ("data", "complaint"),
        [
            (b"<html><body>Service unavailable</body></html>", "root element"),
            (b'<?xml version="1.0"?><gesmes:Envelope xmlns:gesmes=', "not well-formed"),
            (b"", "not well-formed"),
            (envelope(""), "no Cube"),
            (envelope('<Cube time="2024-01-02"></Cube>'), "no rates"),
            (envelope('<Cube time="2024-13-02"><Cube currency="USD" rate="1"/></Cube>'), "date"),
            (envelope('<Cube time="2024-01-02"><Cube currency="usd" rate="1"/></Cube>'), "code"),
            (envelope('<Cube time="2024-01-02"><Cube currency="USD" rate="1,09"/></Cube>'), "rate"),
            (envelope('<Cube time="2024-01-02"><Cube currency="USD" rate="0"/></Cube>'), "rate"),
            (envelope('<Cube time="2024-01-02"><Cube currency="USD"/></Cube>'), "rate"),
            (
                envelope(
                    '<Cube time="2024-01-02"><Cube currency="USD" rate="1"/></Cube>'
                    '<Cube time="2024-01-02"><Cube currency="USD" rate="2"/></Cube>'
                ),
                "twice",
            ),
        ],
    )
    def test_a_file_not_in_the_ecb_format_is_refused_with_the_reason(
        self, data: bytes, complaint: str
    ) -> None:
        with pytest.raises(FeedInvalid, match=complaint) as caught:
            parse_xml(data, name="https://example.test/eurofxref-daily.xml")
        assert "https://example.test/eurofxref-daily.xml" in caught.value.message

    def test_an_external_entity_is_not_expanded(self, tmp_path: Path) -> None:
        secret = tmp_path / "secret.txt"
        secret.write_text("1.5")
        document = (
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
            + ENVELOPE.format(
                '<Cube><Cube time="2024-01-02"><Cube currency="USD" rate="&x;"/></Cube></Cube>'
            )
        ).encode()
        with pytest.raises(FeedInvalid):
            parse_xml(document, name="x")

    def test_a_bad_csv_line_is_named(self) -> None:
        lines = ["Date,USD,JPY,", "2024-01-03,1.0919,156.16,", "2024-01-02,1.0956,abc,"]
        with pytest.raises(FeedInvalid, match=r"hist.csv:3: 'abc'"):
            parse_history_csv(lines, name="hist.csv")
