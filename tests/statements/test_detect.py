"""Format detection by content, the registry, and the promise that a broken file gives
:class:`StatementInvalid` and nothing else."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.statements import StatementInvalid, detect, parse_statement, parser_for
from ledgerbridge.statements.base import parsers

SAMPLE_DIRS = ("camt053", "mt940", "ofx", "bai2", "csv")
FORMAT_OF_DIR = {"camt053": "camt053", "mt940": "mt940", "ofx": "ofx", "bai2": "bai2", "csv": "csv"}


def _samples(bank: Path) -> list[Path]:
    return sorted(p for d in SAMPLE_DIRS for p in (bank / d).iterdir())


class TestDetect:
    def test_every_sample_is_recognised_by_content(self, bank: Path) -> None:
        wrong = {
            p.name: detect(p.read_bytes()).format
            for p in _samples(bank)
            if detect(p.read_bytes()).format != FORMAT_OF_DIR[p.parent.name]
        }
        assert wrong == {}
        assert len(_samples(bank)) == 78  # 20 CAMT, 23 MT940, 11 OFX, 8 BAI2, 16 CSV

    def test_the_file_name_plays_no_part(self, bank: Path, tmp_path: Path) -> None:
        source = bank / "mt940" / "jejik_generic.sta"
        renamed = tmp_path / "statement.xml"
        renamed.write_bytes(source.read_bytes())
        assert detect(renamed.read_bytes()).format == "mt940"

    def test_unknown_content_is_refused_with_field_format(self) -> None:
        with pytest.raises(StatementInvalid) as caught:
            detect(b"%PDF-1.7 not a statement")
        assert caught.value.field == "format"
        assert caught.value.code == "statement_invalid"

    def test_parse_statement_detects_or_takes_the_named_format(self, bank: Path) -> None:
        data = (bank / "camt053" / "bsp_camt053_no_namespace.xml").read_bytes()
        assert parse_statement(data) == parse_statement(data, format="camt053")

    def test_a_named_format_that_does_not_fit_is_refused(self, bank: Path) -> None:
        data = (bank / "camt053" / "bsp_camt053_no_namespace.xml").read_bytes()
        with pytest.raises(StatementInvalid):
            parse_statement(data, format="bai2")

    def test_the_registry_knows_each_format_once(self) -> None:
        names = [p.format for p in parsers()]
        assert names == ["camt053", "ofx", "bai2", "mt940", "csv"]
        assert parser_for("ofx").format == "ofx"
        with pytest.raises(StatementInvalid, match="unknown statement format 'qif'"):
            parser_for("qif")


class TestNoRawExceptions:
    """Each sample cut short at several places: it parses, or it is refused with
    :class:`StatementInvalid`; a library exception must never come through."""

    @pytest.mark.parametrize("fraction", [0.2, 0.5, 0.8, 0.97])
    def test_truncated_samples_give_statement_invalid_or_statements(
        self, bank: Path, fraction: float
    ) -> None:
        leaked: dict[str, str] = {}
        for path in _samples(bank):
            data = path.read_bytes()
            parser = parser_for(FORMAT_OF_DIR[path.parent.name])
            try:
                parser.parse(data[: int(len(data) * fraction)])
            except LedgerBridgeError as exc:
                assert isinstance(exc, StatementInvalid), (path.name, exc)
            except Exception as exc:  # the point of the test: nothing else may escape
                leaked[path.name] = f"{type(exc).__name__}: {exc}"
        assert leaked == {}

    def test_truncated_xml_is_never_read_as_a_shorter_statement(self, bank: Path) -> None:
        for path in sorted((bank / "camt053").iterdir()):
            data = path.read_bytes()
            with pytest.raises(StatementInvalid):
                parser_for("camt053").parse(data[: len(data) // 2])

    def test_truncated_ofx_is_never_read_as_a_shorter_statement(self, bank: Path) -> None:
        for name in ("ofxparse_checking.ofx", "ofxparse_suncorp.ofx", "bsp_sample.qfx"):
            data = (bank / "ofx" / name).read_bytes()
            with pytest.raises(StatementInvalid, match="OFX markup is broken"):
                parser_for("ofx").parse(data[: int(len(data) * 0.8)])


MUTATED = (
    "camt053/fffs_finnish_camt053_sample.xml",
    "mt940/betterplace_sepa_snippet.sta",
    "ofx/ofxparse_bank_medium.ofx",
    "bai2/moov_sample4_continuations.bai2",
    "csv/csv2ofx_outbank_de.csv",
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sample=st.sampled_from(MUTATED),
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(list(b"0,.:/-+<>?\n;DCRx"))),
        min_size=1,
        max_size=4,
    ),
)
def test_a_mutated_file_parses_or_is_refused_but_never_leaks(
    bank: Path, sample: str, edits: list[tuple[float, int]]
) -> None:
    data = bytearray((bank / sample).read_bytes())
    for where, byte in edits:
        data[int(where * len(data))] = byte
    with contextlib.suppress(StatementInvalid):  # refused whole is fine; any other is not
        parser_for(sample.partition("/")[0]).parse(bytes(data))
