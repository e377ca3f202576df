"""PayPal webhook signatures: the signed string, and the two ways of checking it.

PayPal signs ``"<transmission_id>|<transmission_time>|<webhook_id>|<crc32(raw body)>"`` (the CRC
as an unsigned decimal) with RSA PKCS#1 v1.5 over SHA-256 (``PAYPAL-AUTH-ALGO:
SHA256withRSA``) and sends the signature base64-encoded in ``PAYPAL-TRANSMISSION-SIG``. The
webhook id is *ours*: PayPal never sends it, which is why the connection's secret is the id of
the webhook registered in the PayPal app, and why a delivery meant for another webhook fails.
Source: PayPal's SDK ``paypalrestsdk/notifications.py`` (``_get_expected_sig``, ``verify``).

* **Offline** (default): the key comes from the certificate at ``PAYPAL-CERT-URL``, once
  :class:`~ledgerbridge.connectors.paypal_certs.CertificateStore` has checked where it came
  from, its name, its dates and its chain.
* **By API** (setting ``verification: "api"``): PayPal itself says SUCCESS or FAILURE at
  ``POST /v1/notifications/verify-webhook-signature``. This needs the connection's API URL and
  ``client_id:secret``, which the ingress passes in ``settings`` as ``api_url``/``api_token``
  next to the stored settings (they are never stored there).

No timestamp tolerance is enforced, as in PayPal's SDKs: PayPal re-delivers failed events for
days with their original transmission time. Replays are harmless, since the inbox keeps one row
per event id.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ledgerbridge.connectors.base import SignatureInvalid, lower_headers
from ledgerbridge.connectors.paypal_api import (
    DEFAULT_API,
    ClientCredentials,
    credentials,
    paypal_client,
    verification_status,
)
from ledgerbridge.connectors.paypal_certs import CertificateStore
from ledgerbridge.errors import InvalidInput

AUTH_ALGO = "SHA256withRSA"


def crc32(body: bytes) -> int:
    """The unsigned CRC-32 of the raw body, as PayPal puts it in the signed string."""
    return zlib.crc32(body) & 0xFFFFFFFF


def signed_string(
    transmission_id: str, transmission_time: str, webhook_id: str, body: bytes
) -> str:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc32(body)}"


@dataclass(frozen=True, slots=True)
class Transmission:
    """The ``PAYPAL-*`` headers of one delivery."""

    transmission_id: str
    transmission_time: str
    signature: str
    cert_url: str
    auth_algo: str

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> Transmission:
        """Read the headers; SignatureInvalid naming the first one missing."""
        lowered = lower_headers(headers)
        values = []
        for name in ("id", "time", "sig"):
            value = lowered.get(f"paypal-transmission-{name}")
            if not value:
                raise SignatureInvalid(f"missing PAYPAL-TRANSMISSION-{name.upper()} header")
            values.append(value)
        cert_url = lowered.get("paypal-cert-url")
        if not cert_url:
            raise SignatureInvalid("missing PAYPAL-CERT-URL header")
        algo = lowered.get("paypal-auth-algo") or AUTH_ALGO
        return cls(values[0], values[1], values[2], cert_url, algo)

    def message(self, webhook_id: str, body: bytes) -> bytes:
        return signed_string(
            self.transmission_id, self.transmission_time, webhook_id, body
        ).encode()


def verify_offline(
    store: CertificateStore,
    body: bytes,
    sent: Transmission,
    webhook_id: str,
    *,
    now: dt.datetime,
    settings: Mapping[str, Any],
) -> None:
    """RSA-verify the signature with the checked certificate's key; raises SignatureInvalid
    (with the reason) or PlatformUnavailable (the certificate could not be fetched)."""
    if sent.auth_algo != AUTH_ALGO:
        raise SignatureInvalid(
            f"PAYPAL-AUTH-ALGO is {sent.auth_algo!r}; only {AUTH_ALGO} is accepted"
        )
    try:
        signature = base64.b64decode(sent.signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid("PAYPAL-TRANSMISSION-SIG is not base64") from None
    key = store.public_key(sent.cert_url, now=now, settings=settings)
    try:
        key.verify(signature, sent.message(webhook_id, body), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureInvalid(
            "PAYPAL-TRANSMISSION-SIG does not match this body, transmission and webhook id"
        ) from None


class ApiVerifier:
    """Verification by PayPal's API, with one cached token per (API, client id)."""

    def __init__(self, *, max_tokens: int = 64) -> None:
        self.max_tokens = max_tokens
        self._auth: dict[tuple[str, str, str], ClientCredentials] = {}
        self._lock = threading.Lock()

    def auth_for(self, base_url: str, api_token: str) -> ClientCredentials:
        client_id, secret = credentials(api_token)
        key = (base_url, client_id, secret)
        with self._lock:
            auth = self._auth.get(key)
            if auth is None:
                if len(self._auth) >= self.max_tokens:
                    self._auth.clear()
                auth = self._auth[key] = ClientCredentials(base_url, client_id, secret)
        return auth

    def verify(
        self, body: bytes, sent: Transmission, webhook_id: str, settings: Mapping[str, Any]
    ) -> None:
        """Raises SignatureInvalid on FAILURE (or without credentials), PlatformUnavailable
        when PayPal cannot answer now, PlatformRequestFailed when it refuses the request."""
        base_url = str(settings.get("api_url") or DEFAULT_API)
        token = settings.get("api_token")
        if not isinstance(token, str) or not token:
            raise SignatureInvalid(
                "verification by API needs the connection's PayPal client_id:secret, "
                "and none was given"
            )
        try:
            auth = self.auth_for(base_url, token)
        except InvalidInput as exc:
            raise SignatureInvalid(exc.message) from None
        fields = {
            "auth_algo": sent.auth_algo,
            "cert_url": sent.cert_url,
            "transmission_id": sent.transmission_id,
            "transmission_sig": sent.signature,
            "transmission_time": sent.transmission_time,
            "webhook_id": webhook_id,
        }
        # One attempt: the ingress must answer now; a 503 makes PayPal deliver again later.
        with paypal_client(base_url, auth, max_attempts=1, timeout=15.0) as client:
            status = verification_status(client, fields, body)
        if status != "SUCCESS":
            raise SignatureInvalid(f"PayPal's verification API answered {status}")
