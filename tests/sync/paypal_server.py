"""A small fake PayPal on 127.0.0.1 that speaks PayPal's wire format, and a throwaway PKI.

The server answers what the connector and the sync ask PayPal for: webhook certificates
(``/v1/notifications/certs/<name>``, the leaf followed by its intermediate in one PEM), OAuth
client-credentials tokens (``/v1/oauth2/token``, HTTP basic auth), webhook verification
(``/v1/notifications/verify-webhook-signature``), captures and refunds
(``/v2/payments/{captures,refunds}/<id>``) and the transaction search
(``/v1/reporting/transactions``, filtered by date and paged with ``total_pages``). Misbehaviour
is scripted per path prefix: ``"429"`` (with ``Retry-After: 7``) or ``"drop"`` (the connection
is cut without an answer).

The PKI is a root CA, an intermediate CA and leaves signed by it, made with ``cryptography``
for each test session: nothing here is PayPal's.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ledgerbridge.connectors.paypal_verify import signed_string

from .fake_http import Reply, Request, drop, json_reply, read_request, send, serve

PAYPAL_CN = "messageverificationcerts.paypal.com"
CLIENT_ID, CLIENT_SECRET = "AZ-client", "EL-secret"
API_TOKEN = f"{CLIENT_ID}:{CLIENT_SECRET}"
NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


# --- PKI -----------------------------------------------------------------------------------


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    cn: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    not_before: dt.datetime = NOW - dt.timedelta(days=30),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass
class Pki:
    """A root, an intermediate, PayPal-named leaves (good, expired, wrongly named) and a leaf
    from a second root that the bundle does not trust."""

    bundle: Path
    leaf_key: rsa.RSAPrivateKey
    chains: dict[str, bytes]
    """Certificate name → the PEM the cert URL answers with (leaf, then intermediate)."""

    @classmethod
    def create(cls, folder: Path) -> Pki:
        root_key, inter_key, leaf_key, stranger_key = _key(), _key(), _key(), _key()
        root = _cert("Test Root CA", root_key, None, root_key, ca=True)
        inter = _cert("Test Intermediate CA", inter_key, root, root_key, ca=True)
        stranger = _cert("Stranger Root CA", stranger_key, None, stranger_key, ca=True)

        def leaf(cn: str, issuer: x509.Certificate, ikey: rsa.RSAPrivateKey, **kw: Any) -> bytes:
            return pem(_cert(cn, leaf_key, issuer, ikey, ca=False, **kw))

        chains = {
            "good": leaf(PAYPAL_CN, inter, inter_key) + pem(inter),
            "expired": leaf(PAYPAL_CN, inter, inter_key, not_after=NOW - dt.timedelta(days=1))
            + pem(inter),
            "wrong-cn": leaf("messageverificationcerts.example.com", inter, inter_key) + pem(inter),
            "unchained": leaf(PAYPAL_CN, stranger, stranger_key) + pem(stranger),
            "not-pem": b"this is not a certificate",
        }
        bundle = folder / "test-ca.pem"
        bundle.write_bytes(pem(root))
        return cls(bundle, leaf_key, chains)

    def sign(self, message: str) -> str:
        signature = self.leaf_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def headers(
        self, body: bytes, webhook_id: str, cert_url: str, *, transmission_id: str = "tx-1"
    ) -> dict[str, str]:
        """The headers PayPal sends with ``body`` for the webhook ``webhook_id``."""
        when = "2025-03-10T11:59:58Z"
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": self.sign(
                signed_string(transmission_id, when, webhook_id, body)
            ),
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "Content-Type": "application/json",
        }


# --- the server ----------------------------------------------------------------------------


@dataclass
class FakePayPal:
    """What the fake knows and what it saw; tests fill and read it directly."""

    url: str = ""
    certs: dict[str, bytes] = field(default_factory=dict)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    verdict: str = "SUCCESS"
    failures: dict[str, list[str]] = field(default_factory=dict)
    """Path prefix → misbehaviours to play, one per request: ``"429"`` or ``"drop"``."""
    requests: list[Request] = field(default_factory=list)
    verify_requests: list[dict[str, Any]] = field(default_factory=list)
    tokens_issued: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hits(self, prefix: str) -> int:
        return sum(1 for request in self.requests if request.path.startswith(prefix))

    def cert_url(self, name: str) -> str:
        return f"{self.url}/v1/notifications/certs/{name}"

    def misbehaviour(self, path: str) -> str | None:
        with self.lock:
            for prefix, steps in self.failures.items():
                if path.startswith(prefix) and steps:
                    return steps.pop(0)
        return None

    def search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        start = dt.datetime.fromisoformat(query["start_date"][0])
        end = dt.datetime.fromisoformat(query["end_date"][0])
        size, page = int(query["page_size"][0]), int(query["page"][0])
        inside = [
            row
            for row in self.rows
            if start
            <= dt.datetime.fromisoformat(row["transaction_info"]["transaction_initiation_date"])
            < end
        ]
        pages = max(1, -(-len(inside) // size))
        return {
            "transaction_details": inside[(page - 1) * size : page * size],
            "account_number": "TESTACCOUNT",
            "start_date": query["start_date"][0],
            "end_date": query["end_date"][0],
            "page": page,
            "total_items": len(inside),
            "total_pages": pages,
        }


def _get(fake: FakePayPal, request: Request) -> Reply:
    if request.path.startswith("/v1/notifications/certs/"):
        chain = fake.certs.get(request.path.rsplit("/", 1)[-1])
        if chain is None:
            return json_reply(404, {"name": "RESOURCE_NOT_FOUND"})
        return 200, {"Content-Type": "application/x-pem-file"}, chain
    if not _authorised(request):
        return _UNAUTHORISED
    if request.path == "/v1/reporting/transactions":
        return json_reply(200, fake.search(request.query))
    for prefix, known in (
        ("/v2/payments/captures/", fake.captures),
        ("/v2/payments/refunds/", fake.refunds),
    ):
        if request.path.startswith(prefix):
            found = known.get(request.path[len(prefix) :])
            if found is None:
                return json_reply(404, {"name": "RESOURCE_NOT_FOUND"})
            return json_reply(200, found)
    return json_reply(404, {"name": "NOT_FOUND"})


def _post(fake: FakePayPal, request: Request) -> Reply:
    if request.path == "/v1/oauth2/token":
        expected = base64.b64encode(API_TOKEN.encode()).decode()
        form = parse_qs(request.body.decode())
        if request.headers.get("authorization") != f"Basic {expected}" or form.get(
            "grant_type"
        ) != ["client_credentials"]:
            return json_reply(401, {"error": "invalid_client"})
        with fake.lock:
            fake.tokens_issued += 1
            token = f"token-{fake.tokens_issued}"
        return json_reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 32400})
    if request.path == "/v1/notifications/verify-webhook-signature":
        if not _authorised(request):
            return _UNAUTHORISED
        fake.verify_requests.append(json.loads(request.body))
        return json_reply(200, {"verification_status": fake.verdict})
    return json_reply(404, {"name": "NOT_FOUND"})


_UNAUTHORISED = json_reply(401, {"error": "invalid_token"})


def _authorised(request: Request) -> bool:
    return request.headers.get("authorization", "").startswith("Bearer token-")


@contextmanager
def running(fake: FakePayPal) -> Iterator[FakePayPal]:
    """Serve ``fake`` on a free loopback port for the block; ``fake.url`` is its base URL."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        request = read_request(handler)
        fake.requests.append(request)
        step = fake.misbehaviour(request.path)
        if step == "drop":
            drop(handler)
        elif step == "429":
            send(handler, json_reply(429, {"name": "RATE_LIMIT_REACHED"}, {"Retry-After": "7"}))
        else:
            send(handler, (_post if request.method == "POST" else _get)(fake, request))

    with serve(answer, methods=("GET", "POST"), keep_alive=False) as url:
        fake.url = url
        yield fake


# --- PayPal resources, as the v2 API and the transaction search write them -----------------


def money(value: str, currency: str = "USD") -> dict[str, str]:
    return {"currency_code": currency, "value": value}


def capture(
    capture_id: str,
    gross: str,
    fee: str,
    *,
    when: str = "2025-03-01T10:00:00Z",
    invoice: str | None = "INV-1001",
    receivable: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """A v2 capture; ``receivable`` = (amount, currency, rate) when PayPal converted it."""
    net = str(Decimal(gross) - Decimal(fee))
    breakdown: dict[str, Any] = {
        "gross_amount": money(gross),
        "paypal_fee": money(fee),
        "net_amount": money(net),
    }
    if receivable is not None:
        amount, currency, rate = receivable
        breakdown["receivable_amount"] = money(amount, currency)
        breakdown["exchange_rate"] = {
            "source_currency": "USD",
            "target_currency": currency,
            "value": rate,
        }
    found: dict[str, Any] = {
        "id": capture_id,
        "status": "COMPLETED",
        "amount": money(gross),
        "final_capture": True,
        "seller_receivable_breakdown": breakdown,
        "custom_id": "cart-77",
        "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
        "create_time": when,
        "update_time": when,
        "links": [
            {"href": f"https://api-m.paypal.com/v2/payments/captures/{capture_id}", "rel": "self"}
        ],
    }
    if invoice is not None:
        found["invoice_id"] = invoice
    return found


def refund(
    refund_id: str, capture_id: str, gross: str, fee_back: str, *, when: str
) -> dict[str, Any]:
    net = str(Decimal(gross) - Decimal(fee_back))
    return {
        "id": refund_id,
        "status": "COMPLETED",
        "amount": money(gross),
        "note_to_payer": "Returned item",
        "seller_payable_breakdown": {
            "gross_amount": money(gross),
            "paypal_fee": money(fee_back),
            "net_amount": money(net),
            "total_refunded_amount": money(gross),
        },
        "create_time": when,
        "update_time": when,
        "links": [
            {"href": f"https://api-m.paypal.com/v2/payments/refunds/{refund_id}", "rel": "self"},
            {"href": f"https://api-m.paypal.com/v2/payments/captures/{capture_id}", "rel": "up"},
        ],
    }


def webhook(event_type: str, resource: dict[str, Any], *, event_id: str) -> bytes:
    """The envelope PayPal posts for ``resource``."""
    return json.dumps(
        {
            "id": event_id,
            "event_version": "1.0",
            "create_time": "2025-03-10T11:59:58Z",
            "resource_type": "refund" if "REFUND" in event_type else "capture",
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": event_type,
            "resource": resource,
        }
    ).encode()


def row(
    txn_id: str,
    code: str,
    amount: str,
    *,
    when: str,
    fee: str | None = None,
    status: str = "S",
    reference: str | None = None,
) -> dict[str, Any]:
    """One ``transaction_details`` item of the transaction search."""
    info: dict[str, Any] = {
        "paypal_account_id": "TESTPAYER",
        "transaction_id": txn_id,
        "transaction_event_code": code,
        "transaction_initiation_date": when,
        "transaction_updated_date": when,
        "transaction_amount": money(amount),
        "transaction_status": status,
    }
    if fee is not None:
        info["fee_amount"] = money(fee)
    if reference is not None:
        info["paypal_reference_id"] = reference
        info["paypal_reference_id_type"] = "TXN"
    return {"transaction_info": info, "payer_info": {}, "cart_info": {}}
