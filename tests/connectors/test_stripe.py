"""Stripe connector: Stripe-Signature with its clock, event ids, and what each event posts.

The signature vector is stripe-dotnet's (see samples/webhooks/SIGNATURES.md); event samples
come from stripe-ruby-mock, dj-stripe and Stripe's OpenAPI fixtures; JPY/KWD charges, an
itemised checkout session, several refunds and a payout's balance transactions are ours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import (
    PayloadInvalid,
    SignatureInvalid,
    TimestampOutsideTolerance,
    UnsupportedTopic,
)
from ledgerbridge.connectors.stripe import StripeConnector, signature
from ledgerbridge.connectors.stripe_money import stripe_money
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.events import (
    Adjustment,
    Dispute,
    DisputeStage,
    Fee,
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
    each,
    fixture_bytes,
    fixture_json,
    mutate,
    only,
    usd,
)

stripe = StripeConnector()
VECTOR_T = 1533204620
VECTOR_HEADER = (
    "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,"
    "v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef"
)


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def sample(samples: Path, name: str) -> bytes:
    return (samples / "webhooks" / "stripe" / name).read_bytes()


def sample_json(samples: Path, name: str) -> Any:
    return json.loads(sample(samples, name))


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def header(raw: bytes, secret: str, t: int) -> dict[str, str]:
    return {"Stripe-Signature": f"t={t},v1={signature(raw, secret, t)}"}


class TestVerify:
    def test_the_stripe_dotnet_vector_verifies(self, samples: Path) -> None:
        raw = sample(samples, "sigvector_event_test_signature.json")
        stripe.verify(
            raw, {"Stripe-Signature": VECTOR_HEADER}, "webhook_secret", now=at(VECTOR_T + 10)
        )

    def test_a_byte_appended_to_the_vector_body_fails(self, samples: Path) -> None:
        raw = sample(samples, "sigvector_event_test_signature.json") + b" "
        with pytest.raises(SignatureInvalid):
            stripe.verify(
                raw, {"stripe-signature": VECTOR_HEADER}, "webhook_secret", now=at(VECTOR_T)
            )

    def test_a_wrong_secret_fails(self, samples: Path) -> None:
        raw = sample(samples, "sigvector_event_test_signature.json")
        with pytest.raises(SignatureInvalid):
            stripe.verify(raw, {"Stripe-Signature": VECTOR_HEADER}, "whsec_other", now=at(VECTOR_T))

    def test_an_empty_secret_never_verifies(self) -> None:
        forged = hmac.new(b"", f"{VECTOR_T}.{{}}".encode(), hashlib.sha256).hexdigest()
        with pytest.raises(SignatureInvalid, match="no webhook secret"):
            stripe.verify(
                b"{}", {"Stripe-Signature": f"t={VECTOR_T},v1={forged}"}, "", now=at(VECTOR_T)
            )

    def test_a_missing_header_fails(self) -> None:
        with pytest.raises(SignatureInvalid, match="missing"):
            stripe.verify(b"{}", {}, "whsec_x", now=at(VECTOR_T))

    @pytest.mark.parametrize(
        "value", ["v1=abc", "t=notanumber,v1=abc", "t=1533204620", "t=1533204620,v0=abc", "garbage"]
    )
    def test_a_malformed_header_fails(self, value: str) -> None:
        with pytest.raises(SignatureInvalid):
            stripe.verify(b"{}", {"Stripe-Signature": value}, "whsec_x", now=at(VECTOR_T))

    def test_a_stale_timestamp_fails_after_the_signature_checks(self, samples: Path) -> None:
        raw = sample(samples, "sigvector_event_test_signature.json")
        with pytest.raises(TimestampOutsideTolerance) as caught:
            stripe.verify(
                raw, {"Stripe-Signature": VECTOR_HEADER}, "webhook_secret", now=at(VECTOR_T + 301)
            )
        assert (caught.value.code, caught.value.http_status) == ("timestamp_outside_tolerance", 401)

    def test_a_future_timestamp_fails_too(self, samples: Path) -> None:
        raw = sample(samples, "sigvector_event_test_signature.json")
        with pytest.raises(TimestampOutsideTolerance):
            stripe.verify(
                raw, {"Stripe-Signature": VECTOR_HEADER}, "webhook_secret", now=at(VECTOR_T - 301)
            )

    def test_the_edges_of_the_tolerance_are_accepted(self, samples: Path) -> None:
        raw = sample(samples, "sigvector_event_test_signature.json")
        for now in (at(VECTOR_T + 300), at(VECTOR_T - 300)):
            stripe.verify(raw, {"Stripe-Signature": VECTOR_HEADER}, "webhook_secret", now=now)

    def test_a_configured_tolerance_is_honoured(self, samples: Path) -> None:
        strict = StripeConnector(tolerance=timedelta(seconds=5))
        raw = sample(samples, "sigvector_event_test_signature.json")
        with pytest.raises(TimestampOutsideTolerance):
            strict.verify(
                raw, {"Stripe-Signature": VECTOR_HEADER}, "webhook_secret", now=at(VECTOR_T + 6)
            )

    def test_during_secret_rotation_any_v1_may_match(self) -> None:
        raw = b'{"id":"evt_1"}'
        old, new = signature(raw, "whsec_old", 1700000000), signature(raw, "whsec_new", 1700000000)
        value = {"Stripe-Signature": f"t=1700000000,v1={old},v1={new}"}
        stripe.verify(raw, value, "whsec_new", now=at(1700000000))
        stripe.verify(raw, value, "whsec_old", now=at(1700000000))

    def test_a_naive_clock_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="timezone"):
            stripe.verify(b"{}", {}, "whsec_x", now=datetime(2024, 1, 1))

    @settings(max_examples=60)
    @given(
        raw=st.binary(max_size=300),
        secret=st.text(min_size=1, max_size=40),
        t=st.integers(0, 2**32),
    )
    def test_any_body_we_sign_verifies_at_its_time(self, raw: bytes, secret: str, t: int) -> None:
        stripe.verify(raw, header(raw, secret, t), secret, now=at(t))

    @settings(max_examples=60)
    @given(raw=st.binary(min_size=1, max_size=200), data=st.data())
    def test_any_single_byte_change_fails(self, raw: bytes, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(raw) - 1))
        flip = data.draw(st.integers(1, 255))
        changed = raw[:index] + bytes([raw[index] ^ flip]) + raw[index + 1 :]
        with pytest.raises(SignatureInvalid):
            stripe.verify(changed, header(raw, "whsec_k", 1000), "whsec_k", now=at(1000))


class TestDelivery:
    def test_the_event_id_is_the_key_and_the_type_is_the_topic(self, samples: Path) -> None:
        found = stripe.delivery(sample(samples, "event_charge.refunded.json"), {})
        assert (found.topic, found.external_id, found.resource_id) == (
            "charge.refunded",
            "evt_000000000000000000000000",
            "ch_000000000000000000000000",
        )

    def test_a_body_without_an_event_id_is_payload_invalid(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            stripe.delivery(b'{"type": "charge.succeeded", "data": {"object": {}}}', {})
        assert caught.value.field == "id"

    def test_unparseable_bytes_are_payload_invalid(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            stripe.delivery(b"\xff\xfe", {})
        assert caught.value.field == "body"


class TestParseCheckoutSession:
    def test_the_sample_session_is_a_paid_order_keyed_on_its_payment_intent(
        self, samples: Path
    ) -> None:
        result = stripe.parse(
            "checkout.session.completed",
            sample(samples, "event_checkout.session.completed.payment_mode.json"),
        )
        event = only(result, OrderPaid)
        assert event.external_id == "pi_00000000000000"
        assert event.order.total == usd("250.00")
        assert event.order.payments[0].transaction_id == "pi_00000000000000"
        assert event.occurred_at == at(1326853478)  # the session has no created: the event's
        assert result.notices == ()

    def test_tax_discount_and_shipping_are_split_and_add_up(self) -> None:
        result = stripe.parse(
            "checkout.session.completed", fixture_bytes("stripe_checkout_session_itemised.json")
        )
        event = only(result, OrderPaid)
        order = event.order
        assert (order.lines[0].gross, order.lines[0].discount) == (eur("100.00"), eur("10.00"))
        assert order.shipping[0].gross == eur("5.00")
        assert [(t.title, t.amount, t.jurisdiction) for t in order.order_taxes] == [
            ("VAT", eur("7.60"), "DE")
        ]
        assert (
            order.total == eur("102.60") == eur("100.00") - eur("10.00") + eur("5.00") + eur("7.60")
        )
        assert (order.taxes_included, order.name) == (False, "order-1042")
        assert event.occurred_at == at(1709290000)
        assert result.notices == ()

    def test_inclusive_tax_is_recognised_from_the_arithmetic(self) -> None:
        data = fixture_json("stripe_checkout_session_itemised.json")
        data["data"]["object"]["amount_total"] = 9500
        event = only(stripe.parse("checkout.session.completed", body(data)), OrderPaid)
        assert event.order.taxes_included is True

    def test_an_unpaid_session_is_pending_and_its_async_success_is_paid(self) -> None:
        data = fixture_json("stripe_checkout_session_itemised.json")
        data["data"]["object"]["payment_status"] = "unpaid"
        pending = only(stripe.parse("checkout.session.completed", body(data)), OrderPending)
        data["data"]["object"]["payment_status"] = "paid"
        data["type"] = "checkout.session.async_payment_succeeded"
        paid = only(stripe.parse("checkout.session.async_payment_succeeded", body(data)), OrderPaid)
        assert paid.external_id == pending.external_id

    @pytest.mark.parametrize(
        ("mode", "status"), [("subscription", "paid"), ("payment", "no_payment_required")]
    )
    def test_sessions_that_move_no_money_of_their_own_post_nothing(
        self, mode: str, status: str
    ) -> None:
        data = fixture_json("stripe_checkout_session_itemised.json")
        data["data"]["object"] |= {"mode": mode, "payment_status": status}
        result = stripe.parse("checkout.session.completed", body(data))
        assert result.events == ()
        assert result.notices

    def test_figures_that_do_not_add_up_are_reported(self) -> None:
        data = fixture_json("stripe_checkout_session_itemised.json")
        data["data"]["object"]["amount_total"] = 10261
        assert (
            "do not give"
            in stripe.parse("checkout.session.completed", body(data)).notices[0].message
        )


class TestParseCharge:
    def test_the_sample_charge_is_a_sale_keyed_on_its_payment_intent(self, samples: Path) -> None:
        event = only(
            stripe.parse("charge.succeeded", sample(samples, "event_charge.succeeded.json")),
            OrderPaid,
        )
        assert event.external_id == "pi_000000000000000000000000"
        assert event.order.total == usd("20.00")
        (payment,) = event.order.payments
        assert (payment.gateway, payment.kind, payment.transaction_id) == (
            "stripe",
            PaymentKind.CARD,
            "ch_000000000000000000000000",
        )
        assert event.occurred_at == at(1648320032)

    def test_a_session_and_its_charge_share_one_key_so_nothing_posts_twice(self) -> None:
        charge = fixture_json("stripe_charge_jpy.json")
        charge["data"]["object"]["payment_intent"] = "pi_3OaBcD"
        from_charge, _fee = stripe.parse("charge.succeeded", body(charge)).events
        from_session = only(
            stripe.parse(
                "checkout.session.completed", fixture_bytes("stripe_checkout_session_itemised.json")
            ),
            OrderPaid,
        )
        assert from_charge.external_id == from_session.external_id == "pi_3OaBcD"

    def test_with_charges_off_the_fee_stripe_kept_is_still_booked(self) -> None:
        charge = body(fixture_json("stripe_charge_jpy.json"))
        events = stripe.parse("charge.succeeded", charge, extra={"post_charges": False}).events
        assert [type(e) for e in events] == [Fee]

    def test_fees_can_be_left_to_the_payout_so_they_are_not_booked_twice(self) -> None:
        charge = body(fixture_json("stripe_charge_jpy.json"))
        events = stripe.parse("charge.succeeded", charge, extra={"post_charge_fees": False}).events
        assert [type(e) for e in events] == [OrderPaid]

    def test_charges_can_be_switched_off_for_checkout_connections(self, samples: Path) -> None:
        result = stripe.parse(
            "charge.succeeded",
            sample(samples, "event_charge.succeeded.json"),
            extra={"post_charges": False},
        )
        assert result.events == ()
        assert "post_charges" in result.notices[0].message

    def test_a_charge_without_a_payment_intent_is_keyed_on_itself(self, samples: Path) -> None:
        event = only(
            stripe.parse("charge.captured", sample(samples, "event_charge.captured.json")),
            OrderPaid,
        )
        assert event.external_id == "ch_000000000000000000000000"
        assert event.order.total == usd("1.00")

    def test_a_charge_that_did_not_succeed_posts_nothing(self, samples: Path) -> None:
        data = sample_json(samples, "event_charge.succeeded.json")
        data["data"]["object"]["status"] = "pending"
        result = stripe.parse("charge.succeeded", body(data))
        assert result.events == ()
        assert "is pending" in result.notices[0].message

    def test_an_uncaptured_authorisation_waits_for_capture(self, samples: Path) -> None:
        result = stripe.parse("charge.succeeded", sample(samples, "fixture_charge.json"))
        assert result.events == ()
        assert "charge.captured" in result.notices[0].message

    def test_an_old_charge_without_amount_captured_uses_its_amount(self, samples: Path) -> None:
        event = only(
            stripe.parse("charge.succeeded", sample(samples, "djstripe_charge.json")), OrderPaid
        )
        assert event.order.total == usd("20.00")

    def test_a_partial_capture_posts_what_was_captured(self, samples: Path) -> None:
        data = sample_json(samples, "event_charge.succeeded.json")
        data["data"]["object"]["amount_captured"] = 1500
        event = only(stripe.parse("charge.succeeded", body(data)), OrderPaid)
        assert event.order.total == usd("15.00")

    def test_jpy_is_zero_decimal_and_an_expanded_balance_transaction_gives_the_fee(self) -> None:
        paid, fee = stripe.parse("charge.succeeded", fixture_bytes("stripe_charge_jpy.json")).events
        assert isinstance(paid, OrderPaid)
        assert paid.order.total == Money.of(500, "JPY")
        assert paid.order.name == "JP-77"
        assert isinstance(fee, Fee)
        assert (fee.external_id, fee.amount, fee.related_id) == (
            "txn_3JpyFee",
            Money.of(18, "JPY"),
            "ch_3JpyCharge",
        )

    def test_kwd_has_three_decimals(self) -> None:
        result = stripe.parse("charge.succeeded", fixture_bytes("stripe_charge_kwd.json"))
        event = only(result, OrderPaid)
        assert event.order.total == Money.of("5.120", "KWD")
        assert event.external_id == "ch_3KwdCharge"

    def test_a_fee_can_come_from_the_caller(self) -> None:
        txn = {"id": "txn_k", "currency": "kwd", "fee": 150, "created": 1720000150}
        _, fee = stripe.parse(
            "charge.succeeded",
            fixture_bytes("stripe_charge_kwd.json"),
            extra={"balance_transaction": txn},
        ).events
        assert isinstance(fee, Fee)
        assert fee.amount == Money.of("0.150", "KWD")

    def test_a_bare_api_charge_parses_like_its_event(self, samples: Path) -> None:
        event_body = sample_json(samples, "event_charge.succeeded.json")
        bare = body(event_body["data"]["object"])
        assert stripe.parse("charge.succeeded", bare) == stripe.parse(
            "charge.succeeded", sample(samples, "event_charge.succeeded.json")
        )


class TestStripeAmounts:
    @pytest.mark.parametrize(
        ("minor", "currency", "expected"),
        [
            (1000, "USD", "10.00"),
            (500, "JPY", "500"),
            (500, "KRW", "500"),
            (500, "MGA", "500.00"),
            (500, "ISK", "5"),
            (5124, "KWD", "5.124"),
            (5120, "BHD", "5.120"),
            (-250, "EUR", "-2.50"),
        ],
    )
    def test_minor_units_follow_stripes_table(
        self, minor: int, currency: str, expected: str
    ) -> None:
        assert stripe_money(minor, currency, "amount", signed=True) == Money.of(expected, currency)

    def test_a_fractional_krona_cannot_be_booked(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            stripe_money(4010, "ISK", "data.object.amount")
        assert caught.value.field == "data.object.amount"

    def test_a_decimal_string_amount_is_refused(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:  # dj-stripe stores "10.00"; Stripe never
            stripe.parse("payout.paid", sample(samples, "djstripe_payout_bank_account.json"))
        assert caught.value.field == "amount"


class TestParseChargeRefunded:
    def test_the_sample_posts_one_refund_keyed_on_the_refund_id(self, samples: Path) -> None:
        event = only(
            stripe.parse("charge.refunded", sample(samples, "event_charge.refunded.json")), Refund
        )
        assert (event.external_id, event.order_id, event.amount) == (
            "re_000000000000000000000000",
            "ch_000000000000000000000000",
            usd("1.00"),
        )
        assert event.occurred_at == at(1648319949)

    def test_every_listed_refund_posts_once_and_failed_ones_do_not(self) -> None:
        result = stripe.parse(
            "charge.refunded", fixture_bytes("stripe_charge_refunded_several.json")
        )
        refunds = each(result, Refund)
        assert [(e.external_id, e.amount, e.reason) for e in refunds] == [
            ("re_3Second", usd("10.00"), "requested_by_customer"),
            ("re_3First", usd("20.00"), "duplicate"),
        ]
        total = sum((e.amount for e in refunds), usd("0"))
        assert total == usd("30.00")  # = amount_refunded 3000
        assert all(e.order_id == "pi_3Several" for e in refunds)
        assert "re_3Failed" in result.notices[0].message

    def test_refunds_already_listed_before_this_event_are_not_posted_again(self) -> None:
        data = fixture_json("stripe_charge_refunded_several.json")
        data["data"]["previous_attributes"]["refunds"] = {
            "data": [{"id": "re_3First", "object": "refund", "amount": 2000}]
        }
        result = stripe.parse("charge.refunded", body(data))
        assert [e.external_id for e in each(result, Refund)] == ["re_3Second"]

    def test_a_truncated_refund_list_is_noted(self) -> None:
        data = fixture_json("stripe_charge_refunded_several.json")
        data["data"]["object"]["refunds"]["has_more"] = True
        result = stripe.parse("charge.refunded", body(data))
        assert any("newest refunds" in n.message for n in result.notices)

    def test_without_a_refund_list_the_increase_is_posted(self, samples: Path) -> None:
        data = sample_json(samples, "event_charge.refunded.json")
        del data["data"]["object"]["refunds"]
        event = only(stripe.parse("charge.refunded", body(data)), Refund)
        assert (event.external_id, event.amount) == (
            "ch_000000000000000000000000:refunded:100",
            usd("1.00"),
        )

    def test_the_increase_is_the_difference_from_the_previous_total(self) -> None:
        data = fixture_json("stripe_charge_refunded_several.json")
        del data["data"]["object"]["refunds"]
        event = only(stripe.parse("charge.refunded", body(data)), Refund)
        assert (event.external_id, event.amount) == ("ch_3Several:refunded:3000", usd("10.00"))


class TestParseDispute:
    def test_an_inquiry_without_withdrawn_funds_posts_nothing(self, samples: Path) -> None:
        result = stripe.parse(
            "charge.dispute.created", sample(samples, "event_charge.dispute.created.json")
        )
        assert result.events == ()
        assert "funds_withdrawn" in result.notices[0].message

    def test_funds_withdrawn_opens_the_dispute_with_its_fee(self, samples: Path) -> None:
        event = only(
            stripe.parse(
                "charge.dispute.funds_withdrawn",
                sample(samples, "event_charge.dispute.funds_withdrawn.json"),
            ),
            Dispute,
        )
        assert (event.stage, event.amount, event.fee) == (
            DisputeStage.OPENED,
            usd("250.00"),
            usd("15.00"),
        )
        assert event.external_id == "ch_00000000000000:dispute:opened"

    def test_created_with_funds_withdrawn_has_the_same_key_as_funds_withdrawn(
        self, samples: Path
    ) -> None:
        data = sample_json(samples, "event_charge.dispute.funds_withdrawn.json")
        data["type"] = "charge.dispute.created"
        created = only(stripe.parse("charge.dispute.created", body(data)), Dispute)
        withdrawn = only(
            stripe.parse(
                "charge.dispute.funds_withdrawn",
                sample(samples, "event_charge.dispute.funds_withdrawn.json"),
            ),
            Dispute,
        )
        assert created.external_id == withdrawn.external_id

    def test_funds_reinstated_wins_the_dispute(self, samples: Path) -> None:
        event = only(
            stripe.parse(
                "charge.dispute.funds_reinstated",
                sample(samples, "event_charge.dispute.funds_reinstated.json"),
            ),
            Dispute,
        )
        assert (event.stage, event.amount) == (DisputeStage.WON, usd("250.00"))

    def test_a_refunded_dispute_fee_is_an_adjustment_credit(self, samples: Path) -> None:
        won, credit = stripe.parse(
            "charge.dispute.funds_reinstated",
            sample(samples, "djstripe_dispute_funds_reinstated.json"),
        ).events
        assert isinstance(won, Dispute)
        assert (won.stage, won.order_id, won.dispute_id) == (
            DisputeStage.WON,
            "pi_1JAyTwJSZQVUcJYgBbsz0NuH",
            "dp_1JAyTwJSZQVUcJYgPqasUEn1",
        )
        assert isinstance(credit, Adjustment)
        assert (credit.amount, credit.direction) == (usd("15.00"), "credit")

    def test_closed_as_won_shares_the_won_key_even_without_a_dispute_id(
        self, samples: Path
    ) -> None:
        result = stripe.parse(
            "charge.dispute.closed", sample(samples, "event_charge.dispute.closed.json")
        )
        event = only(result, Dispute)
        assert (event.stage, event.amount, event.external_id) == (
            DisputeStage.WON,
            usd("10.00"),
            "ch_00000000000000:dispute:won",
        )
        assert "no id" in result.notices[0].message

    def test_closed_as_lost_is_lost_and_other_closures_post_nothing(self, samples: Path) -> None:
        data = sample_json(samples, "event_charge.dispute.closed.json")
        data["data"]["object"]["status"] = "lost"
        lost = only(stripe.parse("charge.dispute.closed", body(data)), Dispute)
        assert lost.stage is DisputeStage.LOST
        data["data"]["object"]["status"] = "warning_closed"
        assert stripe.parse("charge.dispute.closed", body(data)).events == ()


class TestParsePayout:
    def test_without_balance_transactions_fees_are_unknown_and_said_so(self, samples: Path) -> None:
        result = stripe.parse("payout.paid", sample(samples, "event_payout.paid.json"))
        event = only(result, Payout)
        assert (event.amount, event.arrival_date, event.fees_known) == (
            usd("11.00"),
            date(2022, 3, 28),
            False,
        )
        assert "charge events" in result.notices[0].message

    def test_balance_transactions_give_components_and_exact_fees(self, samples: Path) -> None:
        txns = fixture_json("stripe_payout_balance_transactions.json")
        result = stripe.parse(
            "payout.paid",
            sample(samples, "event_payout.paid.json"),
            extra={"balance_transactions": txns},
        )
        event = only(result, Payout)
        assert (event.fees, event.gross, event.fees_known) == (usd("1.33"), usd("12.33"), True)
        assert event.gross is not None
        assert event.gross - event.fees == event.amount
        assert [(c.type, c.amount, c.fee, c.source_id) for c in event.components] == [
            ("charge", usd("20.00"), usd("0.88"), "ch_1A"),
            ("charge", usd("5.00"), usd("0.45"), "ch_1B"),
            ("refund", usd("-12.67"), usd("0.00"), "re_1A"),
        ]
        assert result.notices == ()

    def test_balance_transactions_that_miss_the_amount_are_reported(self, samples: Path) -> None:
        txns = fixture_json("stripe_payout_balance_transactions.json")[1:]
        result = stripe.parse(
            "payout.paid",
            sample(samples, "event_payout.paid.json"),
            extra={"balance_transactions": txns},
        )
        assert "≠" in result.notices[0].message

    def test_a_balance_transaction_in_another_currency_names_its_path(self, samples: Path) -> None:
        txns = fixture_json("stripe_payout_balance_transactions.json")
        txns[1]["currency"] = "eur"
        with pytest.raises(PayloadInvalid) as caught:
            stripe.parse(
                "payout.paid",
                sample(samples, "event_payout.paid.json"),
                extra={"balance_transactions": txns},
            )
        assert caught.value.field == "extra.balance_transactions[1].currency"

    def test_an_in_transit_payout_from_the_api_is_not_posted_yet(self, samples: Path) -> None:
        result = stripe.parse("payout.paid", sample(samples, "fixture_payout.json"))
        assert result.events == ()
        assert "in_transit" in result.notices[0].message


class TestParseErrors:
    @pytest.mark.parametrize(
        "topic",
        ["charge.failed", "payment_intent.succeeded", "balance.available", "customer.created"],
    )
    def test_unsupported_event_types_are_reported(self, topic: str) -> None:
        with pytest.raises(UnsupportedTopic):
            stripe.parse(topic, b"{}")

    def test_an_event_of_another_type_is_refused(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            stripe.parse("charge.succeeded", sample(samples, "event_charge.refunded.json"))
        assert caught.value.field == "type"

    def test_an_object_of_another_kind_is_refused(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            stripe.parse("payout.paid", sample(samples, "fixture_charge.json"))
        assert caught.value.field == "object"

    def test_a_missing_amount_names_its_path(self, samples: Path) -> None:
        data = sample_json(samples, "event_charge.succeeded.json")
        del data["data"]["object"]["amount"]
        data["data"]["object"]["amount_captured"] = 0
        with pytest.raises(PayloadInvalid) as caught:
            stripe.parse("charge.succeeded", body(data))
        assert caught.value.field == "data.object.amount"

    def test_an_unknown_currency_names_its_path(self) -> None:
        data = fixture_json("stripe_charge_kwd.json")
        data["data"]["object"]["currency"] = "xyz"
        with pytest.raises(PayloadInvalid) as caught:
            stripe.parse("charge.succeeded", body(data))
        assert caught.value.field == "data.object.currency"

    @settings(max_examples=150)
    @given(data=st.data())
    def test_any_field_replaced_by_any_json_gives_events_or_payload_invalid(
        self, data: st.DataObject
    ) -> None:
        name, topic = data.draw(
            st.sampled_from(
                [
                    ("stripe_checkout_session_itemised.json", "checkout.session.completed"),
                    ("stripe_charge_jpy.json", "charge.succeeded"),
                    ("stripe_charge_refunded_several.json", "charge.refunded"),
                ]
            )
        )
        payload = fixture_json(name)
        mutate(payload, data)
        try:
            result = stripe.parse(topic, body(payload))
        except LedgerBridgeError as exc:
            assert isinstance(exc, PayloadInvalid)
        else:
            assert_amounts_positive(result.events)


def test_every_supported_stripe_sample_gives_positive_amounts(samples: Path) -> None:
    cases = {
        "event_checkout.session.completed.payment_mode.json": "checkout.session.completed",
        "event_charge.succeeded.json": "charge.succeeded",
        "event_charge.captured.json": "charge.captured",
        "event_charge.refunded.json": "charge.refunded",
        "event_charge.dispute.funds_withdrawn.json": "charge.dispute.funds_withdrawn",
        "event_charge.dispute.funds_reinstated.json": "charge.dispute.funds_reinstated",
        "event_charge.dispute.closed.json": "charge.dispute.closed",
        "event_payout.paid.json": "payout.paid",
        "djstripe_charge.json": "charge.succeeded",
        "djstripe_dispute_funds_reinstated.json": "charge.dispute.funds_reinstated",
    }
    for name, topic in cases.items():
        events = stripe.parse(topic, sample(samples, name)).events
        assert events, name
        assert_amounts_positive(events)
    assert connector_for("stripe").supported_topics == stripe.supported_topics
