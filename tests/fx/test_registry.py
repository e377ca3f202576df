"""Building the provider from LEDGERBRIDGE_FX_PROVIDER, and plugging in another by name."""

from __future__ import annotations

import datetime as dt
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerbridge.clock import Clock
from ledgerbridge.errors import InvalidInput
from ledgerbridge.fx import (
    EcbRates,
    FixedRates,
    OfflineEcbRates,
    provider,
    rates_on,
    register_provider,
    registry,
)
from ledgerbridge.posting.rates import RateTable, RateUnavailable, StaticRates
from ledgerbridge.store.database import Database


@pytest.fixture(autouse=True)
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names registered by a test stay in that test (the built-ins are kept)."""
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))


class TestBuiltIns:
    def test_each_setting_builds_its_provider(self, tmp_path: Path) -> None:
        path = tmp_path / "rates.csv"
        path.write_text("currency,base,date,rate\nEUR,USD,2026-01-01,1.1\n")
        assert isinstance(provider("ecb"), EcbRates)
        assert isinstance(provider("ecb-offline"), OfflineEcbRates)
        fixed = provider(f"fixed:{path}")
        assert isinstance(fixed, FixedRates)
        assert fixed.path == path

    def test_ecb_takes_a_mirror_url(self) -> None:
        mirror = provider("ecb:http://mirror.internal/eurofxref/")
        assert isinstance(mirror, EcbRates)
        assert mirror.base_url == "http://mirror.internal/eurofxref/"

    @pytest.mark.parametrize(
        ("setting", "complaint"),
        [
            ("oanda", "unknown FX provider 'oanda' in LEDGERBRIDGE_FX_PROVIDER"),
            ("ECB", "unknown FX provider 'ECB'"),
            ("", "unknown FX provider ''"),
            ("fixed:", "fixed needs the path"),
            ("fixed", "fixed needs the path"),
            ("ecb:ftp://x/", "base URL"),
            ("ecb-offline:x", "takes no argument"),
        ],
    )
    def test_a_bad_setting_is_refused_by_name(self, setting: str, complaint: str) -> None:
        with pytest.raises(InvalidInput, match=complaint) as caught:
            provider(setting)
        assert caught.value.field == "fx_provider"


class TestPaidProviderHook:
    def test_a_registered_factory_is_built_with_its_argument_database_and_clock(self) -> None:
        seen: list[tuple[str | None, Database | None]] = []

        def factory(argument: str | None, *, db: Database | None, clock: Clock) -> RateTable:
            seen.append((argument, db))
            return StaticRates({("EUR", "USD"): "1.2"}, source=f"acme:{clock().date()}")

        register_provider("acme-test", factory)
        table = provider("acme-test:KEY123", clock=lambda: dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
        assert seen == [("KEY123", None)]
        assert table.rate("EUR", "USD", dt.date(2026, 1, 2)).source == "acme:2026-01-02"

    def test_a_name_is_registered_once_unless_replaced(self) -> None:
        def factory(argument: str | None, *, db: Database | None, clock: Clock) -> RateTable:
            return OfflineEcbRates()

        register_provider("acme-twice", factory)
        with pytest.raises(ValueError, match="already registered"):
            register_provider("acme-twice", factory)
        register_provider("acme-twice", factory, replace=True)
        with pytest.raises(ValueError, match="lower-case"):
            register_provider("Acme", factory)

    def test_an_installed_package_plugs_in_through_an_entry_point(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (tmp_path / "acme_fx_plugin.py").write_text(
            textwrap.dedent(
                """
                from ledgerbridge.posting.rates import StaticRates

                def factory(argument, *, db, clock):
                    return StaticRates({("EUR", "USD"): argument}, source="acme-plugin")
                """
            )
        )
        dist = tmp_path / "acme_fx_plugin-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: acme-fx-plugin\nVersion: 1.0\n"
        )
        (dist / "entry_points.txt").write_text(
            "[ledgerbridge.fx_providers]\nacme-plugin = acme_fx_plugin:factory\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        rate = provider("acme-plugin:1.25").rate("EUR", "USD", dt.date(2026, 1, 2))
        assert (rate.value, rate.source) == (Decimal("1.25"), "acme-plugin")


class TestRatesOn:
    def test_named_currencies_come_back_in_the_order_given_without_repeats(self) -> None:
        found = rates_on(OfflineEcbRates(), "USD", dt.date(2024, 1, 6), ["JPY", "EUR", "JPY"])
        assert [(r.currency, r.rate.date) for r in found] == [
            ("JPY", dt.date(2024, 1, 5)),
            ("EUR", dt.date(2024, 1, 5)),
        ]
        assert found[1].as_json() == {
            "currency": "EUR",
            "rate": "1.0921",
            "rate_date": "2024-01-05",
            "source": "ecb-offline",
        }

    def test_by_default_every_quoted_currency_but_the_base(self) -> None:
        found = rates_on(OfflineEcbRates(), "USD", dt.date(2024, 1, 2))
        codes = [r.currency for r in found]
        assert codes == sorted(codes)
        assert "USD" not in codes
        assert {"EUR", "GBP", "JPY"} <= set(codes)

    def test_a_currency_that_cannot_be_answered_is_an_error_not_a_gap(self) -> None:
        with pytest.raises(RateUnavailable):
            rates_on(OfflineEcbRates(), "USD", dt.date(2024, 1, 2), ["EUR", "ARS"])

    def test_a_provider_that_cannot_list_needs_the_currencies_named(self) -> None:
        with pytest.raises(InvalidInput, match="name them"):
            rates_on(StaticRates({}), "USD", dt.date(2024, 1, 2))
