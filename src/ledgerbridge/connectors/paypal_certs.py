"""PayPal's signing certificates: where they may come from, how long we keep them, and the
checks that make the key inside them worth trusting.

A PayPal delivery names its own certificate (``PAYPAL-CERT-URL``). Anyone can put any URL in
that header, so the URL is worth nothing until four things hold:

1. **Origin.** The certificate is only fetched from an allow-listed origin (scheme, host and
   port): PayPal's live and sandbox API hosts by default. A connection's
   ``paypal_cert_origins`` setting *replaces* the list (tests serve certificates from
   ``http://127.0.0.1:<port>``). A URL with user info (``https://api.paypal.com@evil.test/``)
   is refused outright; it exists only to fool a reader.
2. **Name.** The leaf's subject CN must end in ``.paypal.com``. No setting relaxes this: a
   trusted CA will happily certify ``attacker.example``, and only the name says the key is
   PayPal's.
3. **Dates.** The leaf must be valid at the delivery's ``now`` (the injected clock).
4. **Chain.** PayPal's URL answers with the leaf followed by its intermediates in one PEM. The
   chain must lead to a trust anchor: the certifi CA bundle by default, or the PEM file named
   by the ``paypal_ca_bundle`` setting. Path building and the CA checks (basic constraints,
   key usage, signatures, validity of every link) are ``cryptography.x509.verification``'s,
   with the leaf's own extensions left unconstrained: PayPal's message-signing certificate is
   not a TLS server or client certificate and need not carry a SAN or an EKU.

Fetched certificates are cached in memory by URL (at most :data:`CACHE_SIZE` URLs, least
recently used evicted) for :data:`CACHE_TTL` of the injected clock, and never past the leaf's
own expiry, so a delivery burst costs one download. A network failure while fetching is
:class:`~ledgerbridge.connectors.base.PlatformUnavailable` (the ingress answers 503 and PayPal
delivers again later); everything else that fails is
:class:`~ledgerbridge.connectors.base.SignatureInvalid` with the reason.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509 import verification
from cryptography.x509.oid import NameOID

from ledgerbridge.connectors.base import PlatformRequestFailed, SignatureInvalid
from ledgerbridge.sync import http as sync_http  # module, not name: sync.http imports us

DEFAULT_ORIGINS = (
    "https://api.paypal.com",
    "https://api-m.paypal.com",
    "https://api.sandbox.paypal.com",
    "https://api-m.sandbox.paypal.com",
)
"""Where PayPal serves its webhook certificates (live and sandbox)."""
REQUIRED_CN_SUFFIX = ".paypal.com"
CACHE_SIZE = 32
CACHE_TTL = dt.timedelta(hours=12)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` in lower case, the default port left out; SignatureInvalid when
    the URL cannot be read or carries user info."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise SignatureInvalid(f"PAYPAL-CERT-URL {url!r} is not a URL") from None
    if not parsed.scheme or not parsed.host:
        raise SignatureInvalid(f"PAYPAL-CERT-URL {url!r} is not an absolute URL")
    if parsed.userinfo:
        raise SignatureInvalid(f"PAYPAL-CERT-URL {url!r} carries user info; refused")
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}".lower()


def allowed_origins(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The connection's ``paypal_cert_origins`` (normalised), or PayPal's own hosts."""
    given = settings.get("paypal_cert_origins")
    if given is None:
        return DEFAULT_ORIGINS
    if not isinstance(given, list | tuple) or not all(isinstance(o, str) for o in given):
        raise SignatureInvalid("the paypal_cert_origins setting must be a list of origins")
    return tuple(origin_of(o) for o in given)


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class _Fetched:
    at: dt.datetime
    chain: tuple[x509.Certificate, ...]


class CertificateStore:
    """Fetches, caches and checks PayPal certificates; safe to share between threads."""

    def __init__(
        self, *, ttl: dt.timedelta = CACHE_TTL, size: int = CACHE_SIZE, timeout: float = 10.0
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.timeout = timeout
        self._cache: OrderedDict[str, _Fetched] = OrderedDict()
        self._anchors: dict[tuple[str, float], verification.Store] = {}
        self._lock = threading.Lock()

    def public_key(
        self, url: str, *, now: dt.datetime, settings: Mapping[str, Any] | None = None
    ) -> RSAPublicKey:
        """The RSA key of the certificate at ``url`` once every check of the module docstring
        passes. Raises SignatureInvalid (with the reason) or PlatformUnavailable."""
        settings = settings or {}
        origin = origin_of(url)
        allowed = allowed_origins(settings)
        if origin not in allowed:
            raise SignatureInvalid(
                f"certificate host {httpx.URL(url).host!r} is not allowed "
                f"(allowed: {', '.join(allowed)})"
            )
        chain = self._chain(url, origin, now)
        leaf = chain[0]
        name = common_name(leaf)
        if not name.lower().endswith(REQUIRED_CN_SUFFIX):
            raise SignatureInvalid(f"certificate CN {name!r} is not a {REQUIRED_CN_SUFFIX} name")
        if now < leaf.not_valid_before_utc:
            raise SignatureInvalid(
                f"certificate {name} is not valid before {leaf.not_valid_before_utc.isoformat()}"
            )
        if now > leaf.not_valid_after_utc:
            raise SignatureInvalid(
                f"certificate {name} expired on {leaf.not_valid_after_utc.isoformat()}"
            )
        self._check_chain(leaf, chain[1:], now, settings)
        key = leaf.public_key()
        if not isinstance(key, RSAPublicKey):
            raise SignatureInvalid(f"certificate {name} does not hold an RSA key")
        return key

    def _chain(self, url: str, origin: str, now: dt.datetime) -> tuple[x509.Certificate, ...]:
        with self._lock:
            hit = self._cache.get(url)
            if hit is not None and self._fresh(hit, now):
                self._cache.move_to_end(url)
                return hit.chain
        chain = self._download(url, origin)
        with self._lock:
            self._cache[url] = _Fetched(now, chain)
            self._cache.move_to_end(url)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return chain

    def _fresh(self, fetched: _Fetched, now: dt.datetime) -> bool:
        return now - fetched.at < self.ttl and now <= fetched.chain[0].not_valid_after_utc

    def _download(self, url: str, origin: str) -> tuple[x509.Certificate, ...]:
        """One GET, no retries here: a failure answers 503 and PayPal delivers again."""
        with sync_http.ApiClient(
            platform="PayPal", base_url=origin, timeout=self.timeout, max_attempts=1
        ) as client:
            try:
                response = client.get(url)
            except PlatformRequestFailed as exc:
                raise SignatureInvalid(
                    f"the certificate URL {url} answered {exc.status}; no such certificate"
                ) from None
        try:
            chain = x509.load_pem_x509_certificates(response.content)
        except ValueError:
            raise SignatureInvalid(f"the certificate URL {url} did not answer with PEM") from None
        return tuple(chain)

    def _check_chain(
        self,
        leaf: x509.Certificate,
        intermediates: Sequence[x509.Certificate],
        now: dt.datetime,
        settings: Mapping[str, Any],
    ) -> None:
        verifier = (
            verification.PolicyBuilder()
            .store(self._trust_anchors(settings))
            .time(now)
            .extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=verification.ExtensionPolicy.permit_all(),
            )
            .build_client_verifier()
        )
        try:
            verifier.verify(leaf, list(intermediates))
        except verification.VerificationError as exc:
            raise SignatureInvalid(
                f"certificate {common_name(leaf)} does not chain to a trusted CA ({exc})"
            ) from None

    def _trust_anchors(self, settings: Mapping[str, Any]) -> verification.Store:
        """The CA bundle as a verification store, re-read when the file changes."""
        given = settings.get("paypal_ca_bundle")
        if given is not None and not isinstance(given, str):
            raise SignatureInvalid("the paypal_ca_bundle setting must be a file path")
        path = Path(given or certifi.where())
        try:
            stamp = path.stat().st_mtime
            key = (str(path), stamp)
            with self._lock:
                cached = self._anchors.get(key)
            if cached is not None:
                return cached
            store = verification.Store(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as exc:
            raise SignatureInvalid(f"the CA bundle {path} cannot be read ({exc})") from None
        with self._lock:
            if len(self._anchors) >= 8:
                self._anchors.clear()
            self._anchors[key] = store
        return store
