"""BigCommerce: header and Standard Webhooks authentication, dedupe keys, and every public sample
read through a real BigCommerce-shaped API on 127.0.0.1 and posted through the worker.

The webhook samples name only order 250; the fake API answers for it with the public REST
samples byte for byte. Those samples are BigCommerce's documentation examples and do not add
up (products of order 149, taxes of order 138 …): the connector books the order's own totals
and says what it could not use, which these tests check a person would see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import (
    PayloadInvalid,
    SignatureInvalid,
    TimestampOutsideTolerance,
    UnsupportedTopic,
)
from ledgerbridge.connectors.bigcommerce import BigCommerceConnector, standard_signature
from ledgerbridge.connectors.bigcommerce_api import BigCommerceClient
from ledgerbridge.events import (
    OrderCancelled,
    OrderPaid,
    OrderPending,
    PaymentKind,
    Refund,
)
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books, events, reports
from ledgerbridge.services.connections import add_connection, update_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.sync.bigcommerce_server import (
    TOKEN,
    FakeBigCommerce,
    make_order,
    make_refund,
    serve,
)

from .helpers import assert_amounts_positive, mutate, only, usd

bc = BigCommerceConnector()
SECRET = "hook-token-5f1c"
NOW = datetime(2024, 8, 1, 12, tzinfo=UTC)
AUTH = {"X-Ledgerbridge-Token": SECRET}

# Standard Webhooks reference vector (SIGNATURES.md § BigCommerce)
SW_KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = "1614265330"
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def webhook(samples: Path, scope: str) -> bytes:
    name = "webhook_" + scope.replace("/", "_") + ".json"
    return (samples / "webhooks" / "bigcommerce" / name).read_bytes()


def rest(samples: Path, name: str) -> bytes:
    return (samples / "webhooks" / "bigcommerce" / name).read_bytes()


def sample_api(samples: Path, order_sample: str) -> FakeBigCommerce:
    """The fake API answering for order 250 with the public REST samples, byte for byte."""
    return FakeBigCommerce(
        routes={
            "/v2/orders/250": rest(samples, order_sample),
            "/v2/orders/250/products": rest(samples, "api_v2_order_products.json"),
            "/v2/orders/250/taxes": rest(samples, "api_v2_order_taxes.json"),
        }
    )


def detail(order: dict[str, Any], products: Any = (), taxes: Any = ()) -> bytes:
    return json.dumps({"order": order, "products": list(products), "taxes": list(taxes)}).encode()


# --- authentication -----------------------------------------------------------------------


class TestAuthHeader:
    def test_the_registered_header_authenticates_in_any_case(self) -> None:
        bc.verify(b"{}", AUTH, SECRET, now=NOW)
        bc.verify(b"{}", {"x-ledgerbridge-token": SECRET}, SECRET, now=NOW)

    def test_a_configured_header_name_is_used(self) -> None:
        settings_ = {"auth_header": "Authorization"}
        bc.verify(b"{}", {"Authorization": "Bearer s3"}, "Bearer s3", now=NOW, settings=settings_)
        with pytest.raises(SignatureInvalid, match="missing Authorization"):
            bc.verify(b"{}", AUTH, SECRET, now=NOW, settings=settings_)

    def test_a_wrong_value_fails(self) -> None:
        with pytest.raises(SignatureInvalid, match="does not match"):
            bc.verify(b"{}", {"X-Ledgerbridge-Token": SECRET + "x"}, SECRET, now=NOW)

    def test_a_missing_header_fails_and_says_how_to_register_it(self) -> None:
        with pytest.raises(SignatureInvalid, match="X-Ledgerbridge-Token"):
            bc.verify(b"{}", {}, SECRET, now=NOW)

    def test_an_empty_secret_never_verifies(self) -> None:
        with pytest.raises(SignatureInvalid):
            bc.verify(b"{}", {"X-Ledgerbridge-Token": ""}, "", now=NOW)


class TestStandardWebhooks:
    def headers(self, signature: str = SW_SIGNATURE) -> dict[str, str]:
        return {"webhook-id": SW_ID, "webhook-timestamp": SW_TS, "webhook-signature": signature}

    def at(self, offset_s: int) -> datetime:
        return datetime.fromtimestamp(int(SW_TS) + offset_s, tz=UTC)

    def test_the_reference_vector_verifies(self) -> None:
        assert standard_signature(SW_KEY, SW_ID, SW_TS, SW_BODY) == SW_SIGNATURE
        bc.verify(SW_BODY, self.headers(), SW_KEY, now=self.at(0))

    def test_one_of_several_signatures_is_enough(self) -> None:
        bc.verify(SW_BODY, self.headers(f"v1,AAAA {SW_SIGNATURE}"), SW_KEY, now=self.at(299))

    def test_a_raw_client_secret_is_the_key_bytes(self) -> None:
        secret = "client-secret-abc"
        digest = hmac.new(secret.encode(), f"{SW_ID}.{SW_TS}.".encode() + SW_BODY, hashlib.sha256)
        signature = "v1," + base64.b64encode(digest.digest()).decode()
        bc.verify(SW_BODY, self.headers(signature), secret, now=self.at(0))

    def test_the_standard_headers_win_over_the_auth_header(self) -> None:
        with pytest.raises(SignatureInvalid, match="webhook-signature"):
            bc.verify(SW_BODY, {**self.headers("v1,AAAA"), **AUTH}, SECRET, now=self.at(0))

    def test_a_tampered_body_fails(self) -> None:
        with pytest.raises(SignatureInvalid):
            bc.verify(b'{"test": 2432232315}', self.headers(), SW_KEY, now=self.at(0))

    @pytest.mark.parametrize("offset", [301, -301, 86400])
    def test_a_timestamp_beyond_five_minutes_fails(self, offset: int) -> None:
        with pytest.raises(TimestampOutsideTolerance):
            bc.verify(SW_BODY, self.headers(), SW_KEY, now=self.at(offset))


# --- delivery -----------------------------------------------------------------------------


class TestDelivery:
    def test_scope_is_the_topic_and_the_key_is_scope_and_hash(self, samples: Path) -> None:
        found = bc.delivery(webhook(samples, "store/order/created"), {})
        assert found.topic == "store/order/created"
        assert found.external_id == "store/order/created:dd70c0976e06b67aaf671e73f49dcb79230ebf9d"
        assert found.resource_id == "250"

    def test_scopes_sharing_a_hash_are_stored_apart(self, samples: Path) -> None:
        scopes = ["store/order/created", "store/order/updated", "store/order/archived"]
        keys = {bc.delivery(webhook(samples, s), {}).external_id for s in scopes}
        assert len(keys) == 3

    def test_without_a_hash_the_key_is_scope_id_and_time(self, samples: Path) -> None:
        payload = json.loads(webhook(samples, "store/order/updated"))
        del payload["hash"]
        found = bc.delivery(json.dumps(payload).encode(), {})
        assert found.external_id == "store/order/updated:250:1561479335"

    def test_a_body_without_scope_names_its_field(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            bc.delivery(b'{"data": {"id": 1}}', {})
        assert caught.value.field == "scope"


# --- parsing ------------------------------------------------------------------------------


def fetched(state: FakeBigCommerce) -> dict[str, Any]:
    with serve(state) as url, BigCommerceClient(url, TOKEN) as client:
        return client.order_detail("250")


class TestSamples:
    def test_the_pending_sample_books_its_totals_and_says_what_did_not_add_up(
        self, samples: Path
    ) -> None:
        state = sample_api(samples, "api_v2_order_Response.json")
        result = bc.parse(
            "store/order/created", webhook(samples, "store/order/created"), extra=fetched(state)
        )
        event = only(result, OrderPending)
        order = event.order
        assert (event.external_id, order.total, order.currency) == ("218", usd("69.84"), "USD")
        assert [t.amount for t in order.order_taxes] == [usd("5.31")]
        assert [s.gross for s in order.shipping] == [usd("11.09")]
        assert {line.title for line in order.lines} == {"Order items", "A Fee", "B Fee"}
        assert order.payments[0].kind is PaymentKind.MANUAL  # "Cash"
        text = " ".join(n.message for n in result.notices)
        assert "products do not add up" in text
        assert "/taxes rows sum to 22.04" in text
        assert state.requests[0] == "/v2/orders/250"

    def test_the_paid_sample_without_currency_code_is_read_at_rate_one(self, samples: Path) -> None:
        state = sample_api(samples, "api_v2_order_Multiple_Items.json")
        result = bc.parse(
            "store/order/statusUpdated",
            webhook(samples, "store/order/statusUpdated"),
            extra=fetched(state),
        )
        event = only(result, OrderPaid)
        assert event.order.total == usd("1008.74")
        assert event.order.payments[0].gateway == "test_payment_gateway"
        assert event.order.payments[0].kind is PaymentKind.CARD
        assert any("names no currency_code" in n.message for n in result.notices)
        assert_amounts_positive(result.events)

    @pytest.mark.parametrize("scope", ["store/order/archived", "store/order/message/created"])
    def test_archive_and_message_topics_post_nothing(self, samples: Path, scope: str) -> None:
        result = bc.parse(scope, webhook(samples, scope))
        assert result.events == ()
        assert "nothing to post" in result.notices[0].message

    def test_a_webhook_without_fetched_detail_says_the_api_is_needed(self, samples: Path) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            bc.parse("store/order/created", webhook(samples, "store/order/created"))
        assert caught.value.field == "extra.order"
        assert "API token" in caught.value.message

    def test_an_unknown_topic_is_unsupported(self) -> None:
        with pytest.raises(UnsupportedTopic):
            bc.parse("store/product/created", b"{}")


MODIFIED = datetime(2024, 7, 1, 9, 30, tzinfo=UTC)


class TestOrders:
    def test_an_order_that_adds_up_keeps_its_lines_and_tax_rows(self) -> None:
        order, products, taxes = make_order(501, modified=MODIFIED)
        result = bc.parse("store/order/updated", detail(order, products, taxes))
        event = only(result, OrderPaid)
        assert result.notices == ()
        (line,) = event.order.lines
        assert (line.title, line.sku, line.quantity, line.gross) == ("Mug", "MUG", 2, usd("40.00"))
        (tax,) = event.order.order_taxes
        assert (tax.title, tax.jurisdiction, tax.rate) == (
            "CA State",
            "Default Tax Class",
            Decimal("8.0000"),
        )
        assert event.order.total == usd("48.60")
        assert event.occurred_at == MODIFIED
        assert event.order.payments[0].transaction_id == "ch_501"

    def test_four_decimal_amounts_are_rounded_half_even(self) -> None:
        order, products, taxes = make_order(502, modified=MODIFIED, shipping="0.00", tax="0.00")
        order.update(subtotal_ex_tax="10.3350", total_ex_tax="10.3350", total_inc_tax="10.3350")
        products[0].update(quantity=1, total_ex_tax="10.3350")
        taxes[0].update(line_amount="0.0000")
        event = only(bc.parse("store/order/updated", detail(order, products, taxes)), OrderPaid)
        assert event.order.total == usd("10.34")
        assert event.order.lines[0].gross == usd("10.34")

    def test_line_discounts_come_from_applied_discounts(self) -> None:
        order, products, taxes = make_order(503, modified=MODIFIED, tax="0.00")
        order.update(discount_amount="4.0000", total_ex_tax="41.0000", total_inc_tax="41.0000")
        products[0]["applied_discounts"] = [{"id": "coupon", "amount": "4.0000", "target": "order"}]
        taxes[0].update(line_amount="0.0000")
        result = bc.parse("store/order/updated", detail(order, products, taxes))
        event = only(result, OrderPaid)
        assert event.order.lines[0].discount == usd("4.00")
        assert result.notices == ()

    def test_store_credit_and_gift_certificates_are_their_own_tenders(self) -> None:
        order, products, taxes = make_order(504, modified=MODIFIED)
        order.update(store_credit_amount="10.0000", gift_certificate_amount="5.0000")
        event = only(bc.parse("store/order/updated", detail(order, products, taxes)), OrderPaid)
        tenders = {(p.gateway, p.kind, p.amount) for p in event.order.payments}
        assert tenders == {
            ("store_credit", PaymentKind.STORE_CREDIT, usd("10.00")),
            ("gift_certificate", PaymentKind.GIFT_CARD, usd("5.00")),
            ("stripe", PaymentKind.CARD, usd("33.60")),
        }

    @pytest.mark.parametrize(
        ("status", "kind"),
        [(1, OrderPending), (7, OrderPending), (12, OrderPending), (10, OrderPaid), (4, OrderPaid)],
    )
    def test_status_decides_the_event(self, status: int, kind: type) -> None:
        order, products, taxes = make_order(505, modified=MODIFIED, status_id=status)
        only(bc.parse("store/order/statusUpdated", detail(order, products, taxes)), kind)

    @pytest.mark.parametrize("status", [5, 6])
    def test_cancelled_and_declined_orders_cancel(self, status: int) -> None:
        order, products, taxes = make_order(506, modified=MODIFIED, status_id=status)
        event = only(
            bc.parse("store/order/updated", detail(order, products, taxes)), OrderCancelled
        )
        assert (event.external_id, event.order_id) == ("506", "506")

    def test_an_incomplete_checkout_posts_nothing(self) -> None:
        order, products, taxes = make_order(507, modified=MODIFIED, status_id=0)
        result = bc.parse("store/order/updated", detail(order, products, taxes))
        assert result.events == ()
        assert "Incomplete" in result.notices[0].message

    def test_an_unknown_status_names_its_field(self) -> None:
        order, products, taxes = make_order(508, modified=MODIFIED, status_id=99)
        with pytest.raises(PayloadInvalid) as caught:
            bc.parse("store/order/updated", detail(order, products, taxes))
        assert caught.value.field == "order.status_id"

    @settings(max_examples=150, deadline=None)
    @given(data=st.data())
    def test_any_field_replaced_by_any_json_gives_events_or_payload_invalid(
        self, data: st.DataObject
    ) -> None:
        order, products, taxes = make_order(509, modified=MODIFIED)
        payload: dict[str, Any] = {"order": order, "products": products, "taxes": taxes}
        mutate(payload, data)
        try:
            result = bc.parse("store/order/updated", json.dumps(payload).encode())
        except PayloadInvalid as exc:
            assert exc.field
            return
        assert_amounts_positive(result.events)


class TestRefunds:
    def refund_body(self, refund: dict[str, Any]) -> bytes:
        order, _, _ = make_order(601, modified=MODIFIED)
        text = json.dumps({"order": order, "refund": refund}, default=str)
        return text.encode()

    def test_a_refund_takes_currency_and_gateway_from_its_order(self) -> None:
        refund = make_refund(31, 601, amount="21.60", tax="1.60", created=MODIFIED)
        event = only(bc.parse("store/order/refund/created", self.refund_body(refund)), Refund)
        assert (event.external_id, event.order_id, event.amount) == ("31", "601", usd("21.60"))
        assert event.lines[0].subtotal + event.lines[0].tax == usd("21.60")
        assert event.lines[0].tax == usd("1.60")
        assert [(p.gateway, p.kind) for p in event.payments] == [("stripe", PaymentKind.CARD)]
        assert event.occurred_at == MODIFIED

    def test_store_credit_and_offline_refunds_route_apart(self) -> None:
        refund = make_refund(32, 601, amount="20.00", tax="0.00", created=MODIFIED)
        refund["payments"] = [
            {"id": 1, "provider_id": "storecredit", "amount": "5.00", "offline": False},
            {"id": 2, "provider_id": "custom", "amount": "15.00", "offline": True},
        ]
        event = only(bc.parse("store/order/refund/created", self.refund_body(refund)), Refund)
        kinds = {(p.kind, p.amount) for p in event.payments}
        assert kinds == {
            (PaymentKind.STORE_CREDIT, usd("5.00")),
            (PaymentKind.MANUAL, usd("15.00")),
        }

    def test_a_declined_refund_moved_no_money(self) -> None:
        refund = make_refund(33, 601, amount="20.00", tax="0.00", created=MODIFIED)
        refund["payments"][0]["is_declined"] = True
        result = bc.parse("store/order/refund/created", self.refund_body(refund))
        assert result.events == ()
        assert "moved no money" in result.notices[0].message

    def test_product_items_with_amounts_become_lines(self) -> None:
        refund = make_refund(34, 601, amount="27.00", tax="2.00", created=MODIFIED)
        refund["items"] = [
            {"item_type": "PRODUCT", "item_id": 6010, "quantity": 1, "requested_amount": "20.00"},
            {"item_type": "SHIPPING", "item_id": 1, "requested_amount": "5.00"},
        ]
        event = only(bc.parse("store/order/refund/created", self.refund_body(refund)), Refund)
        assert [(line.quantity, line.subtotal, line.tax) for line in event.lines] == [
            (1, usd("20.00"), usd("2.00"))
        ]
        assert event.shipping == usd("5.00")
        assert event.adjustment is None


# --- end to end: receive, fetch from the API, post -----------------------------------------


@pytest.fixture
def ledger(db: Database) -> tuple[Database, SecretBox]:
    books.init_book(db, base_currency="USD")
    return db, SecretBox(Fernet.generate_key())


@pytest.fixture
def api(samples: Path) -> Iterator[tuple[str, FakeBigCommerce]]:
    state = sample_api(samples, "api_v2_order_Multiple_Items.json")
    with serve(state) as url:
        yield url, state


def deliver(db: Database, box: SecretBox, body: bytes, name: str = "bc") -> int:
    receipt = receive(db, ConnectionDirectory(db, box), name, body, AUTH, now=NOW)
    return receipt.event_id


def statuses(db: Database, ids: list[int]) -> list[tuple[EventStatus, str | None]]:
    with UnitOfWork(db) as uow:
        return [(e.status, e.last_error) for e in (uow.inbox.get(i) for i in ids)]


def clearing_of(db: Database, name: str) -> str:
    with UnitOfWork(db) as uow:
        return uow.connections.get(name).clearing_account


def connect_api(db: Database, box: SecretBox, url: str, name: str = "bc") -> None:
    add_connection(
        db, box, name=name, platform="bigcommerce", secret=SECRET, api_url=url, api_token=TOKEN
    )


def store_pulled(db: Database, name: str, topic: str, external_id: str, body: bytes) -> int:
    """File a pulled resource in the inbox as the sync engine does (no signature, own key)."""
    with UnitOfWork(db) as uow:
        connection_id = uow.connections.get(name).id
        event_id, _ = uow.inbox.store(
            connection_id=connection_id,
            external_id=external_id,
            topic=topic,
            status=EventStatus.RECEIVED,
            headers={},
            body=body,
            now=NOW,
        )
        uow.commit()
    return event_id


@pytest.mark.parametrize(
    "scope", ["store/order/created", "store/order/updated", "store/order/statusUpdated"]
)
def test_each_order_webhook_sample_posts_the_paid_order(
    ledger: tuple[Database, SecretBox], api: tuple[str, FakeBigCommerce], samples: Path, scope: str
) -> None:
    db, box = ledger
    url, state = api
    connect_api(db, box, url)
    event_id = deliver(db, box, webhook(samples, scope))
    Worker(db, box, StaticRates({})).drain()
    assert statuses(db, [event_id]) == [(EventStatus.POSTED, None)]
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit
    assert tb.balance_of(clearing_of(db, "bc")) == usd("1008.74")
    assert state.requests[:3] == [
        "/v2/orders/250",
        "/v2/orders/250/products?page=1&limit=250",
        "/v2/orders/250/taxes?page=1&limit=250",
    ]


@pytest.mark.parametrize("scope", ["store/order/archived", "store/order/message/created"])
def test_archive_and_message_samples_are_stored_and_ignored(
    ledger: tuple[Database, SecretBox], api: tuple[str, FakeBigCommerce], samples: Path, scope: str
) -> None:
    db, box = ledger
    url, state = api
    connect_api(db, box, url)
    event_id = deliver(db, box, webhook(samples, scope))
    Worker(db, box, StaticRates({})).drain()
    assert statuses(db, [event_id])[0][0] is EventStatus.IGNORED
    assert state.requests == []  # nothing fetched for them
    assert reports.trial_balance(db).total_debit.is_zero()


def test_the_refund_sample_posts_against_a_pulled_order(
    ledger: tuple[Database, SecretBox], samples: Path
) -> None:
    db, box = ledger
    order, products, taxes = make_order(250, modified=MODIFIED, price="50.00", shipping="8.00")
    state = FakeBigCommerce()
    state.add(order, products, taxes)
    state.refunds.append(make_refund(3, 250, amount="54.00", tax="4.00", created=MODIFIED))
    with serve(state) as url:
        connect_api(db, box, url)
        pulled = store_pulled(
            db, "bc", "store/order/updated", "api:order:250", detail(order, products, taxes)
        )
        created = deliver(db, box, webhook(samples, "store/order/created"))
        refunded = deliver(db, box, webhook(samples, "store/order/refund/created"))
        Worker(db, box, StaticRates({})).drain()
    assert statuses(db, [pulled, created, refunded]) == [(EventStatus.POSTED, None)] * 3
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit
    # 2 × 50.00 + 8.00 shipping + 3.60 tax = 111.60 taken once (pulled and webhook), 54.00 back
    assert tb.balance_of(clearing_of(db, "bc")) == usd("57.60")
    assert "/v3/orders/250/payment_actions/refunds" in state.requests


def test_a_second_webhook_about_a_webhook_booked_order_posts(
    ledger: tuple[Database, SecretBox], api: tuple[str, FakeBigCommerce], samples: Path
) -> None:
    db, box = ledger
    url, _ = api
    connect_api(db, box, url)
    ids = [
        deliver(db, box, webhook(samples, scope))
        for scope in ("store/order/created", "store/order/updated")
    ]
    Worker(db, box, StaticRates({})).drain()
    assert [status for status, _ in statuses(db, ids)] == [EventStatus.POSTED] * 2


def test_the_pending_sample_is_a_receivable(
    ledger: tuple[Database, SecretBox], samples: Path
) -> None:
    db, box = ledger
    with serve(sample_api(samples, "api_v2_order_Response.json")) as url:
        connect_api(db, box, url)
        event_id = deliver(db, box, webhook(samples, "store/order/created"))
        Worker(db, box, StaticRates({})).drain()
    assert statuses(db, [event_id])[0][0] is EventStatus.POSTED
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit == usd("74.84")  # 69.84 owed + 5.00 discount
    assert tb.balance_of(clearing_of(db, "bc")).is_zero()


def test_without_an_api_token_the_event_is_dead_and_says_why(
    ledger: tuple[Database, SecretBox], samples: Path
) -> None:
    db, box = ledger
    add_connection(db, box, name="bc", platform="bigcommerce", secret=SECRET)
    event_id = deliver(db, box, webhook(samples, "store/order/created"))
    Worker(db, box, StaticRates({})).drain()
    status, error = statuses(db, [event_id])[0]
    assert status is EventStatus.DEAD
    assert error is not None and "no API token" in error and "replay" in error
    assert reports.trial_balance(db).total_debit.is_zero()


def test_an_unlisted_refund_waits_for_the_api(
    ledger: tuple[Database, SecretBox], samples: Path
) -> None:
    db, box = ledger
    state = sample_api(samples, "api_v2_order_Multiple_Items.json")
    with serve(state) as url:
        connect_api(db, box, url)
        event_id = deliver(db, box, webhook(samples, "store/order/refund/created"))
        Worker(db, box, StaticRates({})).drain()
    status, error = statuses(db, [event_id])[0]
    assert status is EventStatus.FAILED  # retried later, not dead
    assert error is not None and "refund 3" in error


def test_the_registry_knows_bigcommerce() -> None:
    assert isinstance(connector_for("bigcommerce"), BigCommerceConnector)


def test_a_token_set_after_the_fact_lets_the_dead_event_be_replayed_and_posted(
    ledger: tuple[Database, SecretBox], api: tuple[str, FakeBigCommerce], samples: Path
) -> None:
    db, box = ledger
    url, _ = api
    add_connection(db, box, name="bc", platform="bigcommerce", secret=SECRET)
    event_id = deliver(db, box, webhook(samples, "store/order/created"))
    Worker(db, box, StaticRates({})).drain()
    assert statuses(db, [event_id])[0][0] is EventStatus.DEAD

    update_connection(db, box, "bc", api_url=url, api_token=TOKEN)
    assert events.replay(db, dead=True) == [event_id]
    worker = Worker(db, box, StaticRates({}))
    worker.directory.ttl_s = 0  # the test does not wait out the connection cache
    worker.drain()
    assert statuses(db, [event_id])[0][0] is EventStatus.POSTED
    assert reports.trial_balance(db).balance_of(clearing_of(db, "bc")) == usd("1008.74")
