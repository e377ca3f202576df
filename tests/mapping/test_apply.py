"""Applying a mapping to canonical events, without a database: fields, dimensions, rules."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.events import OrderPaid
from ledgerbridge.ledger.entries import JournalEntry, Side
from ledgerbridge.mapping.apply import apply, post_mapped, with_mapping
from ledgerbridge.mapping.document import ActiveMapping, MappingDocument
from ledgerbridge.posting import NOTHING_POSTED, post
from ledgerbridge.posting.accounts import AccountMap, AccountRule
from tests.posting.builders import (
    ACCOUNTS,
    PAYPAL_CLEARING,
    RATES,
    SALES,
    SHOP,
    SHOP_CLEARING,
    TAX,
    WHEN,
    card,
    line,
    order,
    shipping,
    tax,
)
from tests.posting.test_properties import books, orders

RAW: dict[str, Any] = {
    "name": "#1001",
    "source_name": "pos",
    "note_attributes": [{"name": "erp_ref", "value": "ERP-77"}],
    "shipping_address": {"province_code": "CA"},
    "line_items": [
        {"sku": "GC-50", "product_type": "Gift"},
        {"sku": "MUG-1", "product_type": "Kitchen"},
    ],
    "tags": ["a", "b"],
}


def mapped(document: dict[str, Any], version: int = 3) -> ActiveMapping:
    return ActiveMapping(version, MappingDocument.from_data({"version": 1, **document}))


def paid_order() -> OrderPaid:
    snapshot = order(
        line("Gift card design", price="50.00", sku="GC-50", taxes=(tax("CA State Tax", "4.00"),)),
        line("Mug", price="20.00", sku="MUG-1", taxes=(tax("CA State Tax", "1.60"),)),
        ships=(shipping("5.00"),),
        payments=(card("80.60", gateway="paypal"),),
    )
    return OrderPaid("1001", WHEN, snapshot)


def post_with(document: dict[str, Any], event: Any = None, raw: Any = RAW) -> JournalEntry:
    mapping = mapped(document)
    entry, _ = post_mapped(
        event or paid_order(),
        raw,
        mapping,
        connection=SHOP,
        accounts=with_mapping(ACCOUNTS, mapping.document, SHOP),
        rates=RATES,
        base_currency="USD",
        prior=NOTHING_POSTED,
    )
    assert entry is not None
    return entry


def amounts(entry: JournalEntry) -> dict[tuple[str, Side], Decimal]:
    found: dict[tuple[str, Side], Decimal] = defaultdict(Decimal)
    for ln in entry.lines:
        found[(ln.account, ln.side)] += ln.amount.amount
    return dict(found)


class TestAccountRules:
    def test_the_first_matching_rule_wins_and_others_fall_back_to_the_role(self) -> None:
        entry = post_with(
            {
                "accounts": [
                    {"when": {"sku": "GC-*"}, "role": "sales", "account": "4010"},
                    {"when": {"sku": "*"}, "role": "sales", "account": "4020"},
                ]
            }
        )
        posted = amounts(entry)
        assert posted[("4010", Side.CREDIT)] == Decimal("50.00")
        assert posted[("4020", Side.CREDIT)] == Decimal("20.00")
        assert (SALES, Side.CREDIT) not in posted

    def test_a_gateway_rule_routes_the_tender_to_its_own_clearing(self) -> None:
        entry = post_with(
            {"accounts": [{"when": {"gateway": "paypal"}, "role": "clearing", "account": "1250"}]}
        )
        assert amounts(entry)[("1250", Side.DEBIT)] == Decimal("80.60")
        assert (PAYPAL_CLEARING, Side.DEBIT) not in amounts(entry)

    def test_a_condition_on_a_fact_the_line_lacks_never_matches(self) -> None:
        # The tender line has no SKU, so a clearing rule on sku cannot catch it.
        entry = post_with(
            {"accounts": [{"when": {"sku": "*"}, "role": "clearing", "account": "1250"}]}
        )
        assert amounts(entry)[(PAYPAL_CLEARING, Side.DEBIT)] == Decimal("80.60")

    def test_tax_rules_see_the_title_when_there_is_no_jurisdiction_code(self) -> None:
        entry = post_with(
            {
                "accounts": [
                    {
                        "when": {"tax_jurisdiction": "CA *"},
                        "role": "sales_tax_payable",
                        "account": "2110",
                    }
                ]
            }
        )
        assert amounts(entry)[("2110", Side.CREDIT)] == Decimal("5.60")
        assert (TAX, Side.CREDIT) not in amounts(entry)

    def test_defaults_replace_a_roles_account_and_clearing_means_the_connections(self) -> None:
        entry = post_with(
            {"defaults": {"shipping_income": "4050", "clearing": "1299"}},
            event=OrderPaid(
                "1002",
                WHEN,
                order(line(price="10.00"), ships=(shipping("5.00"),), payments=(card("15.00"),)),
            ),
        )
        posted = amounts(entry)
        assert posted[("4050", Side.CREDIT)] == Decimal("5.00")
        assert posted[("1299", Side.DEBIT)] == Decimal("15.00")
        assert (SHOP_CLEARING, Side.DEBIT) not in posted

    def test_a_list_of_patterns_matches_any_of_them(self) -> None:
        rule = AccountRule("sales", "4010", {"sku": ("X-*", "GC-*")})
        accounts = AccountMap.of({"sales": SALES}, rules=[rule])
        assert accounts.code("sales", sku="GC-1") == "4010"
        assert accounts.code("sales", sku="MUG") == SALES

    def test_a_rule_on_a_per_line_dimension_routes_by_sku(self) -> None:
        entry = post_with(
            {
                "dimensions": {"category": {"per_line": "product_type"}},
                "accounts": [{"when": {"category": "Gift"}, "role": "sales", "account": "4010"}],
            }
        )
        assert amounts(entry)[("4010", Side.CREDIT)] == Decimal("50.00")
        assert amounts(entry)[(SALES, Side.CREDIT)] == Decimal("20.00")


class TestFieldsAndDimensions:
    def test_fields_override_the_canonical_order_and_add_a_reference(self) -> None:
        mapping = mapped(
            {
                "fields": {
                    "order_name": "'ERP ' && note_attributes[0].value",
                    "channel": "'marketplace'",
                    "order_reference": "note_attributes[?name=='erp_ref'].value | [0]",
                }
            }
        )
        applied = apply(mapping.document, paid_order(), RAW)
        assert isinstance(applied.event, OrderPaid)
        assert applied.event.order.source_name == "marketplace"
        assert applied.dimensions["order_reference"] == "ERP-77"
        assert applied.facts["channel"] == "marketplace"

    def test_an_expression_that_finds_nothing_keeps_the_parsed_value(self) -> None:
        applied = apply(
            mapped({"fields": {"country": "nowhere.country"}}).document, paid_order(), RAW
        )
        assert isinstance(applied.event, OrderPaid)
        assert applied.event.order == paid_order().order

    def test_a_gateway_field_renames_every_payment_and_routes_its_clearing(self) -> None:
        entry = post_with({"fields": {"gateway": "'shopify_payments'"}})
        assert amounts(entry)[(SHOP_CLEARING, Side.DEBIT)] == Decimal("80.60")

    def test_dimensions_land_on_the_entry_every_line_and_per_sku(self) -> None:
        entry = post_with(
            {
                "fields": {"order_reference": "note_attributes[0].value"},
                "dimensions": {
                    "store": "'eu-main'",
                    "region": "shipping_address.province_code",
                    "category": {"per_line": "product_type"},
                },
            }
        )
        assert entry.mapping_version == 3
        assert entry.dimensions["store"] == "eu-main"
        assert entry.dimensions["order_reference"] == "ERP-77"
        assert all(ln.dimensions["region"] == "CA" for ln in entry.lines)
        by_sku = {ln.dimensions.get("sku"): ln.dimensions.get("category") for ln in entry.lines}
        assert by_sku["GC-50"] == "Gift"
        assert by_sku["MUG-1"] == "Kitchen"

    def test_a_list_where_one_value_is_needed_is_not_used_and_says_so(self) -> None:
        mapping = mapped({"dimensions": {"tags": "tags"}})
        applied = apply(mapping.document, paid_order(), RAW)
        assert "tags" not in applied.dimensions
        assert "dimensions.tags" in applied.notices[0].message
        assert "found a list" in applied.notices[0].message

    def test_without_a_mapping_the_entry_is_exactly_the_unmapped_one(self) -> None:
        event = paid_order()
        entry, notices = post_mapped(
            event,
            RAW,
            None,
            connection=SHOP,
            accounts=ACCOUNTS,
            rates=RATES,
            base_currency="USD",
            prior=NOTHING_POSTED,
        )
        assert notices == ()
        assert entry == post(
            event,
            connection=SHOP,
            accounts=ACCOUNTS,
            rates=RATES,
            base_currency="USD",
            prior=NOTHING_POSTED,
        )


CODES = ["1250", "1299", "4010", "4020", "2110", "6110", SALES]
ROLES = [
    "clearing",
    "sales",
    "discounts",
    "shipping_income",
    "sales_tax_payable",
    "gift_card_liability",
    "accounts_receivable",
    "rounding",
    "processing_fees",
]
CONDITIONS = st.sampled_from(
    [
        {},
        {"sku": "*"},
        {"gateway": "paypal"},
        {"payment_kind": "card"},
        {"currency": "EUR"},
        {"tax_jurisdiction": "*"},
        {"shipping_method": "Standard"},
        {"store": "eu"},
    ]
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    rules = [
        {
            "when": draw(CONDITIONS) or {"sku": "*"},
            "role": draw(st.sampled_from(ROLES)),
            "account": draw(st.sampled_from(CODES)),
        }
        for _ in range(draw(st.integers(0, 6)))
    ]
    defaults = draw(st.dictionaries(st.sampled_from(ROLES), st.sampled_from(CODES), max_size=3))
    return {"dimensions": {"store": "'eu'"}, "accounts": rules, "defaults": defaults}


@settings(deadline=None, max_examples=120)
@given(data=st.data(), document=documents())
def test_any_mapping_of_valid_accounts_still_balances_and_moves_the_same_money(
    data: st.DataObject, document: dict[str, Any]
) -> None:
    base, currency, rates = data.draw(books())
    snapshot = data.draw(orders(currency))
    event = OrderPaid("9001", WHEN, snapshot)
    mapping = mapped(document)
    plain = post(
        event,
        connection=SHOP,
        accounts=ACCOUNTS,
        rates=rates,
        base_currency=base,
        prior=NOTHING_POSTED,
    )
    entry, _ = post_mapped(
        event,
        {},
        mapping,
        connection=SHOP,
        accounts=with_mapping(ACCOUNTS, mapping.document, SHOP),
        rates=rates,
        base_currency=base,
        prior=NOTHING_POSTED,
    )
    assert (entry is None) == (plain is None)
    if entry is None or plain is None:
        return
    # JournalEntry refuses an unbalanced entry; check the totals as a reader would, too.
    assert entry.total(Side.DEBIT) == entry.total(Side.CREDIT)
    for ccy in {ln.amount.currency for ln in entry.lines}:
        debits = sum(
            ln.amount.amount
            for ln in entry.lines
            if ln.side is Side.DEBIT and ln.amount.currency == ccy
        )
        credits = sum(
            ln.amount.amount
            for ln in entry.lines
            if ln.side is Side.CREDIT and ln.amount.currency == ccy
        )
        assert debits == credits
    assert entry.mapping_version == 3
