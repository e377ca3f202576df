"""Shopify connector: signatures, dedupe keys, and what each topic posts.

Samples come from ../shared/samples (shopify_python_api fixtures); edge cases the samples lack
(gift-card split, taxes included, several jurisdictions, edits, restocking fees, JPY, KWD) are
small payloads in fixtures/.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import (
    PayloadInvalid,
    SignatureInvalid,
    UnsupportedTopic,
    hmac_sha256_base64,
)
from ledgerbridge.connectors.shopify import ShopifyConnector, signature
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.events import (
    OrderCancelled,
    OrderEdited,
    OrderPaid,
    OrderPending,
    PaymentKind,
    Payout,
    Refund,
)
from ledgerbridge.money import Money

from .helpers import (
    assert_amounts_positive,
    body,
    fixture_bytes,
    fixture_json,
    mutate,
    only,
    usd,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
shopify = ShopifyConnector()


def sample(samples: Path, name: str) -> bytes:
    return (samples / "webhooks" / "shopify" / name).read_bytes()


def signed(raw: bytes, secret: str = "hush") -> dict[str, str]:
    return {"X-Shopify-Hmac-Sha256": signature(raw, secret)}


class TestVerify:
    def test_the_sdk_derived_vector_verifies(self) -> None:
        headers = {"X-Shopify-Hmac-Sha256": "+ihUB5l+D7QrohDEi/6NcBcJRyKssyWqos13LmnsBbs="}
        shopify.verify(b"{}", headers, "API_SECRET_KEY", now=NOW)

    def test_header_names_are_read_in_any_case_and_from_the_events_api(self) -> None:
        value = signature(b"{}", "API_SECRET_KEY")
        shopify.verify(b"{}", {"x-shopify-hmac-sha256": value}, "API_SECRET_KEY", now=NOW)
        shopify.verify(b"{}", {"Shopify-Hmac-Sha256": value}, "API_SECRET_KEY", now=NOW)

    def test_a_tampered_body_is_refused(self) -> None:
        with pytest.raises(SignatureInvalid):
            shopify.verify(b'{"a":1}', signed(b'{"a":2}'), "hush", now=NOW)

    def test_a_wrong_secret_is_refused(self) -> None:
        with pytest.raises(SignatureInvalid):
            shopify.verify(b"{}", signed(b"{}", "other"), "hush", now=NOW)

    def test_an_empty_secret_never_verifies_even_against_an_empty_key_signature(self) -> None:
        forged = {"X-Shopify-Hmac-Sha256": hmac_sha256_base64(b"", b"{}")}
        with pytest.raises(SignatureInvalid, match="no webhook secret"):
            shopify.verify(b"{}", forged, "", now=NOW)

    def test_a_missing_header_is_refused(self) -> None:
        with pytest.raises(SignatureInvalid, match="missing") as caught:
            shopify.verify(b"{}", {"X-Shopify-Topic": "orders/create"}, "hush", now=NOW)
        assert caught.value.code == "signature_invalid"
        assert caught.value.http_status == 401

    def test_a_header_that_is_not_base64_is_refused_not_crashed(self) -> None:
        with pytest.raises(SignatureInvalid):
            shopify.verify(b"{}", {"X-Shopify-Hmac-Sha256": "ü not base64"}, "hush", now=NOW)

    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40))
    def test_any_body_we_sign_verifies(self, raw: bytes, secret: str) -> None:
        shopify.verify(raw, signed(raw, secret), secret, now=NOW)

    @settings(max_examples=60)
    @given(raw=st.binary(min_size=1, max_size=200), data=st.data())
    def test_any_single_byte_change_fails(self, raw: bytes, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(raw) - 1))
        flip = data.draw(st.integers(1, 255))
        changed = raw[:index] + bytes([raw[index] ^ flip]) + raw[index + 1 :]
        with pytest.raises(SignatureInvalid):
            shopify.verify(changed, signed(raw), "hush", now=NOW)


class TestDelivery:
    def test_the_event_id_header_is_the_dedupe_key_per_topic(self) -> None:
        headers = {
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Event-Id": "ev-1",
            "X-Shopify-Webhook-Id": "wh-1",
        }
        found = shopify.delivery(fixture_bytes("shopify_order_edited.json"), headers)
        assert found.topic == "orders/paid"
        assert found.external_id == "orders/paid:event:ev-1"
        assert found.resource_id == "5004001"

    def test_the_webhook_id_is_the_fallback_key(self) -> None:
        headers = {"x-shopify-topic": "orders/create", "x-shopify-webhook-id": "wh-9"}
        found = shopify.delivery(fixture_bytes("shopify_order_edited.json"), headers)
        assert found.external_id == "orders/create:webhook:wh-9"

    def test_without_ids_the_key_is_the_resource_and_its_update_time(self, samples: Path) -> None:
        found = shopify.delivery(
            sample(samples, "api_order.json"), {"X-Shopify-Topic": "orders/create"}
        )
        assert found.external_id == "orders/create:450789469:2008-01-10T11:00:00-05:00"
        assert found.resource_id == "450789469"

    def test_a_redelivery_has_the_same_key_and_another_topic_a_different_one(self) -> None:
        raw = fixture_bytes("shopify_order_edited.json")
        first = shopify.delivery(raw, {"X-Shopify-Topic": "orders/paid", "X-Shopify-Event-Id": "e"})
        again = shopify.delivery(raw, {"X-Shopify-Topic": "orders/paid", "X-Shopify-Event-Id": "e"})
        other = shopify.delivery(
            raw, {"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": "e"}
        )
        assert first == again
        assert first.external_id != other.external_id

    def test_a_missing_topic_header_is_payload_invalid(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            shopify.delivery(b"{}", {})
        assert caught.value.field == "X-Shopify-Topic"

    def test_an_unparseable_body_is_payload_invalid(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            shopify.delivery(b"{not json", {"X-Shopify-Topic": "orders/create"})
        assert caught.value.field == "body"


class TestParseOrderCreate:
    def test_the_authorized_sample_is_pending_with_its_exact_figures(self, samples: Path) -> None:
        result = shopify.parse("orders/create", sample(samples, "api_order.json"))
        event = only(result, OrderPending)
        order = event.order
        assert event.external_id == "450789469"
        assert event.occurred_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
        assert (order.name, order.currency, order.total) == ("#1001", "USD", usd("409.94"))
        assert [(line.sku, line.gross, line.discount) for line in order.lines] == [
            ("IPOD2008GREEN", usd("199.00"), usd("0")),
            ("IPOD2008RED", usd("199.00"), usd("0")),
            ("IPOD2008BLACK", usd("199.00"), usd("0")),
        ]
        assert order.order_taxes[0].title == "State Tax"
        assert order.order_taxes[0].amount == usd("11.94")
        assert order.order_taxes[0].rate == Decimal("0.06")
        assert order.payments[0].gateway == "authorize_net"
        assert order.payments[0].amount == usd("409.94")

    def test_the_sample_whose_lines_do_not_add_up_to_its_total_says_so(self, samples: Path) -> None:
        # The fixture lists three 199.00 lines but totals 398.00 + 11.94 tax = 409.94.
        raw = json.loads(sample(samples, "api_order.json"))["order"]
        lines = sum(Decimal(item["price"]) * item["quantity"] for item in raw["line_items"])
        assert lines + Decimal(raw["total_tax"]) != Decimal(raw["total_price"])
        (notice,) = shopify.parse("orders/create", sample(samples, "api_order.json")).notices
        assert "608.94" in notice.message
        assert "409.94" in notice.message

    def test_a_paid_order_posts_order_paid(self) -> None:
        result = shopify.parse("orders/create", fixture_bytes("shopify_order_edited.json"))
        assert [type(e) for e in result.events] == [OrderPaid]

    @pytest.mark.parametrize("status", ["pending", "authorized", "partially_paid"])
    def test_unpaid_statuses_post_order_pending(self, status: str) -> None:
        data = fixture_json("shopify_order_edited.json") | {"financial_status": status}
        assert [type(e) for e in shopify.parse("orders/create", body(data)).events] == [
            OrderPending
        ]

    @pytest.mark.parametrize("status", ["refunded", "partially_refunded"])
    def test_an_imported_order_already_refunded_is_still_a_sale(self, status: str) -> None:
        data = fixture_json("shopify_order_edited.json") | {"financial_status": status}
        assert [type(e) for e in shopify.parse("orders/create", body(data)).events] == [OrderPaid]

    def test_a_voided_authorization_posts_nothing_but_says_why(self) -> None:
        data = fixture_json("shopify_order_edited.json") | {"financial_status": "voided"}
        result = shopify.parse("orders/create", body(data))
        assert result.events == ()
        assert "nothing was collected" in result.notices[0].message

    def test_an_unknown_financial_status_names_the_field(self) -> None:
        data = fixture_json("shopify_order_edited.json") | {"financial_status": "teleported"}
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/create", body(data))
        assert caught.value.field == "financial_status"

    def test_several_tax_jurisdictions_stay_per_line_and_discounts_per_line(self) -> None:
        result = shopify.parse(
            "orders/create", fixture_bytes("shopify_order_multi_tax_discounts.json")
        )
        event = only(result, OrderPending)  # authorized, not captured
        jacket, socks = event.order.lines
        assert [(t.title, t.amount, t.rate) for t in jacket.taxes] == [
            ("CA State Tax", usd("5.40"), Decimal("0.06")),
            ("Los Angeles County Tax", usd("2.25"), Decimal("0.025")),
        ]
        assert (jacket.gross, jacket.discount) == (usd("100.00"), usd("10.00"))
        assert (socks.quantity, socks.gross, socks.discount) == (3, usd("15.00"), usd("1.50"))
        (express,) = event.order.shipping
        assert (express.gross, express.discount) == (usd("12.00"), usd("3.00"))
        assert result.notices == ()  # 90 + 13.50 + 9 + 8.80 tax = 121.30

    def test_taxes_included_orders_add_up_without_adding_tax_again(self) -> None:
        result = shopify.parse("orders/paid", fixture_bytes("shopify_order_taxes_included.json"))
        event = only(result, OrderPaid)
        order = event.order
        assert order.taxes_included is True
        assert order.total == Money.of("54.00", "GBP")
        assert order.lines[0].discount == Money.of("12.00", "GBP")
        assert order.lines[0].taxes[0].amount == Money.of("8.00", "GBP")
        assert order.shipping[0].taxes[0].amount == Money.of("1.00", "GBP")
        assert result.notices == ()  # 48 + 6 = 54; the 9.00 VAT is inside

    def test_jpy_amounts_are_whole_yen(self) -> None:
        event = only(
            shopify.parse("orders/paid", fixture_bytes("shopify_order_jpy.json")), OrderPaid
        )
        assert event.order.total == Money.of(3850, "JPY")
        assert event.order.lines[0].gross == Money.of(3000, "JPY")

    def test_an_exact_amount_with_extra_zeros_is_accepted_and_an_inexact_one_is_not(self) -> None:
        data = fixture_json("shopify_order_jpy.json")
        data["line_items"][0]["price"] = "1500.00"
        event = only(shopify.parse("orders/paid", body(data)), OrderPaid)
        assert event.order.lines[0].gross == Money.of(3000, "JPY")
        data["line_items"][0]["price"] = "1500.5"
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/paid", body(data))
        assert caught.value.field == "line_items[0].price"

    def test_kwd_keeps_three_decimals_and_cod_is_a_manual_payment(self) -> None:
        result = shopify.parse("orders/paid", fixture_bytes("shopify_order_kwd.json"))
        event = only(result, OrderPaid)
        assert event.order.lines[0].gross == Money.of("24.690", "KWD")
        assert event.order.total == Money.of("26.190", "KWD")
        assert event.order.payments[0].kind is PaymentKind.MANUAL
        assert result.notices == ()


class TestParseOrderPayments:
    def test_a_split_tender_without_transactions_has_no_payments_and_asks_for_them(self) -> None:
        result = shopify.parse("orders/paid", fixture_bytes("shopify_order_gift_card_split.json"))
        event = only(result, OrderPaid)
        assert event.order.payments == ()
        assert any("transactions" in n.message and "gift_card" in n.message for n in result.notices)

    def test_transactions_split_gift_card_and_card_and_skip_failures_and_auths(self) -> None:
        result = shopify.parse(
            "orders/paid",
            fixture_bytes("shopify_order_gift_card_split.json"),
            extra={"transactions": fixture_json("shopify_transactions_gift_card_split.json")},
        )
        event = only(result, OrderPaid)
        assert [(p.gateway, p.kind, p.amount, p.transaction_id) for p in event.order.payments] == [
            ("gift_card", PaymentKind.GIFT_CARD, usd("25.00"), "9001"),
            ("shopify_payments", PaymentKind.CARD, usd("33.50"), "9003"),
        ]
        assert result.notices == ()

    def test_transactions_without_a_successful_capture_leave_no_payments_and_say_so(
        self,
    ) -> None:
        failed = fixture_json("shopify_transactions_gift_card_split.json")["transactions"][3:]
        result = shopify.parse(
            "orders/paid",
            fixture_bytes("shopify_order_gift_card_split.json"),
            extra={"transactions": failed},
        )
        assert only(result, OrderPaid).order.payments == ()
        assert "none of its 1 transactions" in result.notices[0].message

    def test_a_gift_card_line_is_marked_as_a_gift_card_sale(self) -> None:
        event = only(
            shopify.parse("orders/paid", fixture_bytes("shopify_order_gift_card_split.json")),
            OrderPaid,
        )
        assert [line.gift_card for line in event.order.lines] == [False, True]

    def test_a_single_manual_gateway_pays_the_total(self) -> None:
        data = fixture_json("shopify_order_edited.json") | {"payment_gateway_names": ["manual"]}
        event = only(shopify.parse("orders/paid", body(data)), OrderPaid)
        (payment,) = event.order.payments
        assert (payment.kind, payment.amount) == (PaymentKind.MANUAL, usd("57.00"))


class TestParseOrderUpdated:
    def test_an_edit_is_keyed_on_its_update_time(self) -> None:
        event = only(
            shopify.parse("orders/updated", fixture_bytes("shopify_order_edited.json")), OrderEdited
        )
        assert event.revision == "2024-06-02T09:15:00-07:00"
        assert event.external_id == "5004001@2024-06-02T09:15:00-07:00"
        assert event.occurred_at == datetime(2024, 6, 2, 16, 15, tzinfo=UTC)
        assert event.order.total == usd("57.00")
        assert [line.title for line in event.order.lines] == ["Book", "Bookmark (added by edit)"]


class TestParseOrderCancelled:
    def test_an_unpaid_order_is_cancelled(self, samples: Path) -> None:
        data = json.loads(sample(samples, "api_order.json"))
        data["order"] |= {"cancelled_at": "2008-01-11T09:00:00-05:00", "cancel_reason": "customer"}
        event = only(shopify.parse("orders/cancelled", body(data)), OrderCancelled)
        assert (event.order_id, event.reason) == ("450789469", "customer")
        assert event.occurred_at == datetime(2008, 1, 11, 14, 0, tzinfo=UTC)

    def test_a_paid_order_is_not_reversed_because_its_refunds_carry_the_money(self) -> None:
        data = fixture_json("shopify_order_edited.json") | {"financial_status": "refunded"}
        result = shopify.parse("orders/cancelled", body(data))
        assert result.events == ()
        assert "refunds/create" in result.notices[0].message


class TestParseRefund:
    def test_the_sample_refund_posts_its_transactions_amount_and_derived_lines(
        self, samples: Path
    ) -> None:
        result = shopify.parse("refunds/create", sample(samples, "api_refund.json"))
        event = only(result, Refund)
        assert (event.external_id, event.order_id) == ("509562969", "450789469")
        assert event.amount == usd("209.00")
        assert [(line.sku, line.subtotal, line.tax, line.restock) for line in event.lines] == [
            ("IPOD2008BLACK", usd("199.00"), usd("3.98"), True),
            ("IPOD2008GREEN", usd("199.00"), usd("3.98"), True),
        ]
        assert event.payments[0].transaction_id == "179259969"
        # Lines and tax come to 405.96 but 209.00 went back: shown, not hidden.
        assert "405.96" in result.notices[0].message

    def test_a_restocking_fee_is_money_kept_back(self) -> None:
        result = shopify.parse(
            "refunds/create", fixture_bytes("shopify_refund_restocking_fee.json")
        )
        event = only(result, Refund)
        assert event.amount == usd("82.65")
        assert event.restocking_fee == usd("15.00")
        assert event.adjustment is None
        (line,) = event.lines
        assert (line.subtotal, line.tax, line.restock) == (usd("90.00"), usd("7.65"), True)
        assert len(event.payments) == 1  # the failed transaction is not money
        assert result.notices == ()  # 90.00 + 7.65 − 15.00 = 82.65

    def test_shipping_and_goodwill_come_from_order_adjustments(self) -> None:
        result = shopify.parse(
            "refunds/create", fixture_bytes("shopify_refund_shipping_goodwill.json")
        )
        event = only(result, Refund)
        assert (event.shipping, event.shipping_tax, event.adjustment) == (
            usd("9.00"),
            usd("0.54"),
            usd("5.00"),
        )
        assert [(p.kind, p.amount) for p in event.payments] == [
            (PaymentKind.CARD, usd("10.00")),
            (PaymentKind.GIFT_CARD, usd("4.54")),
        ]
        assert result.notices == ()

    def test_refund_shipping_lines_replace_shipping_adjustments(self) -> None:
        data = fixture_json("shopify_refund_shipping_goodwill.json")
        data["refund"]["refund_shipping_lines"] = [
            {
                "subtotal_amount_set": {"shop_money": {"amount": "9.00", "currency_code": "USD"}},
                "tax_amount_set": {"shop_money": {"amount": "0.54", "currency_code": "USD"}},
            }
        ]
        event = only(shopify.parse("refunds/create", body(data)), Refund)
        assert (event.shipping, event.shipping_tax) == (usd("9.00"), usd("0.54"))

    def test_a_partly_refunded_legacy_line_is_prorated_with_a_notice(self, samples: Path) -> None:
        data = json.loads(sample(samples, "api_refund.json"))
        item = data["refund"]["refund_line_items"][0]
        item["line_item"] |= {
            "quantity": 3,
            "tax_lines": [{"title": "State Tax", "price": "10.00"}],
        }
        result = shopify.parse("refunds/create", body(data))
        event = only(result, Refund)
        assert (event.lines[0].subtotal, event.lines[0].tax) == (usd("199.00"), usd("3.33"))
        assert any("prorated" in n.message for n in result.notices)

    def test_taxes_included_comes_from_the_caller(self) -> None:
        event = only(
            shopify.parse(
                "refunds/create",
                fixture_bytes("shopify_refund_restocking_fee.json"),
                extra={"taxes_included": True},
            ),
            Refund,
        )
        assert event.taxes_included is True

    def test_a_refund_that_moved_no_money_posts_nothing(self, samples: Path) -> None:
        data = json.loads(sample(samples, "api_refund.json"))
        data["refund"]["transactions"] = []
        with pytest.raises(PayloadInvalid) as caught:  # and with no transactions, no currency
            shopify.parse("refunds/create", body(data))
        assert caught.value.field == "refund.transactions"
        result = shopify.parse("refunds/create", body(data), extra={"currency": "USD"})
        assert result.events == ()
        assert "no money" in result.notices[0].message

    def test_a_refund_calculation_is_not_a_refund(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("refunds/create", sample(samples, "api_refund_calculate.json"))
        assert caught.value.field == "refund.id"


class TestParsePayout:
    def test_fees_are_the_sum_of_the_summary_fee_amounts(self, samples: Path) -> None:
        result = shopify.parse(
            "shopify_payments/payout", sample(samples, "api_shopify_payments_payout.json")
        )
        event = only(result, Payout)
        summary = json.loads(sample(samples, "api_shopify_payments_payout.json"))["payout"][
            "summary"
        ]
        fee_total = sum(Decimal(v) for k, v in summary.items() if k.endswith("_fee_amount"))
        gross_total = sum(Decimal(v) for k, v in summary.items() if k.endswith("_gross_amount"))
        assert event.fees == usd(str(fee_total)) == usd("1.21")
        assert event.gross == usd(str(gross_total)) == usd("43.11")
        assert event.amount == usd("41.90") == usd("43.11") - usd("1.21")
        assert event.arrival_date.isoformat() == "2019-11-12"
        assert {c.type for c in event.components} == {"charges", "refunds", "adjustments"}
        assert result.notices == ()

    def test_payouts_not_yet_paid_are_not_posted(self, samples: Path) -> None:
        listing = json.loads(sample(samples, "api_shopify_payments_payouts.json"))["payouts"]
        posted = {
            p["status"]: shopify.parse("shopify_payments/payout", body({"payout": p})).events
            for p in listing
        }
        assert {status for status, events in posted.items() if events} == {"paid"}

    def test_fees_that_net_to_a_credit_are_flagged_not_booked_negative(self, samples: Path) -> None:
        data = json.loads(sample(samples, "api_shopify_payments_payout.json"))
        data["payout"]["summary"]["refunds_fee_amount"] = "-2.00"
        data["payout"]["amount"] = "43.67"
        result = shopify.parse("shopify_payments/payout", body(data))
        event = only(result, Payout)
        assert (event.fees_known, event.fees) == (False, usd("0"))
        assert any("credit" in n.message for n in result.notices)


class TestParseErrors:
    def test_malformed_json_names_the_body(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/create", b'{"id": 1,')
        assert (caught.value.field, caught.value.code) == ("body", "payload_invalid")

    def test_a_json_list_is_not_an_order(self) -> None:
        with pytest.raises(PayloadInvalid, match="JSON object"):
            shopify.parse("orders/create", b"[1, 2]")

    def test_nan_is_refused(self) -> None:
        with pytest.raises(PayloadInvalid):
            shopify.parse("orders/create", b'{"id": 1, "total_price": NaN}')

    def test_a_missing_line_price_names_its_path(self) -> None:
        data = fixture_json("shopify_order_edited.json")
        del data["line_items"][1]["price"]
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/paid", body(data))
        assert caught.value.field == "line_items[1].price"

    def test_inside_an_admin_api_wrapper_the_path_includes_the_wrapper(self) -> None:
        data = fixture_json("shopify_order_taxes_included.json")
        data["order"]["line_items"][0]["quantity"] = "one"
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/paid", body(data))
        assert caught.value.field == "order.line_items[0].quantity"

    def test_an_order_list_is_not_an_order(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/create", sample(samples, "api_orders.json"))
        assert caught.value.field == "id"

    @pytest.mark.parametrize("price", ["1e999999", "9" * 60, "Infinity", "twelve"])
    def test_an_amount_that_is_not_exact_money_names_its_path(self, price: str) -> None:
        data = fixture_json("shopify_order_edited.json")
        data["line_items"][0]["price"] = price
        with pytest.raises(PayloadInvalid) as caught:
            shopify.parse("orders/paid", body(data))
        assert caught.value.field == "line_items[0].price"

    def test_a_float_price_is_read_exactly(self) -> None:
        raw = fixture_bytes("shopify_order_edited.json").replace(b'"25.00"', b"25.10")
        event = only(shopify.parse("orders/paid", raw), OrderPaid)
        assert event.order.lines[0].gross == usd("50.20")

    @pytest.mark.parametrize("topic", ["products/create", "orders/fulfilled", "orders/edited"])
    def test_unsupported_topics_are_reported_as_such(self, topic: str) -> None:
        with pytest.raises(UnsupportedTopic) as caught:
            shopify.parse(topic, b"{}")
        assert caught.value.code == "unsupported_topic"

    @settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_any_field_replaced_by_any_json_gives_events_or_payload_invalid(
        self, data: st.DataObject
    ) -> None:
        name, topic = data.draw(
            st.sampled_from(
                [
                    ("shopify_order_multi_tax_discounts.json", "orders/create"),
                    ("shopify_refund_restocking_fee.json", "refunds/create"),
                    ("shopify_refund_shipping_goodwill.json", "refunds/create"),
                    ("shopify_order_gift_card_split.json", "orders/updated"),
                ]
            )
        )
        payload = fixture_json(name)
        mutate(payload, data)
        try:
            result = shopify.parse(topic, body(payload))
        except LedgerBridgeError as exc:
            assert isinstance(exc, PayloadInvalid)
            assert exc.field
        else:
            assert_amounts_positive(result.events)


def test_the_registry_returns_the_shopify_connector() -> None:
    assert connector_for("shopify").platform == "shopify"
    assert "refunds/create" in connector_for("shopify").supported_topics
