"""Accounts of the chart: what codes, names and currencies a user may give, and account types."""

from __future__ import annotations

import dataclasses

import pytest

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.ledger.chart import RETAIL, Role, chart, clearing_role
from ledgerbridge.money import UnknownCurrency


class TestAccount:
    @pytest.mark.parametrize("code", ["1200", "A1", "1200.10", "x_y-z", "9" * 32])
    def test_a_code_of_letters_digits_dots_underscores_and_dashes_is_accepted(
        self, code: str
    ) -> None:
        assert Account(code, "Stripe clearing", AccountType.ASSET).code == code

    @pytest.mark.parametrize(
        "code",
        ["", "-1200", ".1200", "12 00", "12/00", "1200:1", "9" * 33, "ünï", " 1200"],
    )
    def test_a_malformed_code_is_refused_naming_the_field(self, code: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            Account(code, "Stripe clearing", AccountType.ASSET)
        assert caught.value.field == "code"

    def test_a_code_with_a_trailing_newline_is_refused(self) -> None:
        # A code pasted from a file keeps its newline; it must not become a second "1200".
        with pytest.raises(InvalidInput):
            Account("1200\n", "Stripe clearing", AccountType.ASSET)

    @pytest.mark.parametrize("name", ["", "   ", "\t\n"])
    def test_an_empty_name_is_refused(self, name: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            Account("1200", name, AccountType.ASSET)
        assert caught.value.field == "name"

    @pytest.mark.parametrize("currency", ["usd", "ZZZ", "XAU", ""])
    def test_an_unknown_currency_is_refused(self, currency: str) -> None:
        with pytest.raises(UnknownCurrency):
            Account("1200", "Stripe clearing", AccountType.ASSET, currency)

    def test_a_known_currency_restricts_the_account(self) -> None:
        assert Account("1210", "PayPal EUR", AccountType.ASSET, "EUR").currency == "EUR"

    def test_a_type_given_as_text_becomes_the_enum(self) -> None:
        account = Account("4000", "Sales", "revenue")  # type: ignore[arg-type]
        assert account.type is AccountType.REVENUE

    def test_renaming_keeps_code_type_and_currency(self) -> None:
        original = Account("1210", "PayPal", AccountType.ASSET, "EUR")
        assert original.renamed("PayPal EUR") == Account(
            "1210", "PayPal EUR", AccountType.ASSET, "EUR"
        )
        assert original.name == "PayPal"

    def test_an_account_is_immutable(self) -> None:
        account = Account("1200", "Stripe clearing", AccountType.ASSET)
        with pytest.raises(dataclasses.FrozenInstanceError):
            account.name = "Other"  # type: ignore[misc]


class TestAccountType:
    @pytest.mark.parametrize(
        ("kind", "debit_normal"),
        [
            (AccountType.ASSET, True),
            (AccountType.EXPENSE, True),
            (AccountType.LIABILITY, False),
            (AccountType.EQUITY, False),
            (AccountType.REVENUE, False),
        ],
    )
    def test_assets_and_expenses_grow_with_debits_the_rest_with_credits(
        self, kind: AccountType, debit_normal: bool
    ) -> None:
        assert kind.debit_normal is debit_normal

    def test_the_values_are_the_names_reports_print(self) -> None:
        assert [t.value for t in AccountType] == [
            "asset",
            "liability",
            "equity",
            "revenue",
            "expense",
        ]


class TestChart:
    def test_the_retail_chart_has_unique_codes_and_roles(self) -> None:
        codes = [c.account.code for c in RETAIL]
        roles = [c.role for c in RETAIL if c.role]
        assert len(set(codes)) == len(codes)
        assert len(set(roles)) == len(roles)
        assert {t for t in AccountType} == {c.account.type for c in RETAIL}

    def test_every_role_except_clearing_is_assigned_in_the_retail_chart(self) -> None:
        assert {c.role for c in RETAIL} == {r.value for r in Role}

    def test_charts_are_found_by_name(self) -> None:
        assert chart("retail") is RETAIL
        assert chart("empty") == ()

    def test_an_unknown_chart_is_refused_listing_the_choices(self) -> None:
        with pytest.raises(InvalidInput, match="empty, retail") as caught:
            chart("wholesale")
        assert caught.value.field == "chart"

    def test_a_clearing_role_names_its_connection(self) -> None:
        assert clearing_role("stripe-us") == "clearing:stripe-us"
