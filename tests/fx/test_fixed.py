"""The user's own rates file: the latest row on or before a date, and errors that name the line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.errors import InvalidInput
from ledgerbridge.fx import FixedRates
from ledgerbridge.posting.rates import RateUnavailable

GOOD = """currency,base,date,rate
EUR,USD,2026-10-01,1.0837
EUR,USD,2026-11-01,1.0912
JPY,USD,2026-10-01,0.0067
"""


def rates_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    return path


class TestLookups:
    def test_the_latest_row_on_or_before_the_date_applies_and_is_dated_so(
        self, tmp_path: Path
    ) -> None:
        rates = FixedRates(rates_file(tmp_path, GOOD))
        rate = rates.rate("EUR", "USD", dt.date(2026, 10, 31))
        assert (rate.value, rate.date, rate.source) == (
            Decimal("1.0837"),
            dt.date(2026, 10, 1),
            "fixed:rates.csv",
        )
        assert rates.rate("EUR", "USD", dt.date(2026, 11, 1)).value == Decimal("1.0912")

    def test_before_the_first_row_there_is_no_rate(self, tmp_path: Path) -> None:
        with pytest.raises(RateUnavailable, match="on or before 2026-09-30"):
            FixedRates(rates_file(tmp_path, GOOD)).rate("EUR", "USD", dt.date(2026, 9, 30))

    def test_an_inverse_pair_is_never_derived(self, tmp_path: Path) -> None:
        with pytest.raises(RateUnavailable, match="no USD/EUR rate"):
            FixedRates(rates_file(tmp_path, GOOD)).rate("USD", "EUR", dt.date(2026, 12, 1))

    def test_it_lists_the_currencies_it_quotes(self, tmp_path: Path) -> None:
        quoted = FixedRates(rates_file(tmp_path, GOOD)).currencies(dt.date(2026, 12, 1))
        assert quoted == {"EUR", "USD", "JPY"}

    def test_blank_lines_and_a_byte_order_mark_are_harmless(self, tmp_path: Path) -> None:
        path = tmp_path / "rates.csv"
        path.write_text("\ufeff" + GOOD.replace("\nJPY", "\n\nJPY"), encoding="utf-8")
        assert FixedRates(path).rate("JPY", "USD", dt.date(2026, 10, 2)).value == Decimal("0.0067")


class TestErrorsNameTheFileAndLine:
    @pytest.mark.parametrize(
        ("text", "where", "complaint"),
        [
            ("currency,base,day,rate\n", ":1:", "missing: date"),
            (GOOD + "EUR,USD,2026-12-01,abc\n", ":5:", "'abc' is not a positive rate"),
            (GOOD + "EUR,USD,2026-12-01,-1\n", ":5:", "not a positive rate"),
            (GOOD + "EUR,USD,2026-12-01,\n", ":5:", "not a positive rate"),
            (GOOD + "EUR,USD,01/12/2026,1.1\n", ":5:", "not a date"),
            (GOOD + "EUX,USD,2026-12-01,1.1\n", ":5:", "'EUX' is not an ISO 4217"),
            (GOOD + "EUR,USD,2026-11-01,1.2\n", ":5:", "the first is on line 3"),
        ],
    )
    def test_a_bad_file_is_refused_when_the_provider_is_built(
        self, tmp_path: Path, text: str, where: str, complaint: str
    ) -> None:
        path = rates_file(tmp_path, text)
        with pytest.raises(InvalidInput) as caught:
            FixedRates(path)
        assert f"{path}{where}" in caught.value.message
        assert complaint in caught.value.message

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput, match=r"nope\.csv: cannot read"):
            FixedRates(tmp_path / "nope.csv")
