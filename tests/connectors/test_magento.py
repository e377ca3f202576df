"""Adobe Commerce / Magento 2 connector: RSA signatures over base64(body), invoices → OrderPaid,
credit memos → Refund, and the samples posted through the real pipeline on both databases.

Samples are the Magento REST documentation's invoices; credit memos are made from the
documented refund request (``api_order_refund_request.json``), see ``tests/sync/magento_server``.
"""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import PayloadInvalid, SignatureInvalid, UnsupportedTopic
from ledgerbridge.connectors.magento import (
    CREDITMEMO_TOPIC,
    INVOICE_TOPIC,
    SIGNATURE_HEADER,
    MagentoConnector,
)
from ledgerbridge.events import OrderPaid, PaymentKind, Refund
from ledgerbridge.ledger.chart import Role, clearing_role
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books, reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.conftest import SAMPLES
from tests.sync.magento_server import creditmemo, invoice, magento_sample, order

from .helpers import assert_amounts_positive, body, each, mutate, only, usd

NOW = datetime(2024, 3, 6, tzinfo=UTC)
magento = MagentoConnector()
PrivateKey = rsa.RSAPrivateKey


@pytest.fixture(scope="module")
def key_pair() -> tuple[PrivateKey, str]:
    """A key pair as the Commerce admin generates it; the PEM public key is the secret."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


def sign(data: bytes, private: PrivateKey) -> dict[str, str]:
    """The header Commerce sends: RSA-SHA256 over base64(body), base64 encoded."""
    signature = private.sign(base64.b64encode(data), padding.PKCS1v15(), hashes.SHA256())
    return {"X-Adobe-Commerce-Webhook-Signature": base64.b64encode(signature).decode()}


def webhook(event: str, **data: Any) -> bytes:
    """The documented default payload of an observer webhook."""
    return body({"eventName": event, "data": data})


def as_strings(value: Any, key: str = "") -> Any:
    """Numbers as Commerce's observer payloads write them: ids "3", amounts "165.0000"."""
    if isinstance(value, dict):
        return {k: as_strings(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v, key) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if key == "state" or key.endswith("_id") or key.endswith("_flag"):
        return str(value)
    return f"{Decimal(str(value)):.4f}"


class TestVerify:
    def test_a_body_signed_with_the_key_pair_verifies(
        self, key_pair: tuple[PrivateKey, str]
    ) -> None:
        private, public = key_pair
        data = webhook(INVOICE_TOPIC, invoice={"entity_id": 3})
        magento.verify(data, sign(data, private), public, now=NOW)

    def test_a_public_key_pasted_on_one_line_with_escaped_newlines_verifies(
        self, key_pair: tuple[PrivateKey, str]
    ) -> None:
        private, public = key_pair
        data = b'{"eventName": "observer.sales_order_save_after", "data": {}}'
        magento.verify(data, sign(data, private), public.replace("\n", "\\n"), now=NOW)

    def test_a_tampered_body_is_refused(self, key_pair: tuple[PrivateKey, str]) -> None:
        private, public = key_pair
        data = webhook(INVOICE_TOPIC, invoice={"entity_id": 3, "grand_total": 165})
        headers = sign(data, private)
        with pytest.raises(SignatureInvalid, match="does not match"):
            magento.verify(data.replace(b"165", b"965"), headers, public, now=NOW)

    def test_a_signature_over_the_raw_body_instead_of_its_base64_is_refused(
        self, key_pair: tuple[PrivateKey, str]
    ) -> None:
        private, public = key_pair
        data = webhook(INVOICE_TOPIC, invoice={"entity_id": 3})
        raw = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        headers = {SIGNATURE_HEADER: base64.b64encode(raw).decode()}
        with pytest.raises(SignatureInvalid):
            magento.verify(data, headers, public, now=NOW)

    def test_a_body_signed_by_another_key_is_refused(
        self, key_pair: tuple[PrivateKey, str]
    ) -> None:
        _, public = key_pair
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        data = webhook(INVOICE_TOPIC, invoice={"entity_id": 3})
        with pytest.raises(SignatureInvalid, match="does not match"):
            magento.verify(data, sign(data, other), public, now=NOW)

    def test_a_missing_or_garbled_header_is_refused(self, key_pair: tuple[PrivateKey, str]) -> None:
        _, public = key_pair
        data = webhook(INVOICE_TOPIC, invoice={"entity_id": 3})
        with pytest.raises(SignatureInvalid, match="missing"):
            magento.verify(data, {}, public, now=NOW)
        with pytest.raises(SignatureInvalid, match="not base64"):
            magento.verify(data, {SIGNATURE_HEADER: "not base64!"}, public, now=NOW)

    def test_a_secret_that_is_not_a_public_key_says_what_to_paste(
        self, key_pair: tuple[PrivateKey, str]
    ) -> None:
        private, _ = key_pair
        data = webhook(INVOICE_TOPIC, invoice={"entity_id": 3})
        with pytest.raises(SignatureInvalid, match="PEM public key"):
            magento.verify(data, sign(data, private), "an-hmac-secret", now=NOW)
        with pytest.raises(SignatureInvalid, match="no webhook public key"):
            magento.verify(data, sign(data, private), "", now=NOW)


class TestInvoices:
    def test_the_documented_invoice_is_paid_for_its_priced_lines_and_shipping(
        self, samples: Path
    ) -> None:
        raw = (samples / "webhooks/magento/api_get_invoice.json").read_bytes()
        paid = only(magento.parse(INVOICE_TOPIC, raw), OrderPaid)
        snapshot = paid.order
        assert paid.external_id == snapshot.order_id == "invoice:3"
        assert snapshot.total == usd("165.00")
        # The bundle's parent and the configurable's child carry no money of their own.
        skus = [line.sku for line in snapshot.lines]
        assert "24-WG080-24-WG084-24-WG088-24-WG082-blue-24-WG086" not in skus
        assert skus.count("MH01-S-Gray") == 1
        assert sum((line.gross for line in snapshot.lines), usd("0")) == usd("160.00")
        assert [s.gross for s in snapshot.shipping] == [usd("5.00")]
        assert snapshot.payments == ()  # no order at hand: the connection's clearing
        assert paid.occurred_at == datetime(2017, 8, 21, 22, 36, 2, tzinfo=UTC)
        assert_amounts_positive((paid,))

    def test_the_tutorial_invoice_keeps_its_discounts_apart_from_gross(self, samples: Path) -> None:
        raw = (samples / "webhooks/magento/api_get_invoice_inventory_tutorial.json").read_bytes()
        snapshot = only(magento.parse(INVOICE_TOPIC, raw), OrderPaid).order
        discounts = {line.sku: line.discount for line in snapshot.lines}
        assert discounts == {
            "24-WB03": usd("144.00"),
            "24-WB01": usd("256.00"),
            "240-LV06": usd("4.40"),
        }
        assert snapshot.shipping[0].discount == usd("0.00")
        assert snapshot.total == usd("1917.60")

    def test_a_webhook_parses_to_the_same_event_as_the_rest_object(self, samples: Path) -> None:
        rest = magento_sample(samples, "api_get_invoice.json")
        pulled = magento.parse(INVOICE_TOPIC, body({"invoice": rest, "order": order(3)}))
        hook = webhook(INVOICE_TOPIC, invoice=as_strings(rest))
        pushed = magento.parse(INVOICE_TOPIC, hook, extra={"order": order(3)})
        assert pushed.events == pulled.events
        assert (
            magento.delivery(hook, {}).external_id
            == magento.delivery(body({"invoice": rest}), {}).external_id
        )

    @pytest.mark.parametrize(
        ("method", "kind"),
        [
            ("checkmo", PaymentKind.MANUAL),
            ("banktransfer", PaymentKind.MANUAL),
            ("braintree", PaymentKind.CARD),
            ("paypal_express", PaymentKind.CARD),
        ],
    )
    def test_the_orders_payment_method_is_the_tender(
        self, samples: Path, method: str, kind: PaymentKind
    ) -> None:
        data = {"invoice": invoice(samples, 7, 12), "order": order(12, method)}
        snapshot = only(magento.parse(INVOICE_TOPIC, body(data)), OrderPaid).order
        assert [(p.gateway, p.kind, p.amount) for p in snapshot.payments] == [
            (method, kind, usd("165.00"))
        ]
        assert snapshot.name == "#000000012 invoice #000000007"

    def test_two_invoices_of_one_order_are_two_payments(self, samples: Path) -> None:
        first = magento.parse(INVOICE_TOPIC, body({"invoice": invoice(samples, 7, 12)}))
        second = magento.parse(INVOICE_TOPIC, body({"invoice": invoice(samples, 8, 12)}))
        ids = [e.external_id for e in (*first.events, *second.events)]
        assert ids == ["invoice:7", "invoice:8"]

    def test_gift_card_and_store_credit_are_tenders_of_their_own(self, samples: Path) -> None:
        data = invoice(samples, 7, 12)
        data["grand_total"] = 140
        data["extension_attributes"] = {"gift_cards_amount": 20, "customer_balance_amount": 5}
        snapshot = only(
            magento.parse(INVOICE_TOPIC, body({"invoice": data, "order": order(12, "braintree")})),
            OrderPaid,
        ).order
        assert snapshot.total == usd("165.00")
        assert [(p.gateway, p.amount) for p in snapshot.payments] == [
            ("braintree", usd("140.00")),
            ("gift_card", usd("20.00")),
            ("store_credit", usd("5.00")),
        ]

    def test_an_open_invoice_posts_nothing_and_says_why(self, samples: Path) -> None:
        result = magento.parse(INVOICE_TOPIC, body(invoice(samples, 7, 12, state=1)))
        assert result.events == ()
        assert "open" in result.notices[0].message

    def test_taxes_follow_the_lines_or_fall_back_to_the_invoice(self, samples: Path) -> None:
        data = invoice(samples, 7, 12)
        data["items"][0]["tax_amount"] = 1.82
        data["tax_amount"] = 1.82
        data["grand_total"] = 166.82
        snapshot = only(magento.parse(INVOICE_TOPIC, body(data)), OrderPaid).order
        assert snapshot.lines[0].taxes[0].amount == usd("1.82")
        data["tax_amount"] = 2.50  # a hook that left some lines' tax out
        data["grand_total"] = 167.50
        result = magento.parse(INVOICE_TOPIC, body(data))
        snapshot = only(result, OrderPaid).order
        assert [t.amount for t in snapshot.order_taxes] == [usd("2.50")]
        assert all(not line.taxes for line in snapshot.lines)
        assert "invoice level" in result.notices[0].message


class TestCreditMemos:
    def test_a_credit_memo_refunds_against_its_invoice(self, samples: Path) -> None:
        paid = invoice(samples, 7, 12)
        memo = creditmemo(samples, 21, paid, invoice_id=7)
        memo["adjustment_negative"] = 2
        memo["grand_total"] = 20
        data = {"creditmemo": memo, "order": order(12, "braintree")}
        refund = only(magento.parse(CREDITMEMO_TOPIC, body(data)), Refund)
        assert refund.external_id == "creditmemo:21"
        assert refund.order_id == "invoice:7"
        assert refund.amount == usd("20.00")
        assert [(line.sku, line.subtotal) for line in refund.lines] == [
            ("WS12-M-Orange", usd("22.00"))
        ]
        assert refund.restocking_fee == usd("2.00")
        assert [(p.gateway, p.amount) for p in refund.payments] == [("braintree", usd("20.00"))]

    def test_a_refund_from_the_order_page_goes_against_the_orders_first_invoice(
        self, samples: Path
    ) -> None:
        memo = creditmemo(samples, 21, invoice(samples, 7, 12), invoice_id=None)
        data = {"creditmemo": memo, "invoice_ids": [9, 7]}
        assert only(magento.parse(CREDITMEMO_TOPIC, body(data)), Refund).order_id == "invoice:7"

    def test_without_an_invoice_or_the_orders_invoices_it_says_what_is_needed(
        self, samples: Path
    ) -> None:
        memo = creditmemo(samples, 21, invoice(samples, 7, 12), invoice_id=None)
        with pytest.raises(PayloadInvalid, match="api_token") as caught:
            magento.parse(CREDITMEMO_TOPIC, webhook(CREDITMEMO_TOPIC, creditmemo=memo))
        assert caught.value.field == "creditmemo.invoice_id"

    def test_a_webhook_credit_memo_with_shipping_and_adjustments(self, samples: Path) -> None:
        memo = creditmemo(samples, 21, invoice(samples, 7, 12), invoice_id=7)
        memo.update(shipping_amount=5, adjustment_positive=3, grand_total=30)
        hook = webhook(CREDITMEMO_TOPIC, creditmemo=as_strings(memo))
        refund = only(magento.parse(CREDITMEMO_TOPIC, hook), Refund)
        assert (refund.shipping, refund.adjustment, refund.amount) == (
            usd("5.00"),
            usd("3.00"),
            usd("30.00"),
        )


class TestTopicsAndKeys:
    def test_an_order_alone_posts_nothing(self) -> None:
        hook = webhook("observer.sales_order_place_after", order=order(12))
        result = magento.parse("observer.sales_order_place_after", hook)
        assert result.events == ()
        assert "invoiced" in result.notices[0].message

    def test_an_event_we_do_not_post_is_stored_as_ignored(self) -> None:
        hook = webhook("observer.catalog_product_save_after", product={"sku": "MUG"})
        delivery = magento.delivery(hook, {})
        assert delivery.topic not in magento.supported_topics
        with pytest.raises(UnsupportedTopic):
            magento.parse(delivery.topic, hook)

    def test_the_same_state_is_one_key_and_a_paid_invoice_is_a_new_one(self, samples: Path) -> None:
        opened = webhook(INVOICE_TOPIC, invoice=invoice(samples, 7, 12, state=1))
        again = webhook(INVOICE_TOPIC, invoice=invoice(samples, 7, 12, state=1))
        paid = webhook(
            INVOICE_TOPIC, invoice=invoice(samples, 7, 12, updated_at="2024-03-03 08:00:00")
        )
        keys = [magento.delivery(b, {}).external_id for b in (opened, again, paid)]
        assert keys[0] == keys[1] != keys[2]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_a_damaged_payload_is_payload_invalid_or_parses(self, data: st.DataObject) -> None:
        if not SAMPLES.is_dir():
            pytest.skip("public samples folder not found")
        paid = invoice(SAMPLES, 7, 12)
        payload: dict[str, Any] = {
            "eventName": INVOICE_TOPIC,
            "data": {"invoice": paid, "order": order(12)},
        }
        if data.draw(st.booleans()):
            memo = creditmemo(SAMPLES, 21, paid, invoice_id=7)
            payload = {"eventName": CREDITMEMO_TOPIC, "data": {"creditmemo": memo}}
        mutate(payload, data)
        raw = body(payload)
        try:
            delivery = magento.delivery(raw, {})
            if delivery.topic in magento.supported_topics:
                assert_amounts_positive(magento.parse(delivery.topic, raw).events)
        except PayloadInvalid:
            pass


# --- posting through the real pipeline, on SQLite and PostgreSQL ---------------------------


@pytest.fixture
def shop(db: Database, key_pair: tuple[PrivateKey, str]) -> tuple[Database, SecretBox]:
    books.init_book(db, base_currency="USD")
    box = SecretBox(Fernet.generate_key())
    add_connection(db, box, name="magento", platform="magento", secret=key_pair[1])
    return db, box


def deliver(shop: tuple[Database, SecretBox], raw: bytes, private: PrivateKey) -> int:
    db, box = shop
    receipt = receive(db, ConnectionDirectory(db, box), "magento", raw, sign(raw, private), now=NOW)
    return receipt.event_id


def drain(shop: tuple[Database, SecretBox]) -> None:
    Worker(shop[0], shop[1], StaticRates({}), clock=lambda: NOW).drain()


def codes(db: Database) -> dict[str, str]:
    with UnitOfWork(db) as uow:
        return uow.accounts.roles()


@pytest.mark.parametrize(
    ("sample", "paid"),
    [("api_get_invoice.json", "165.00"), ("api_get_invoice_inventory_tutorial.json", "1917.60")],
)
def test_an_invoice_sample_posts_balanced_with_the_paid_amount_in_clearing(
    shop: tuple[Database, SecretBox],
    key_pair: tuple[PrivateKey, str],
    samples: Path,
    sample: str,
    paid: str,
) -> None:
    raw = (samples / "webhooks/magento" / sample).read_bytes()
    event_id = deliver(shop, raw, key_pair[0])
    drain(shop)
    with UnitOfWork(shop[0]) as uow:
        assert uow.inbox.get(event_id).status is EventStatus.POSTED
    tb = reports.trial_balance(shop[0])
    assert tb.total_debit == tb.total_credit
    roles = codes(shop[0])
    assert tb.balance_of(roles[clearing_role("magento")]) == usd(paid)
    assert tb.balance_of(roles[Role.SHIPPING_INCOME]).amount < 0


def test_a_credit_memo_posts_a_refund_and_a_second_delivery_posts_nothing(
    shop: tuple[Database, SecretBox], key_pair: tuple[PrivateKey, str], samples: Path
) -> None:
    private = key_pair[0]
    paid = invoice(samples, 7, 12)
    memo = creditmemo(samples, 21, paid, invoice_id=7)
    deliver(shop, webhook(CREDITMEMO_TOPIC, creditmemo=memo), private)  # before its invoice
    drain(shop)
    deliver(shop, webhook(INVOICE_TOPIC, invoice=paid), private)
    drain(shop)
    # The early refund waited for its invoice; once its retry is due it posts.
    Worker(shop[0], shop[1], StaticRates({}), clock=lambda: NOW.replace(year=2025)).drain()
    deliver(shop, webhook(CREDITMEMO_TOPIC, creditmemo=copy.deepcopy(memo)), private)
    drain(shop)
    tb = reports.trial_balance(shop[0])
    roles = codes(shop[0])
    assert tb.total_debit == tb.total_credit
    assert tb.balance_of(roles[clearing_role("magento")]) == usd("143.00")  # 165.00 − 22.00
    assert tb.balance_of(roles[Role.SALES_RETURNS]) == usd("22.00")


def test_a_partial_capture_posts_each_invoice(
    shop: tuple[Database, SecretBox], key_pair: tuple[PrivateKey, str], samples: Path
) -> None:
    for invoice_id in (7, 8):
        data = {"invoice": invoice(samples, invoice_id, 12), "order": order(12)}
        deliver(shop, webhook(INVOICE_TOPIC, **data), key_pair[0])
    drain(shop)
    tb = reports.trial_balance(shop[0])
    # checkmo: a manual payment, owed until the bank statement shows it
    assert tb.balance_of(codes(shop[0])[Role.ACCOUNTS_RECEIVABLE]) == usd("330.00")


def test_registered_under_its_platform_name() -> None:
    assert isinstance(connector_for("magento"), MagentoConnector)


def test_a_cancelled_invoice_posts_nothing() -> None:
    result = magento.parse(INVOICE_TOPIC, b'{"entity_id": 1, "order_id": 2, "state": 3}')
    assert each(result, OrderPaid) == []
    assert "cancelled" in result.notices[0].message
