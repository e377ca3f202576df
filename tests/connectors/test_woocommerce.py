"""WooCommerce connector: signatures (and the unsigned ping), content dedupe keys, statuses.

Samples are the REST API v3 documentation examples (an order webhook delivers the same JSON);
a coupon order with two tax rates and an order with unrounded per-line tax are ours.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import (
    PayloadInvalid,
    SignatureInvalid,
    UnsupportedTopic,
    hmac_sha256_base64,
)
from ledgerbridge.connectors.woocommerce import WooCommerceConnector, signature
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.events import (
    OrderCancelled,
    OrderPaid,
    OrderPending,
    PaymentKind,
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

NOW = datetime(2024, 8, 1, tzinfo=UTC)
woo = WooCommerceConnector()


def sample(samples: Path, name: str) -> bytes:
    return (samples / "webhooks" / "woocommerce" / name).read_bytes()


def order_727(samples: Path, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample(samples, "v3_order_create_response.json"))
    return data | changes


def order_723(samples: Path) -> dict[str, Any]:
    listing = json.loads(sample(samples, "v3_orders_list_response.json"))
    found: dict[str, Any] = next(o for o in listing if o["id"] == 723)
    return found


class TestVerify:
    def test_the_core_suite_vector_matches_our_hmac_but_its_empty_secret_is_refused(
        self,
    ) -> None:
        vector = "GBDo00G55h6IiV+6CxqivQPLbI//KzaOZm747971tPs="
        assert hmac_sha256_base64(b"", b"secret") == vector
        with pytest.raises(SignatureInvalid, match="no webhook secret"):
            woo.verify(b"secret", {"X-WC-Webhook-Signature": vector}, "", now=NOW)

    def test_a_signed_order_verifies_with_the_header_in_any_case(self, samples: Path) -> None:
        raw = sample(samples, "v3_order_create_response.json")
        woo.verify(raw, {"x-wc-webhook-signature": signature(raw, "s3cret")}, "s3cret", now=NOW)
        woo.verify(raw, {"X-WC-WEBHOOK-SIGNATURE": signature(raw, "s3cret")}, "s3cret", now=NOW)

    def test_a_tampered_body_or_wrong_secret_fails(self, samples: Path) -> None:
        raw = sample(samples, "v3_order_create_response.json")
        good = {"X-WC-Webhook-Signature": signature(raw, "s3cret")}
        with pytest.raises(SignatureInvalid):
            woo.verify(raw.replace(b"29.35", b"19.35"), good, "s3cret", now=NOW)
        with pytest.raises(SignatureInvalid):
            woo.verify(raw, good, "other", now=NOW)

    def test_a_missing_header_fails(self, samples: Path) -> None:
        with pytest.raises(SignatureInvalid, match="missing"):
            woo.verify(sample(samples, "v3_order_create_response.json"), {}, "s3cret", now=NOW)

    def test_a_secret_saved_with_html_entities_signs_as_wordpress_decodes_it(self) -> None:
        raw = b'{"id": 1}'
        header = {"X-WC-Webhook-Signature": signature(raw, "a&b<c>\"d'")}
        woo.verify(raw, header, "a&amp;b&lt;c&gt;&quot;d&#039;", now=NOW)

    def test_the_bare_ping_is_accepted_unsigned(self) -> None:
        woo.verify(b"webhook_id=142", {}, "s3cret", now=NOW)

    @pytest.mark.parametrize(
        "raw", [b"webhook_id=142&x=1", b"webhook_id=", b"webhook_id=1a", b'{"webhook_id": 142}']
    )
    def test_anything_else_unsigned_is_refused(self, raw: bytes) -> None:
        with pytest.raises(SignatureInvalid):
            woo.verify(raw, {}, "s3cret", now=NOW)

    @settings(max_examples=60)
    @given(raw=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40))
    def test_any_body_we_sign_verifies(self, raw: bytes, secret: str) -> None:
        woo.verify(raw, {"X-WC-Webhook-Signature": signature(raw, secret)}, secret, now=NOW)

    @settings(max_examples=60)
    @given(raw=st.binary(min_size=1, max_size=200), data=st.data())
    def test_any_single_byte_change_fails(self, raw: bytes, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(raw) - 1))
        flip = data.draw(st.integers(1, 255))
        changed = raw[:index] + bytes([raw[index] ^ flip]) + raw[index + 1 :]
        header = {"X-WC-Webhook-Signature": signature(raw, "k")}
        with pytest.raises(SignatureInvalid):
            woo.verify(changed, header, "k", now=NOW)


class TestDelivery:
    def test_the_key_is_resource_id_modification_time_and_status(self, samples: Path) -> None:
        found = woo.delivery(
            sample(samples, "v3_order_create_response.json"),
            {"X-WC-Webhook-Topic": "order.created"},
        )
        assert (found.topic, found.resource_id) == ("order.created", "727")
        assert found.external_id == "order:727:2017-03-22T19:28:08:processing"

    def test_a_redelivered_unchanged_order_is_a_duplicate_even_under_another_topic(
        self, samples: Path
    ) -> None:
        raw = sample(samples, "v3_order_create_response.json")
        created = woo.delivery(
            raw, {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "1"}
        )
        updated = woo.delivery(
            raw, {"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": "2"}
        )
        assert created.external_id == updated.external_id

    def test_a_changed_order_is_a_new_delivery(self, samples: Path) -> None:
        first = woo.delivery(
            sample(samples, "v3_order_create_response.json"),
            {"X-WC-Webhook-Topic": "order.updated"},
        )
        later = woo.delivery(
            sample(samples, "v3_order_update_response.json"),
            {"X-WC-Webhook-Topic": "order.updated"},
        )
        assert first.external_id != later.external_id
        assert later.external_id.endswith(":completed")

    def test_the_ping_is_its_own_topic(self) -> None:
        found = woo.delivery(b"webhook_id=142", {})
        assert (found.topic, found.external_id, found.resource_id) == ("ping", "ping:142", "142")

    def test_a_deleted_order_body_without_dates_is_keyed_on_the_topic(self) -> None:
        found = woo.delivery(b'{"id": 727}', {"X-WC-Webhook-Topic": "order.deleted"})
        assert found.external_id == "order.deleted:727"

    def test_a_missing_topic_or_bad_body_is_payload_invalid(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            woo.delivery(sample(samples, "v3_order_create_response.json"), {})
        assert caught.value.field == "X-WC-Webhook-Topic"
        with pytest.raises(PayloadInvalid) as caught:
            woo.delivery(b"<html>", {"X-WC-Webhook-Topic": "order.created"})
        assert caught.value.field == "body"


class TestParseOrder:
    def test_a_processing_bank_transfer_order_is_paid_with_exact_figures(
        self, samples: Path
    ) -> None:
        raw = json.loads(sample(samples, "v3_order_create_response.json"))
        result = woo.parse("order.created", sample(samples, "v3_order_create_response.json"))
        event = only(result, OrderPaid)
        order = event.order
        assert (event.external_id, order.currency, order.total) == ("727", "USD", usd("29.35"))
        assert event.occurred_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
        assert [(line.title, line.quantity, line.gross, line.discount) for line in order.lines] == [
            ("Woo Single #1", 2, usd("6.00"), usd("0.00")),
            ("Ship Your Idea – Color: Black, Size: M Test", 1, usd("12.00"), usd("0.00")),
        ]
        assert [t.amount for line in order.lines for t in line.taxes] == [usd("0.45"), usd("0.90")]
        assert order.shipping[0].gross == usd("10.00")
        (payment,) = order.payments
        assert (payment.gateway, payment.kind) == ("bacs", PaymentKind.MANUAL)
        lines = sum((line.gross - line.discount for line in order.lines), usd("0"))
        assert lines + order.shipping[0].gross + usd(raw["total_tax"]) == order.total
        assert result.notices == ()

    def test_a_completed_order_is_paid_when_its_payment_was_recorded(self, samples: Path) -> None:
        event = only(
            woo.parse("order.updated", sample(samples, "v3_order_update_response.json")), OrderPaid
        )
        assert event.occurred_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)  # date_paid_gmt

    @pytest.mark.parametrize("status", ["pending", "on-hold"])
    def test_unpaid_statuses_are_pending(self, samples: Path, status: str) -> None:
        data = order_727(samples, status=status)
        event = only(woo.parse("order.updated", body(data)), OrderPending)
        assert event.occurred_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)

    @pytest.mark.parametrize("status", ["failed", "checkout-draft"])
    def test_failed_orders_post_nothing(self, samples: Path, status: str) -> None:
        result = woo.parse("order.updated", body(order_727(samples, status=status)))
        assert result.events == ()
        assert status in result.notices[0].message

    def test_an_unpaid_cancelled_order_is_cancelled(self, samples: Path) -> None:
        data = order_727(samples, status="cancelled", date_paid=None, date_paid_gmt=None)
        event = only(woo.parse("order.updated", body(data)), OrderCancelled)
        assert event.order_id == "727"

    def test_a_paid_cancelled_order_is_not_reversed(self, samples: Path) -> None:
        result = woo.parse("order.updated", body(order_727(samples, status="cancelled")))
        assert result.events == ()
        assert "refunds" in result.notices[-1].message

    def test_an_unknown_status_names_the_field(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.updated", body(order_727(samples, status="lost-in-post")))
        assert caught.value.field == "status"

    def test_coupons_two_tax_rates_shipping_tax_and_a_fee_add_up(self) -> None:
        result = woo.parse(
            "order.created", fixture_bytes("woocommerce_order_coupon_two_rates.json")
        )
        event = only(result, OrderPaid)
        order = event.order
        hoodie, cap, wrap = order.lines
        assert hoodie.title == "Hoodie – Grey"
        assert (hoodie.gross, hoodie.discount) == (usd("50.00"), usd("5.00"))
        assert [(t.title, t.amount, t.jurisdiction) for t in cap.taxes] == [
            ("State", usd("1.62"), "US-WA-STATE-1"),
            ("County", usd("0.27"), "US-WA-KING-2"),
        ]
        assert (wrap.title, wrap.gross) == ("Gift wrap", usd("3.00"))
        assert order.shipping[0].taxes[0].amount == usd("0.48")
        assert [(t.title, t.amount) for t in order.order_taxes] == [
            ("State", usd("4.80")),
            ("County", usd("0.72")),
        ]
        assert (order.payments[0].kind, order.payments[0].transaction_id) == (
            PaymentKind.CARD,
            "ch_3WooCard",
        )
        assert (order.customer, order.taxes_included) == ("42", False)
        assert result.notices == ()  # 45 + 27 + 3 + 8 + 5.52 = 88.52

    def test_a_negative_fee_is_a_discount_line(self) -> None:
        data = fixture_json("woocommerce_order_coupon_two_rates.json")
        data["fee_lines"][0]["total"] = "-3.00"
        data["total"] = "82.52"
        result = woo.parse("order.created", body(data))
        wrap = only(result, OrderPaid).order.lines[2]
        assert (wrap.gross, wrap.discount) == (usd("0.00"), usd("3.00"))
        assert result.notices == ()

    def test_unrounded_line_tax_falls_back_to_order_level_tax(self) -> None:
        result = woo.parse("order.updated", fixture_bytes("woocommerce_order_unrounded_tax.json"))
        event = only(result, OrderPaid)
        assert event.order.lines[0].taxes == ()
        assert event.order.order_taxes[0].amount == Money.of("1.20", "EUR")
        assert "unrounded" in result.notices[0].message

    def test_a_per_rate_tax_that_is_not_a_number_names_its_path(self) -> None:
        data = fixture_json("woocommerce_order_coupon_two_rates.json")
        data["line_items"][1]["taxes"][0]["total"] = "n/a"
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.created", body(data))
        assert caught.value.field == "line_items[1].taxes[0].total"

    def test_an_exact_amount_with_extra_zeros_is_accepted_and_an_inexact_one_is_not(
        self, samples: Path
    ) -> None:
        event = only(
            woo.parse("order.updated", body(order_727(samples, total="29.350"))), OrderPaid
        )
        assert event.order.total == usd("29.35")
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.updated", body(order_727(samples, total="29.355")))
        assert caught.value.field == "total"

    def test_a_line_total_above_its_subtotal_is_refused(self, samples: Path) -> None:
        data = order_727(samples)
        data["line_items"][0]["total"] = "7.00"
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.updated", body(data))
        assert caught.value.field == "line_items[0].total"

    def test_the_batch_sample_orders_all_parse(self, samples: Path) -> None:
        batch = json.loads(sample(samples, "v3_orders_batch_response.json"))
        kinds = [
            type(woo.parse("order.updated", body(o)).events[0]).__name__
            for group in ("create", "update")
            for o in batch[group]
        ]
        assert kinds == ["OrderPending", "OrderPaid", "OrderPaid"]


class TestParseOrderRefunds:
    def test_refunds_listed_on_an_order_are_posted_by_their_ids(self, samples: Path) -> None:
        result = woo.parse("order.updated", body(order_723(samples)))
        paid, *rest = result.events
        assert isinstance(paid, OrderPaid)
        refunds = [r for r in rest if isinstance(r, Refund)]
        assert len(refunds) == len(rest)
        assert [(r.external_id, r.amount, r.adjustment) for r in refunds] == [
            ("726", usd("10.00"), usd("10.00")),
            ("724", usd("9.00"), usd("9.00")),
        ]
        assert all(r.order_id == "723" for r in refunds)
        assert len(result.notices) == 2

    def test_a_refunded_order_posts_its_sale_and_its_refunds(self, samples: Path) -> None:
        data = order_723(samples) | {"status": "refunded"}
        kinds = [type(e).__name__ for e in woo.parse("order.updated", body(data)).events]
        assert kinds == ["OrderPaid", "Refund", "Refund"]

    def test_fetched_refund_objects_replace_the_bare_totals(self, samples: Path) -> None:
        details = json.loads(sample(samples, "v3_order_refunds_list_response.json"))
        result = woo.parse("order.updated", body(order_723(samples)), extra={"refunds": details})
        _, first, second = result.events
        assert isinstance(first, Refund)
        assert isinstance(second, Refund)
        assert (first.external_id, first.adjustment) == ("726", usd("10.00"))
        (line,) = second.lines
        assert (second.external_id, line.title, line.quantity, line.subtotal) == (
            "724",
            "Woo Album #2",
            1,
            usd("9.00"),
        )
        assert second.adjustment is None
        assert result.notices == ()


class TestParseRefundObject:
    def test_the_sample_refund_by_amount_is_an_adjustment_paid_back_manually(
        self, samples: Path
    ) -> None:
        result = woo.parse(
            "order.refund.created",
            sample(samples, "v3_order_refund_create_response.json"),
            extra={"currency": "USD"},
        )
        event = only(result, Refund)
        assert (event.external_id, event.order_id, event.amount) == ("726", "723", usd("10.00"))
        assert event.adjustment == usd("10.00")
        assert event.occurred_at == datetime(2017, 3, 21, 20, 7, 11, tzinfo=UTC)
        assert [(p.gateway, p.kind) for p in event.payments] == [("manual", PaymentKind.MANUAL)]

    def test_a_gateway_refund_uses_the_orders_payment_method(self, samples: Path) -> None:
        data = json.loads(sample(samples, "v3_order_refund_create_response.json"))
        data["refunded_payment"] = True
        event = only(
            woo.parse(
                "order.refund.created",
                body(data),
                extra={"currency": "USD", "payment_method": "stripe"},
            ),
            Refund,
        )
        assert [(p.gateway, p.kind) for p in event.payments] == [("stripe", PaymentKind.CARD)]

    def test_negative_line_figures_become_positive_refund_lines(self, samples: Path) -> None:
        refunds = json.loads(sample(samples, "v3_order_refunds_list_response.json"))
        event = only(
            woo.parse("order.refund.created", body(refunds[1]), extra={"currency": "USD"}), Refund
        )
        (line,) = event.lines
        assert (line.quantity, line.subtotal, line.tax) == (1, usd("9.00"), usd("0.00"))
        assert event.amount == line.subtotal + line.tax

    def test_without_a_currency_the_refund_names_the_missing_field(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse(
                "order.refund.created", sample(samples, "v3_order_refund_create_response.json")
            )
        assert caught.value.field == "currency"

    def test_without_an_order_link_the_caller_must_name_the_order(self, samples: Path) -> None:
        data = json.loads(sample(samples, "v3_order_refund_create_response.json"))
        del data["_links"]
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.refund.created", body(data), extra={"currency": "USD"})
        assert caught.value.field == "_links.up"
        event = only(
            woo.parse(
                "order.refund.created", body(data), extra={"currency": "USD", "order_id": 723}
            ),
            Refund,
        )
        assert event.order_id == "723"


class TestParseIgnoredAndErrors:
    def test_the_ping_is_ignored_not_an_error(self) -> None:
        result = woo.parse("ping", b"webhook_id=142")
        assert result.events == ()
        assert "ping" in result.notices[0].message

    def test_a_deleted_order_is_ignored_with_a_notice(self) -> None:
        result = woo.parse("order.deleted", b'{"id": 727}')
        assert result.events == ()
        assert "727" in result.notices[0].message

    @pytest.mark.parametrize("topic", ["product.created", "customer.updated", "coupon.deleted"])
    def test_unsupported_topics_are_reported(self, topic: str) -> None:
        with pytest.raises(UnsupportedTopic):
            woo.parse(topic, b"{}")

    def test_a_missing_total_names_its_field(self, samples: Path) -> None:
        data = order_727(samples)
        del data["line_items"][1]["subtotal"]
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.created", body(data))
        assert caught.value.field == "line_items[1].subtotal"

    def test_a_tax_too_large_for_any_amount_names_its_field(self) -> None:
        payload = fixture_json("woocommerce_order_coupon_two_rates.json")
        payload["line_items"][0]["taxes"][0]["total"] = 1e26
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.updated", body(payload))
        assert caught.value.field == "line_items[0].taxes[0].total"

    def test_malformed_json_names_the_body(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            woo.parse("order.created", b'{"id": 727, "status": ')
        assert caught.value.field == "body"

    @settings(max_examples=150)
    @given(data=st.data())
    def test_any_field_replaced_by_any_json_gives_events_or_payload_invalid(
        self, data: st.DataObject
    ) -> None:
        payload = fixture_json("woocommerce_order_coupon_two_rates.json")
        payload["refunds"] = [{"id": 88, "reason": "", "total": "-5.00"}]
        mutate(payload, data)
        try:
            result = woo.parse("order.updated", body(payload))
        except LedgerBridgeError as exc:
            assert isinstance(exc, PayloadInvalid)
        else:
            assert_amounts_positive(result.events)


def test_the_registry_knows_woocommerce() -> None:
    assert connector_for("woocommerce").platform == "woocommerce"
