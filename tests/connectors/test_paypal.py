"""PayPal: certificate-checked signatures against a real certificate server on 127.0.0.1, PayPal's
own verification API against a fake PayPal, and webhook bodies → canonical events."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import (
    PayloadInvalid,
    PlatformRequestFailed,
    PlatformUnavailable,
    SignatureInvalid,
    UnsupportedTopic,
)
from ledgerbridge.connectors.paypal import PayPalConnector
from ledgerbridge.connectors.paypal_certs import CertificateStore
from ledgerbridge.connectors.paypal_verify import crc32, signed_string
from ledgerbridge.events import (
    Adjustment,
    Conversion,
    Dispute,
    DisputeStage,
    Fee,
    OrderPaid,
    Payout,
    Refund,
)
from ledgerbridge.money import Money
from tests.connectors.helpers import assert_amounts_positive, mutate
from tests.servers import free_port
from tests.sync.paypal_server import (
    API_TOKEN,
    NOW,
    FakePayPal,
    Pki,
    capture,
    refund,
    row,
    running,
    webhook,
)

WEBHOOK_ID = "8PT597110X687430LKGECATA"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def paypal(pki: Pki) -> Iterator[FakePayPal]:
    with running(FakePayPal(certs=dict(pki.chains))) as fake:
        yield fake


@pytest.fixture
def conf(paypal: FakePayPal, pki: Pki) -> dict[str, Any]:
    """Connection settings that trust the test CA and the fake's origin."""
    return {"paypal_cert_origins": [paypal.url], "paypal_ca_bundle": str(pki.bundle)}


BODY = webhook(
    "PAYMENT.CAPTURE.COMPLETED", capture("3C679366HH908993F", "100.00", "3.98"), event_id="WH-1"
)


def refusal(
    connector: PayPalConnector,
    body: bytes,
    headers: dict[str, str],
    conf: dict[str, Any],
    secret: str = WEBHOOK_ID,
) -> str:
    with pytest.raises(SignatureInvalid) as caught:
        connector.verify(body, headers, secret, now=NOW, settings=conf)
    return caught.value.message


def usd(value: str) -> Money:
    return Money.of(value, "USD")


class TestSignedString:
    def test_the_official_vector_signs_id_time_webhook_and_crc32(self, samples: Path) -> None:
        body = (samples / "webhooks/paypal/sigvector_payment_sale_completed_body.json").read_bytes()
        assert len(body) == 1288
        assert crc32(body) == 2771810304
        assert signed_string(
            "dfb3be50-fd74-11e4-8bf3-77339302725b",
            "2015-05-18T15:45:13Z",
            "4JH86294D6297924G",
            body,
        ) == (
            "dfb3be50-fd74-11e4-8bf3-77339302725b|2015-05-18T15:45:13Z|4JH86294D6297924G|2771810304"
        )


class TestOfflineVerification:
    def test_a_delivery_signed_with_the_paypal_certificate_passes(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        PayPalConnector().verify(BODY, headers, WEBHOOK_ID, now=NOW, settings=conf)

    def test_header_names_are_read_in_any_case(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        lowered = {name.lower(): value for name, value in headers.items()}
        PayPalConnector().verify(BODY, lowered, WEBHOOK_ID, now=NOW, settings=conf)

    def test_a_tampered_body_fails(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        tampered = BODY.replace(b'"100.00"', b'"900.00"')
        assert "does not match" in refusal(PayPalConnector(), tampered, headers, conf)

    def test_a_delivery_for_another_webhook_fails(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, "SOMEONE-ELSES-WEBHOOK", paypal.cert_url("good"))
        assert "does not match" in refusal(PayPalConnector(), BODY, headers, conf)

    @pytest.mark.parametrize(
        ("cert", "reason"),
        [
            ("expired", "expired on 2025-03-09"),
            ("wrong-cn", "CN 'messageverificationcerts.example.com' is not a .paypal.com name"),
            ("unchained", "does not chain to a trusted CA"),
            ("not-pem", "did not answer with PEM"),
            ("missing", "answered 404; no such certificate"),
        ],
    )
    def test_a_certificate_that_fails_a_check_is_refused_with_the_reason(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any], cert: str, reason: str
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url(cert))
        assert reason in refusal(PayPalConnector(), BODY, headers, conf)

    def test_the_ca_bundle_setting_cannot_make_a_wrong_name_pass(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("wrong-cn"))
        relaxed = {**conf, "paypal_cert_cn_suffix": ".example.com"}
        assert "is not a .paypal.com name" in refusal(PayPalConnector(), BODY, headers, relaxed)

    @pytest.mark.parametrize(
        ("url", "host"),
        [
            (
                "https://api.paypal.com.evil.test/v1/notifications/certs/x",
                "api.paypal.com.evil.test",
            ),
            ("http://api.paypal.com/v1/notifications/certs/x", "api.paypal.com"),
        ],
    )
    def test_a_certificate_outside_paypals_hosts_is_not_even_fetched(
        self, pki: Pki, url: str, host: str
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, url)
        message = refusal(PayPalConnector(), BODY, headers, {})
        assert f"certificate host {host!r} is not allowed" in message
        assert "https://api-m.paypal.com" in message

    def test_the_test_server_is_refused_under_the_default_origins(
        self, pki: Pki, paypal: FakePayPal
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        assert "'127.0.0.1' is not allowed" in refusal(PayPalConnector(), BODY, headers, {})
        assert paypal.hits("/v1/notifications/certs") == 0

    def test_a_url_with_user_info_is_refused(self, pki: Pki, conf: dict[str, Any]) -> None:
        url = "https://api.paypal.com@127.0.0.1/v1/notifications/certs/good"
        headers = pki.headers(BODY, WEBHOOK_ID, url)
        assert "user info" in refusal(PayPalConnector(), BODY, headers, conf)

    def test_a_signature_that_is_not_base64_is_refused(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        headers["PAYPAL-TRANSMISSION-SIG"] = "not*base64!"
        assert "not base64" in refusal(PayPalConnector(), BODY, headers, conf)

    def test_a_missing_header_is_named(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        del headers["PAYPAL-CERT-URL"]
        assert "missing PAYPAL-CERT-URL" in refusal(PayPalConnector(), BODY, headers, conf)
        del headers["PAYPAL-TRANSMISSION-TIME"]
        assert "PAYPAL-TRANSMISSION-TIME" in refusal(PayPalConnector(), BODY, headers, conf)

    def test_another_algorithm_is_refused(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        headers["PAYPAL-AUTH-ALGO"] = "SHA1withRSA"
        assert "only SHA256withRSA" in refusal(PayPalConnector(), BODY, headers, conf)

    def test_a_connection_without_a_webhook_id_verifies_nothing(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        headers = pki.headers(BODY, "", paypal.cert_url("good"))
        assert "no webhook secret" in refusal(PayPalConnector(), BODY, headers, conf, secret="")

    def test_the_certificate_is_fetched_once_for_many_deliveries_until_it_ages_out(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        connector = PayPalConnector(certificates=CertificateStore(ttl=dt.timedelta(hours=1)))
        for n in range(5):
            body = BODY.replace(b"WH-1", f"WH-{n}".encode())
            headers = pki.headers(
                body, WEBHOOK_ID, paypal.cert_url("good"), transmission_id=f"t{n}"
            )
            connector.verify(body, headers, WEBHOOK_ID, now=NOW, settings=conf)
        assert paypal.hits("/v1/notifications/certs/good") == 1
        later = NOW + dt.timedelta(hours=2)
        headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url("good"))
        connector.verify(BODY, headers, WEBHOOK_ID, now=later, settings=conf)
        assert paypal.hits("/v1/notifications/certs/good") == 2

    def test_the_cache_holds_a_bounded_number_of_urls(
        self, pki: Pki, paypal: FakePayPal, conf: dict[str, Any]
    ) -> None:
        connector = PayPalConnector(certificates=CertificateStore(size=2))
        for name in ("a", "b", "c", "a"):
            paypal.certs[name] = pki.chains["good"]
            headers = pki.headers(BODY, WEBHOOK_ID, paypal.cert_url(name))
            connector.verify(BODY, headers, WEBHOOK_ID, now=NOW, settings=conf)
        assert paypal.hits("/v1/notifications/certs/a") == 2  # evicted by c, fetched again

    def test_an_unreachable_certificate_host_is_a_retryable_outage(
        self, pki: Pki, conf: dict[str, Any]
    ) -> None:
        closed = f"http://127.0.0.1:{free_port()}"
        headers = pki.headers(BODY, WEBHOOK_ID, f"{closed}/v1/notifications/certs/good")
        with pytest.raises(PlatformUnavailable) as caught:
            PayPalConnector().verify(
                BODY,
                headers,
                WEBHOOK_ID,
                now=NOW,
                settings={**conf, "paypal_cert_origins": [closed]},
            )
        assert caught.value.http_status == 503


class TestApiVerification:
    def api_conf(self, paypal: FakePayPal, token: str = API_TOKEN) -> dict[str, Any]:
        return {"verification": "api", "api_url": paypal.url, "api_token": token}

    def test_paypal_saying_success_passes_and_one_token_serves_many_deliveries(
        self, pki: Pki, paypal: FakePayPal
    ) -> None:
        connector = PayPalConnector()
        headers = pki.headers(BODY, WEBHOOK_ID, "https://api.paypal.com/v1/notifications/certs/x")
        for _ in range(3):
            connector.verify(BODY, headers, WEBHOOK_ID, now=NOW, settings=self.api_conf(paypal))
        assert paypal.tokens_issued == 1
        sent = paypal.verify_requests[0]
        assert sent["webhook_id"] == WEBHOOK_ID
        assert sent["transmission_sig"] == headers["PAYPAL-TRANSMISSION-SIG"]
        assert sent["cert_url"] == headers["PAYPAL-CERT-URL"]
        assert sent["auth_algo"] == "SHA256withRSA"
        assert sent["webhook_event"] == json.loads(BODY)

    def test_paypal_saying_failure_refuses_the_delivery(self, pki: Pki, paypal: FakePayPal) -> None:
        paypal.verdict = "FAILURE"
        headers = pki.headers(BODY, WEBHOOK_ID, "https://api.paypal.com/v1/notifications/certs/x")
        message = refusal(PayPalConnector(), BODY, headers, self.api_conf(paypal))
        assert "answered FAILURE" in message

    def test_wrong_app_credentials_are_reported_not_retried(
        self, pki: Pki, paypal: FakePayPal
    ) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, "https://api.paypal.com/v1/notifications/certs/x")
        with pytest.raises(PlatformRequestFailed) as caught:
            PayPalConnector().verify(
                BODY, headers, WEBHOOK_ID, now=NOW, settings=self.api_conf(paypal, "AZ:wrong")
            )
        assert caught.value.status == 401
        assert "invalid_client" in caught.value.message

    def test_without_credentials_nothing_is_verified(self, pki: Pki) -> None:
        headers = pki.headers(BODY, WEBHOOK_ID, "https://api.paypal.com/v1/notifications/certs/x")
        message = refusal(PayPalConnector(), BODY, headers, {"verification": "api"})
        assert "client_id:secret" in message

    def test_a_paypal_outage_is_retryable(self, pki: Pki, paypal: FakePayPal) -> None:
        paypal.failures["/v1/notifications/verify"] = ["429"]
        headers = pki.headers(BODY, WEBHOOK_ID, "https://api.paypal.com/v1/notifications/certs/x")
        with pytest.raises(PlatformUnavailable):
            PayPalConnector().verify(
                BODY, headers, WEBHOOK_ID, now=NOW, settings=self.api_conf(paypal)
            )


def parse(topic: str, body: bytes) -> tuple[Any, ...]:
    result = connector_for("paypal").parse(topic, body)
    assert_amounts_positive(result.events)
    return result.events


class TestCaptures:
    def test_a_capture_is_a_sale_of_its_gross_and_paypals_fee(self) -> None:
        paid, fee = parse("PAYMENT.CAPTURE.COMPLETED", BODY)
        assert isinstance(paid, OrderPaid) and isinstance(fee, Fee)
        assert paid.external_id == paid.order.order_id == "3C679366HH908993F"
        assert paid.order.name == "INV-1001"
        assert paid.order.total == usd("100.00")
        assert paid.order.payments[0].gateway == "paypal"
        assert (fee.external_id, fee.amount, fee.related_id) == (
            "3C679366HH908993F:fee",
            usd("3.98"),
            "3C679366HH908993F",
        )

    def test_without_an_invoice_the_order_is_named_by_custom_id(self) -> None:
        body = webhook(
            "PAYMENT.CAPTURE.COMPLETED", capture("C2", "5.00", "0.50", invoice=None), event_id="W"
        )
        assert parse("PAYMENT.CAPTURE.COMPLETED", body)[0].order.name == "cart-77"

    def test_a_bare_capture_from_the_api_parses_like_its_webhook(self) -> None:
        bare = json.dumps(capture("3C679366HH908993F", "100.00", "3.98")).encode()
        assert parse("PAYMENT.CAPTURE.COMPLETED", bare) == parse("PAYMENT.CAPTURE.COMPLETED", BODY)

    def test_a_capture_credited_in_another_currency_converts_the_net(self) -> None:
        found = capture("C3", "100.00", "3.98", receivable=("88.57", "EUR", "0.9219"))
        paid, fee, conversion = parse("PAYMENT.CAPTURE.COMPLETED", json.dumps(found).encode())
        assert (paid.order.total, fee.amount) == (usd("100.00"), usd("3.98"))
        assert isinstance(conversion, Conversion)
        assert conversion.source == usd("96.02")
        assert conversion.target == Money.of("88.57", "EUR")
        assert str(conversion.rate) == "0.9219"

    def test_the_legacy_sale_reads_its_transaction_fee(self, samples: Path) -> None:
        body = (samples / "webhooks/paypal/sigvector_payment_sale_completed_body.json").read_bytes()
        paid, fee = parse("PAYMENT.SALE.COMPLETED", body)
        assert paid.order.total == usd("20.00") and fee.amount == usd("0.88")

    @pytest.mark.parametrize("name", ["pending", "denied"])
    def test_pending_and_denied_captures_post_nothing(self, samples: Path, name: str) -> None:
        body = (samples / f"webhooks/paypal/event_payment.capture.{name}.json").read_bytes()
        result = connector_for("paypal").parse(f"PAYMENT.CAPTURE.{name.upper()}", body)
        assert result.events == () and result.notices

    def test_a_capture_still_pending_under_the_completed_topic_posts_nothing(self) -> None:
        found = capture("C4", "5.00", "0.50") | {"status": "PENDING"}
        result = connector_for("paypal").parse(
            "PAYMENT.CAPTURE.COMPLETED", json.dumps(found).encode()
        )
        assert result.events == () and "PENDING" in result.notices[0].message


class TestRefundsAndReversals:
    def test_a_refund_returns_its_gross_and_paypal_gives_back_part_of_its_fee(self) -> None:
        body = webhook(
            "PAYMENT.CAPTURE.REFUNDED",
            refund("1JU08902781691411", "3C679366HH908993F", "20.00", "0.60", when=NOW.isoformat()),
            event_id="WH-2",
        )
        (event,) = parse("PAYMENT.CAPTURE.REFUNDED", body)
        assert isinstance(event, Refund)
        assert event.order_id == "3C679366HH908993F"
        assert (event.amount, event.fee_refunded) == (usd("20.00"), usd("0.60"))

    def test_the_legacy_refund_sample_names_its_capture(self, samples: Path) -> None:
        body = (samples / "webhooks/paypal/event_payment.capture.refunded.json").read_bytes()
        (event,) = parse("PAYMENT.CAPTURE.REFUNDED", body)
        assert (event.order_id, event.amount) == ("5LK72275CG489890D", usd("0.15"))

    def test_a_reversal_is_a_lost_dispute_on_the_capture_it_reverses(self) -> None:
        reversal = refund("9R1", "3C679366HH908993F", "100.00", "3.98", when="2025-03-05T10:00:00Z")
        lost, returned = parse(
            "PAYMENT.CAPTURE.REVERSED", webhook("PAYMENT.CAPTURE.REVERSED", reversal, event_id="W")
        )
        assert isinstance(lost, Dispute) and lost.stage is DisputeStage.LOST
        assert lost.external_id == "3C679366HH908993F:dispute:lost"
        assert lost.amount == usd("100.00")
        assert isinstance(returned, Adjustment) and returned.direction == "credit"
        assert returned.amount == usd("3.98")

    def test_a_legacy_reversal_without_a_capture_is_keyed_on_itself_with_a_notice(
        self, samples: Path
    ) -> None:
        body = (samples / "webhooks/paypal/event_payment.capture.reversed.json").read_bytes()
        result = connector_for("paypal").parse("PAYMENT.CAPTURE.REVERSED", body)
        (lost,) = result.events
        assert isinstance(lost, Dispute) and lost.amount == usd("0.35")
        assert "names no capture" in result.notices[0].message


class TestDisputes:
    def test_a_new_case_holds_the_disputed_amount_of_the_capture(self, samples: Path) -> None:
        path = samples / "webhooks/paypal/event_customer.dispute.created_2019-11.json"
        (opened,) = parse("CUSTOMER.DISPUTE.CREATED", path.read_bytes())
        assert opened.stage is DisputeStage.OPENED
        assert (opened.dispute_id, opened.amount) == ("45V487086B989905H", usd("11.56"))

    def test_a_case_resolved_for_the_buyer_is_lost_on_the_same_key_as_a_reversal(
        self, samples: Path
    ) -> None:
        path = samples / "webhooks/paypal/event_customer.dispute.resolved.json"
        (lost,) = parse("CUSTOMER.DISPUTE.RESOLVED", path.read_bytes())
        assert lost.stage is DisputeStage.LOST
        assert lost.external_id == "6C589962JJ4368547:dispute:lost"

    @pytest.mark.parametrize(
        ("outcome", "stage"),
        [
            ("RESOLVED_SELLER_FAVOUR", DisputeStage.WON),
            ("CANCELED_BY_BUYER", DisputeStage.WON),
            ("RESOLVED_WITH_PAYOUT", DisputeStage.WON),
            ("ACCEPTED", DisputeStage.LOST),
            ("NONE", None),
        ],
    )
    def test_the_outcome_decides_the_stage(
        self, samples: Path, outcome: str, stage: DisputeStage | None
    ) -> None:
        path = samples / "webhooks/paypal/event_customer.dispute.resolved.json"
        data = json.loads(path.read_bytes())
        data["resource"]["dispute_outcome"]["outcome_code"] = outcome
        result = connector_for("paypal").parse(
            "CUSTOMER.DISPUTE.RESOLVED", json.dumps(data).encode()
        )
        stages = [e.stage if isinstance(e, Dispute) else e for e in result.events]
        assert stages == ([stage] if stage else [])


class TestWithdrawals:
    def test_a_withdrawal_row_is_a_payout_of_what_reached_the_bank(self) -> None:
        found = row("5WD1", "T0400", "-76.64", when="2025-03-08T09:00:00+0000", fee="-0.25")
        (payout,) = parse("ledgerbridge.withdrawal", json.dumps(found).encode())
        assert isinstance(payout, Payout)
        assert (payout.external_id, payout.amount, payout.fees) == (
            "5WD1",
            usd("76.64"),
            usd("0.25"),
        )
        assert payout.arrival_date == dt.date(2025, 3, 8)

    def test_a_denied_withdrawal_moves_nothing(self) -> None:
        found = row("5WD2", "T0400", "-10.00", when="2025-03-08T09:00:00+0000", status="D")
        result = connector_for("paypal").parse(
            "ledgerbridge.withdrawal", json.dumps(found).encode()
        )
        assert [e.status for e in result.events if isinstance(e, Payout)] == ["failed"]


class TestDeliveries:
    def test_every_sample_is_read_or_refused_as_unsupported(self, samples: Path) -> None:
        connector = connector_for("paypal")
        posted = {}
        for path in sorted((samples / "webhooks/paypal").glob("event_*.json")):
            body = path.read_bytes()
            delivery = connector.delivery(body, {})
            assert delivery.external_id.startswith("WH-")
            if delivery.topic not in connector.supported_topics:
                with pytest.raises(UnsupportedTopic):
                    connector.parse(delivery.topic, body)
                continue
            posted[path.name] = connector.parse(delivery.topic, body).events
        assert "event_payment.payoutsbatch.success.json" not in posted
        assert len(posted) == 10

    def test_a_body_under_another_topic_names_the_field(self) -> None:
        with pytest.raises(PayloadInvalid) as caught:
            connector_for("paypal").parse("PAYMENT.CAPTURE.REFUNDED", BODY)
        assert caught.value.field == "event_type"

    def test_a_fee_in_another_currency_than_its_sale_names_the_field(self) -> None:
        found = capture("C5", "10.00", "0.50")
        found["seller_receivable_breakdown"]["paypal_fee"]["currency_code"] = "EUR"
        with pytest.raises(PayloadInvalid) as caught:
            connector_for("paypal").parse("PAYMENT.CAPTURE.COMPLETED", json.dumps(found).encode())
        assert caught.value.field == "seller_receivable_breakdown.paypal_fee.currency_code"

    @settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(data=st.data())
    def test_a_damaged_event_is_read_or_refused_naming_a_field(self, data: st.DataObject) -> None:
        reversal = refund("9R1", "3C", "100.00", "3.98", when="2025-03-05T10:00:00Z")
        topic, payload = data.draw(
            st.sampled_from(
                [
                    ("PAYMENT.CAPTURE.COMPLETED", json.loads(BODY)),
                    (
                        "PAYMENT.CAPTURE.REFUNDED",
                        {"event_type": "PAYMENT.CAPTURE.REFUNDED", "id": "W", "resource": reversal},
                    ),
                    (
                        "ledgerbridge.withdrawal",
                        row("5WD1", "T0400", "-7.00", when="2025-03-08T09:00:00+0000", fee="-0.25"),
                    ),
                ]
            )
        )
        payload = copy.deepcopy(payload)
        mutate(payload, data)
        try:
            connector_for("paypal").parse(topic, json.dumps(payload).encode())
        except PayloadInvalid as exc:
            assert exc.field
