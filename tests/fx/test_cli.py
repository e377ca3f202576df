"""``ledgerbridge fx rates`` as a user runs it: JSON with string rates, dates, sources, errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from ledgerbridge.cli.fx import fx_app
from ledgerbridge.logs import configure_logging
from ledgerbridge.services.books import init_book
from ledgerbridge.store.database import connect
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.fx.ecb_server import FakeEcb

runner = CliRunner()


@pytest.fixture
def book(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", Fernet.generate_key().decode())
    db = connect(database_url)
    init_book(db, base_currency="USD")
    db.dispose()
    saved = structlog.get_config()
    configure_logging("json", level=logging.WARNING)  # as the ledgerbridge app does: stderr
    try:
        yield database_url
    finally:
        structlog.configure(**saved)


def fx_rates(url: str, *args: str, provider: str) -> tuple[int, str, str]:
    result = runner.invoke(
        fx_app,
        ["rates", *args, "--database-url", url],
        env={"LEDGERBRIDGE_FX_PROVIDER": provider},
    )
    return result.exit_code, result.stdout, result.stderr


class TestJson:
    def test_rates_are_strings_with_the_publication_date_and_source(self, book: str) -> None:
        code, out, err = fx_rates(
            book,
            "--date",
            "2024-01-06",
            "--currency",
            "EUR",
            "--currency",
            "GBP",
            "--json",
            provider="ecb-offline",
        )
        assert code == 0, err
        assert json.loads(out) == {
            "base_currency": "USD",
            "date": "2024-01-06",
            "rates": [
                {
                    "currency": "EUR",
                    "rate": "1.0921",
                    "rate_date": "2024-01-05",
                    "source": "ecb-offline",
                },
                {
                    "currency": "GBP",
                    "rate": "1.26679039555",  # 1.0921 / 0.8621 = 1.2667903955457...
                    "rate_date": "2024-01-05",
                    "source": "ecb-offline",
                },
            ],
        }

    def test_the_live_feed_fills_the_books_cache_once(self, book: str, ecb: FakeEcb) -> None:
        args = ("--date", "2024-01-02", "--currency", "JPY", "--json")
        code, out, err = fx_rates(book, *args, provider=f"ecb:{ecb.url}")
        assert code == 0, err
        assert json.loads(out)["rates"] == [
            {
                "currency": "JPY",
                "rate": "0.00703751284687",
                "rate_date": "2024-01-02",
                "source": "ecb",
            }
        ]
        again = fx_rates(book, *args, provider=f"ecb:{ecb.url}")
        assert again == (0, out, "")
        assert ecb.requests == ["eurofxref-hist.xml"]
        db = connect(book)
        with UnitOfWork(db, read_only=True) as uow:
            assert uow.rates.count("ecb", "EUR") > 200_000
        db.dispose()

    def test_without_currencies_every_quoted_one_is_listed(self, book: str) -> None:
        code, out, _ = fx_rates(book, "--date", "2024-01-02", "--json", provider="ecb-offline")
        assert code == 0
        listed = [row["currency"] for row in json.loads(out)["rates"]]
        assert listed == sorted(listed)
        assert {"EUR", "GBP", "JPY", "CHF"} <= set(listed)
        assert "USD" not in listed


class TestText:
    def test_a_rate_from_an_earlier_publication_is_flagged(self, book: str) -> None:
        code, out, _ = fx_rates(
            book, "--date", "2024-01-06", "--currency", "EUR", provider="ecb-offline"
        )
        assert code == 0
        assert "1 unit in USD" in out
        assert "2024-01-05 *" in out
        assert "last publication before 2024-01-06" in out

    def test_a_rate_of_the_very_day_is_not_flagged(self, book: str) -> None:
        code, out, _ = fx_rates(
            book, "--date", "2024-01-05", "--currency", "EUR", provider="ecb-offline"
        )
        assert code == 0
        assert "2024-01-05" in out
        assert "*" not in out


class TestErrors:
    def test_an_unknown_provider_names_the_setting(self, book: str) -> None:
        code, _, err = fx_rates(book, "--currency", "EUR", provider="oanda")
        assert code == 2
        assert "LEDGERBRIDGE_FX_PROVIDER" in err
        assert "oanda" in err

    def test_a_bad_date_is_bad_input(self, book: str) -> None:
        code, _, err = fx_rates(book, "--date", "06/01/2024", provider="ecb-offline")
        assert code == 2
        assert "--date" in err

    def test_a_rate_that_cannot_be_had_says_why(self, book: str) -> None:
        code, _, err = fx_rates(
            book, "--date", "1998-06-01", "--currency", "EUR", provider="ecb-offline"
        )
        assert code == 2
        assert "start on 1999-01-04" in err

    def test_a_database_without_a_book_is_told_to_init(self, tmp_path: Path) -> None:
        code, _, err = fx_rates(f"sqlite:///{tmp_path / 'empty.db'}", provider="ecb-offline")
        assert code == 2
        assert "ledgerbridge init" in err
