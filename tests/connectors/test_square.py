"""Square: signatures over notification URL + body, and webhook events → canonical events."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import PayloadInvalid, SignatureInvalid, UnsupportedTopic
from ledgerbridge.connectors.square import SquareConnector, signature
from ledgerbridge.connectors.square_objects import fee_source
from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import (
    Adjustment,
    Dispute,
    DisputeStage,
    Fee,
    OrderPaid,
    PaymentKind,
    Payout,
    Refund,
)
from ledgerbridge.money import Money
from tests.sync.square_server import entry, envelope, payment, payout, refund, sample_object

from .helpers import assert_amounts_positive, body, usd

NOW = dt.datetime(2024, 3, 5, tzinfo=dt.UTC)
SQUARE = SquareConnector()

# The square-python-sdk's own test vectors (tests/integration/test_webhooks_helper.py).
VECTOR_1 = (
    "Ibxx_5AKakO-3qeNVR61Dw",
    "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
    b'{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
    b'"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f",'
    b'"created_at":"2022-07-13T20:30:59.037339943Z",'
    b'"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
    "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=",
)
VECTOR_2 = (
    "signature-key",
    "https://webhook.site/webhooks",
    b'{"data":{"type":"webhooks","id":">id<"}}',
    "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
)


def check(key: str, url: str | None, raw: bytes, sig: str | None) -> None:
    headers = {} if sig is None else {"X-Square-HmacSha256-Signature": sig}
    settings_ = {} if url is None else {"notification_url": url}
    SQUARE.verify(raw, headers, key, now=NOW, settings=settings_)


def sample(samples: Path, name: str) -> bytes:
    return (samples / "webhooks/square" / name).read_bytes()


def parse(topic: str, data: Any, **extra: Any) -> tuple[list[Any], list[str]]:
    result = SQUARE.parse(topic, body(data), extra=extra)
    assert_amounts_positive(result.events)
    return list(result.events), [n.message for n in result.notices]


def only(events: list[Any], kind: type) -> Any:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, events
    return found[0]


class TestVerify:
    @pytest.mark.parametrize("vector", [VECTOR_1, VECTOR_2], ids=["sdk-vector-1", "sdk-vector-2"])
    def test_the_official_vectors_verify(self, vector: tuple[str, str, bytes, str]) -> None:
        key, url, raw, sig = vector
        assert signature(raw, key, url) == sig
        check(key, url, raw, sig)

    def test_a_pretty_printed_copy_of_the_same_json_fails(self) -> None:
        key, url, raw, sig = VECTOR_1
        pretty = json.dumps(json.loads(raw), indent=2).encode()
        with pytest.raises(SignatureInvalid):
            check(key, url, pretty, sig)

    def test_a_body_with_another_created_at_fails(self) -> None:
        key, url, raw, sig = VECTOR_1
        with pytest.raises(SignatureInvalid):
            check(key, url, raw.replace(b"20:30:59", b"20:31:00"), sig)

    def test_another_notification_url_fails(self) -> None:
        key, url, raw, sig = VECTOR_1
        with pytest.raises(SignatureInvalid, match="notification_url"):
            check(key, url + "/", raw, sig)

    def test_another_signature_key_fails(self) -> None:
        key, url, raw, sig = VECTOR_1
        with pytest.raises(SignatureInvalid):
            check(key + "x", url, raw, sig)

    def test_escaped_angle_brackets_are_another_body(self) -> None:
        key, url, raw, sig = VECTOR_2
        with pytest.raises(SignatureInvalid):
            check(key, url, raw.replace(b">id<", b"\\u003eid\\u003c"), sig)

    @pytest.mark.parametrize("url", [None, "", "   "])
    def test_without_a_notification_url_every_delivery_is_refused(self, url: str | None) -> None:
        key, _, raw, sig = VECTOR_1
        with pytest.raises(SignatureInvalid, match="notification_url setting"):
            check(key, url, raw, sig)

    def test_an_empty_signature_key_never_verifies(self) -> None:
        _, url, raw, _ = VECTOR_1
        with pytest.raises(SignatureInvalid, match="no webhook secret"):
            check("", url, raw, "anything")

    def test_a_missing_header_fails(self) -> None:
        key, url, raw, _ = VECTOR_1
        with pytest.raises(SignatureInvalid, match="missing"):
            check(key, url, raw, None)

    def test_only_the_legacy_sha1_header_is_refused_by_name(self) -> None:
        key, url, raw, _ = VECTOR_1
        with pytest.raises(SignatureInvalid, match="legacy"):
            SQUARE.verify(
                raw,
                {"X-Square-Signature": "abc="},
                key,
                now=NOW,
                settings={"notification_url": url},
            )

    @settings(max_examples=50)
    @given(raw=st.binary(max_size=300), key=st.text(min_size=1, max_size=30), data=st.data())
    def test_any_body_we_sign_verifies_and_any_changed_byte_fails(
        self, raw: bytes, key: str, data: st.DataObject
    ) -> None:
        url = "https://books.example.com/webhooks/square"
        check(key, url, raw, signature(raw, key, url))
        changed = bytearray(raw or b" ")
        if raw:
            at = data.draw(st.integers(0, len(raw) - 1))
            changed[at] ^= data.draw(st.integers(1, 255))
        with pytest.raises(SignatureInvalid):
            check(key, url, bytes(changed), signature(raw, key, url))


class TestDelivery:
    def test_the_key_is_type_and_event_id_and_the_topic_is_the_type(self, samples: Path) -> None:
        delivery = SQUARE.delivery(sample(samples, "event_payment_updated.json"), {})
        assert delivery.topic == "payment.updated"
        assert delivery.external_id == "payment.updated:6a8f5f28-54a1-4eb0-a98a-3111513fd4fc"
        assert delivery.resource_id == "hYy9pRFVxpDsO1FB05SunFWUe9JZY"

    def test_the_refund_completion_is_not_taken_for_a_redelivery_of_its_creation(
        self, samples: Path
    ) -> None:
        # Square's published examples give both the same event_id.
        created = SQUARE.delivery(sample(samples, "event_refund_created.json"), {})
        updated = SQUARE.delivery(sample(samples, "event_refund_updated.json"), {})
        assert created.external_id != updated.external_id

    def test_a_redelivery_has_the_same_key(self, samples: Path) -> None:
        raw = sample(samples, "event_payout_paid.json")
        assert SQUARE.delivery(raw, {}) == SQUARE.delivery(raw + b"\n", {})

    def test_a_body_without_an_event_id_is_payload_invalid(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            SQUARE.delivery(b'{"type": "payment.updated"}', {})
        assert caught.value.field == "event_id"

    def test_the_connector_is_registered(self) -> None:
        assert isinstance(connector_for("square"), SquareConnector)


SAMPLE_TOPICS = {
    "event_dispute_created.json": "dispute.created",
    "event_order_created.json": "order.created",
    "event_order_updated.json": "order.updated",
    "event_payment_created.json": "payment.created",
    "event_payment_updated.json": "payment.updated",
    "event_payout_paid.json": "payout.paid",
    "event_payout_sent.json": "payout.sent",
    "event_refund_created.json": "refund.created",
    "event_refund_updated.json": "refund.updated",
}


class TestSamples:
    def test_every_event_sample_parses_to_events_or_says_why_not(self, samples: Path) -> None:
        names = sorted(p.name for p in (samples / "webhooks/square").glob("event_*.json"))
        assert names == sorted(SAMPLE_TOPICS)
        for name in names:
            raw = sample(samples, name)
            topic = SQUARE.delivery(raw, {}).topic
            assert topic == SAMPLE_TOPICS[name]
            result = SQUARE.parse(topic, raw)
            assert result.events or result.notices, name
            assert_amounts_positive(result.events)

    @pytest.mark.parametrize(
        ("name", "topic", "keys"),
        [
            ("api_get_payment_response.json", "payment.updated", ("payment",)),
            ("api_list_payments_response.json", "payment.updated", ("payments", 0)),
            ("api_refund_payment_response.json", "refund.updated", ("refund",)),
            ("api_get_payout_response.json", "payout.paid", ("payout",)),
        ],
    )
    def test_every_api_object_sample_parses_bare(
        self, samples: Path, name: str, topic: str, keys: tuple[Any, ...]
    ) -> None:
        found: Any = json.loads(sample(samples, name))
        for key in keys:
            found = found[key]
        result = SQUARE.parse(topic, body(found))
        assert result.events or result.notices
        assert_amounts_positive(result.events)


class TestPayments:
    def test_an_approved_payment_waits_for_completion(self, samples: Path) -> None:
        events, notices = parse(
            "payment.created", json.loads(sample(samples, "event_payment_created.json"))
        )
        assert events == []
        assert "APPROVED" in notices[0] and "once COMPLETED" in notices[0]

    def test_a_completed_payment_is_a_sale_keyed_on_the_payment(self, samples: Path) -> None:
        events, _ = parse(
            "payment.updated", json.loads(sample(samples, "event_payment_updated.json"))
        )
        paid = only(events, OrderPaid)
        assert paid.external_id == paid.order.order_id == "hYy9pRFVxpDsO1FB05SunFWUe9JZY"
        assert paid.order.name == "03O3USaPaAaFnI6kkwB1JxGgBsUZY"  # Square's order id
        assert paid.order.total == usd("1.00")
        assert paid.order.payments[0].gateway == "square"
        assert paid.order.payments[0].kind is PaymentKind.CARD
        assert paid.occurred_at == dt.datetime(2020, 11, 22, 21, 16, 51, 86000, tzinfo=dt.UTC)

    def test_created_and_updated_of_one_payment_post_once(self, samples: Path) -> None:
        completed = payment(samples, "PAY1", 2500)
        first, _ = parse("payment.created", envelope("payment.created", completed, "e1"))
        second, _ = parse("payment.updated", envelope("payment.updated", completed, "e2"))
        key = [(e.external_id, e.kind) for e in first if isinstance(e, OrderPaid)]
        assert key == [(e.external_id, e.kind) for e in second if isinstance(e, OrderPaid)]

    def test_tip_and_fees_are_booked_from_the_payment_without_api_access(
        self, samples: Path
    ) -> None:
        p = payment(samples, "PAY1", 1000, fee=64)
        p.update(tip_money={"amount": 200, "currency": "USD"}, app_fee_money=usd_(50))
        p["total_money"] = usd_(1200)
        events, notices = parse("payment.updated", envelope("payment.updated", p, "e1"))
        paid = only(events, OrderPaid)
        assert [(line.title, line.gross) for line in paid.order.lines] == [
            ("Square sale order-PAY1", usd("10.00")),
            ("Tip", usd("2.00")),
        ]
        assert paid.order.total == paid.order.payments[0].amount == usd("12.00")
        fees = {(f.external_id, f.amount) for f in events if isinstance(f, Fee)}
        assert fees == {("PAY1:fee:0", usd("0.64")), ("PAY1:app_fee", usd("0.50"))}
        assert notices == []

    def test_with_payout_entries_the_payment_books_no_fee(self, samples: Path) -> None:
        p = payment(samples, "PAY1", 1000, fee=64)
        events, _ = parse(
            "payment.updated", envelope("payment.updated", p, "e1"), fee_source="payouts"
        )
        assert [type(e) for e in events] == [OrderPaid]

    def test_a_later_fee_adjustment_is_a_fee_of_its_own(self, samples: Path) -> None:
        p = payment(samples, "PAY1", 1000, fee=64)
        p["processing_fee"].append(
            {"amount_money": usd_(5), "effective_at": p["created_at"], "type": "ADJUSTMENT"}
        )
        events, _ = parse("payment.updated", p)
        assert [f.external_id for f in events if isinstance(f, Fee)] == ["PAY1:fee:0", "PAY1:fee:1"]

    @pytest.mark.parametrize(
        ("currency", "minor", "expected"),
        [("USD", 555, "5.55"), ("JPY", 500, "500"), ("KWD", 5120, "5.120")],
    )
    def test_minor_units_follow_the_currency_exponent(
        self, samples: Path, currency: str, minor: int, expected: str
    ) -> None:
        p = payment(samples, "PAY1", minor)
        for key in ("amount_money", "total_money"):
            p[key] = {"amount": minor, "currency": currency}
        paid = only(parse("payment.updated", p)[0], OrderPaid)
        assert paid.order.total == Money.of(expected, currency)

    def test_a_fractional_amount_is_refused_with_its_path(self, samples: Path) -> None:
        raw = body(envelope("payment.updated", payment(samples, "PAY1", 100), "e1"))
        raw = raw.replace(b'"amount_money": {"amount": 100', b'"amount_money": {"amount": 1.5')
        with pytest.raises(PayloadInvalid) as caught:
            SQUARE.parse("payment.updated", raw)
        assert caught.value.field == "data.object.payment.amount_money.amount"

    @pytest.mark.parametrize("status", ["FAILED", "CANCELED", "PENDING"])
    def test_payments_that_did_not_complete_post_nothing(self, samples: Path, status: str) -> None:
        events, notices = parse("payment.updated", payment(samples, "PAY1", 100, status=status))
        assert events == [] and status in notices[0]

    def test_cash_never_enters_the_square_balance(self, samples: Path) -> None:
        p = payment(samples, "PAY1", 1000, fee=64)
        p["source_type"] = "CASH"
        events, _ = parse("payment.updated", p)
        paid = only(events, OrderPaid)
        assert paid.order.payments[0].kind is PaymentKind.MANUAL
        assert not any(isinstance(e, Fee) for e in events)

    def test_the_bare_api_payment_parses_like_its_webhook(self, samples: Path) -> None:
        bare = sample_object(samples, "api_get_payment_response.json", "payment")
        webhook = parse("payment.updated", envelope("payment.updated", bare, "e1"))
        assert parse("payment.updated", bare) == webhook


class TestRefunds:
    def test_a_completed_refund_is_booked_on_the_payments_sale(self, samples: Path) -> None:
        events, _ = parse(
            "refund.updated", json.loads(sample(samples, "event_refund_updated.json"))
        )
        r = only(events, Refund)
        assert r.external_id.startswith("KkAkhdMsgzn59SM8A89WgKwekxLZY_")
        assert r.order_id == "KkAkhdMsgzn59SM8A89WgKwekxLZY"  # the payment, not the return order
        assert r.amount == r.adjustment == usd("10.00")
        assert r.fee_refunded == usd("0.59")

    def test_a_pending_refund_waits(self, samples: Path) -> None:
        events, notices = parse(
            "refund.created", json.loads(sample(samples, "event_refund_created.json"))
        )
        assert events == [] and "PENDING" in notices[0]

    def test_with_payout_entries_the_returned_fee_is_left_to_the_payout(
        self, samples: Path
    ) -> None:
        data = json.loads(sample(samples, "event_refund_updated.json"))
        events, _ = parse("refund.updated", data, fee_source="payouts")
        assert only(events, Refund).fee_refunded is None

    def test_the_app_developers_contribution_comes_back_with_the_fee(self, samples: Path) -> None:
        r = refund(samples, "REF1", "PAY1", 1000, fee_returned=30)
        r["app_fee_money"] = usd_(10)
        assert only(parse("refund.updated", r)[0], Refund).fee_refunded == usd("0.40")

    @pytest.mark.parametrize("status", ["REJECTED", "FAILED"])
    def test_refused_refunds_post_nothing(self, samples: Path, status: str) -> None:
        events, notices = parse("refund.updated", refund(samples, "R", "P", 100, status=status))
        assert events == [] and "nothing to post" in notices[0]


class TestPayouts:
    def test_sent_and_paid_are_one_payout(self, samples: Path) -> None:
        sent, _ = parse("payout.sent", json.loads(sample(samples, "event_payout_sent.json")))
        paid, notices = parse("payout.paid", json.loads(sample(samples, "event_payout_paid.json")))
        assert [(e.external_id, e.kind) for e in sent] == [(e.external_id, e.kind) for e in paid]
        p = only(paid, Payout)
        assert p.amount == Money.of("4.57", "EUR")
        assert p.arrival_date == dt.date(2021, 7, 13)
        assert p.fees_known is False and p.fees.is_zero()
        assert "fees come from the payments" in notices[0]

    def test_payout_entries_give_the_exact_fees(self, samples: Path) -> None:
        entries = [
            entry("poe_1", "po_1", "CHARGE", 10000, 320, "PAY1"),
            entry("poe_2", "po_1", "REFUND", -2000, -40, "REF1"),
            entry("poe_3", "po_1", "FEE", -500, 0),
        ]
        events, notices = parse(
            "payout.paid", payout(samples, "po_1", 7220), payout_entries=entries
        )
        p = only(events, Payout)
        assert p.fees == usd("7.80")  # 3.20 − 0.40 returned + 5.00 fee entry
        assert p.fees_known and p.gross == usd("80.00")
        assert [(c.type, c.amount, c.fee, c.source_id) for c in p.components] == [
            ("CHARGE", usd("100.00"), usd("3.20"), "PAY1"),
            ("REFUND", usd("-20.00"), usd("-0.40"), "REF1"),
            ("FEE", usd("-5.00"), usd("0.00"), None),
        ]
        assert notices == []

    def test_the_sample_entries_are_read_with_their_signs(self, samples: Path) -> None:
        listed = sample_object(samples, "api_list_payout_entries_response.json", "payout_entries")
        events, notices = parse("payout.paid", payout(samples, "po_1", 33), payout_entries=listed)
        assert only(events, Payout).fees == usd("0.17")  # 0.19 on the charge, 0.02 returned
        assert notices == []

    def test_entries_that_disagree_with_the_payout_are_reported(self, samples: Path) -> None:
        entries = [entry("poe_1", "po_1", "CHARGE", 10000, 320)]
        _, notices = parse("payout.paid", payout(samples, "po_1", 5000), payout_entries=entries)
        assert "net 96.80 USD, not 50.00 USD" in notices[0]

    def test_a_reserve_in_a_payout_is_an_adjustment_so_clearing_follows(
        self, samples: Path
    ) -> None:
        entries = [
            entry("poe_1", "po_1", "CHARGE", 10000, 320),
            entry("poe_2", "po_1", "RESERVE_HOLD", -1000, 0),
        ]
        events, _ = parse("payout.paid", payout(samples, "po_1", 8680), payout_entries=entries)
        hold = only(events, Adjustment)
        assert (hold.amount, hold.direction) == (usd("10.00"), "debit")
        assert only(events, Payout).fees == usd("3.20")

    def test_a_negative_payout_is_money_back_from_the_bank(self, samples: Path) -> None:
        bare = sample_object(samples, "api_get_payout_response.json", "payout")
        events, notices = parse("payout.paid", bare)
        debit = only(events, Adjustment)
        assert (debit.amount, debit.direction) == (usd("1.03"), "credit")
        assert not any(isinstance(e, Payout) for e in events)
        assert "took 1.03 USD from the bank account" in notices[0]

    def test_with_fees_from_payouts_but_no_entries_the_fees_are_not_guessed(
        self, samples: Path
    ) -> None:
        events, notices = parse("payout.paid", payout(samples, "po_1", 7220), fee_source="payouts")
        p = only(events, Payout)
        assert p.fees_known is False and p.fees.is_zero()
        assert "fees are not known" in notices[0] and "no API token" in notices[0]

    def test_with_fees_from_payments_the_entries_book_no_fee(self, samples: Path) -> None:
        entries = [entry("poe_1", "po_1", "CHARGE", 10000, 320, "PAY1")]
        events, notices = parse(
            "payout.paid",
            payout(samples, "po_1", 9680),
            payout_entries=entries,
            fee_source="payments",
        )
        p = only(events, Payout)
        assert p.fees_known is False and p.fees.is_zero()
        assert "fees come from the payments" in notices[0]

    def test_a_fee_source_other_than_payments_or_payouts_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="payments or payouts"):
            fee_source({"fee_source": "payout"}, has_token=True)
        assert fee_source({}, has_token=True) == "payouts"  # made before the setting
        assert fee_source({}, has_token=False) == "payments"
        assert fee_source({"fee_source": "payments"}, has_token=True) == "payments"

    def test_a_failed_payout_posts_nothing(self, samples: Path) -> None:
        events, notices = parse("payout.failed", payout(samples, "po_1", 100, status="FAILED"))
        assert events == [] and "FAILED" in notices[0]


class TestDisputes:
    def test_a_chargeback_opens_the_dispute_on_the_payments_sale(self, samples: Path) -> None:
        events, _ = parse(
            "dispute.created", json.loads(sample(samples, "event_dispute_created.json"))
        )
        d = only(events, Dispute)
        assert d.stage is DisputeStage.OPENED
        assert d.amount == usd("88.01")
        assert d.order_id == "fbmsaEOpoARDKxiSGH1fqPuqoqFZY"
        assert d.dispute_id == "ORSEVtZAJxb37RA1EiGw"

    @pytest.mark.parametrize(
        ("state", "stage"),
        [("WON", DisputeStage.WON), ("LOST", DisputeStage.LOST), ("ACCEPTED", DisputeStage.LOST)],
    )
    def test_the_outcome_is_its_own_stage(
        self, samples: Path, state: str, stage: DisputeStage
    ) -> None:
        data = json.loads(sample(samples, "event_dispute_created.json"))
        data["type"] = "dispute.state.updated"
        data["data"]["object"]["dispute"]["state"] = state
        d = only(parse("dispute.state.updated", data)[0], Dispute)
        assert d.stage is stage and d.external_id.endswith(f":dispute:{stage.value}")

    def test_an_inquiry_withdraws_nothing(self, samples: Path) -> None:
        data = json.loads(sample(samples, "event_dispute_created.json"))
        data["data"]["object"]["dispute"]["state"] = "INQUIRY_EVIDENCE_REQUIRED"
        events, notices = parse("dispute.created", data)
        assert events == [] and "no funds have moved" in notices[0]


class TestTopics:
    @pytest.mark.parametrize("name", ["event_order_created.json", "event_order_updated.json"])
    def test_orders_are_accepted_and_post_nothing(self, samples: Path, name: str) -> None:
        raw = sample(samples, name)
        topic = SQUARE.delivery(raw, {}).topic
        assert topic in SQUARE.supported_topics
        assert SQUARE.parse(topic, raw).events == ()

    def test_an_unknown_topic_is_unsupported(self) -> None:
        with pytest.raises(UnsupportedTopic):
            SQUARE.parse("invoice.payment_made", b"{}")

    def test_a_body_of_another_type_than_its_topic_is_refused(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            SQUARE.parse("payment.created", sample(samples, "event_payment_updated.json"))
        assert caught.value.field == "type"


POSTING_TOPICS = [
    "payment.updated",
    "refund.updated",
    "payout.paid",
    "dispute.state.updated",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), topic=st.sampled_from(POSTING_TOPICS))
def test_a_damaged_payload_raises_payload_invalid_and_nothing_else(
    samples: Path, data: st.DataObject, topic: str
) -> None:
    base = {
        "payment": payment(samples, "PAY1", 1000, fee=64),
        "refund": refund(samples, "REF1", "PAY1", 500, fee_returned=10),
        "payout": payout(samples, "po_1", 900),
        "dispute": sample_object(
            samples, "event_dispute_created.json", "data", "object", "dispute"
        ),
    }[topic.split(".", maxsplit=1)[0]]
    damaged = copy.deepcopy(base)
    key = data.draw(st.sampled_from(sorted(damaged)))
    damaged[key] = data.draw(JSON_VALUES)
    try:
        SQUARE.parse(topic, body(damaged), extra={"payout_entries": data.draw(JSON_VALUES)})
    except PayloadInvalid as exc:
        assert exc.field


def usd_(minor: int) -> dict[str, Any]:
    return {"amount": minor, "currency": "USD"}
