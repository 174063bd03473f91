"""Audited changes as events for internal systems (signed webhooks).

Pure functions, no store: the audit repository builds each event's body with
`event_body` in the transaction that records the change, and the outbox
worker signs it with `signature` when it delivers it. The scheme, the one the
README's "Events" section documents for receivers:

- body: compact JSON (UTF-8) with the event's `id` (stable across retries and
  shared by every endpoint that gets it: the receiver's dedup key), `type`
  (the audit kind), `time`, `account_id`, `serial_number` and `detail` (the
  audit detail, which never holds a secret);
- headers: `Aspel-Webhook-Id`, `Aspel-Webhook-Timestamp` (Unix seconds of
  this attempt) and `Aspel-Webhook-Signature: v1=<hex>`, where hex is
  HMAC-SHA256(secret, f"{timestamp}.{body}").
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import serials

#: The outbox kind of a webhook delivery (mail/worker.py sends it over HTTP).
WEBHOOK_KIND = "webhook"
#: The server secret whose 32 bytes seal the endpoints' signing secrets.
SEALING_SECRET_NAME = "webhook_secrets"  # noqa: S105 (the row's name, not a secret)
SEALING_KEY_BYTES = 32
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
ENDPOINT_PREFIX = "whe_"
EVENT_PREFIX = "evt_"
SIGNATURE_VERSION = "v1"

ID_HEADER = "Aspel-Webhook-Id"
TIMESTAMP_HEADER = "Aspel-Webhook-Timestamp"
SIGNATURE_HEADER = "Aspel-Webhook-Signature"

_SEAL_VERSION = b"\x01"
_NONCE_BYTES = 12


def new_event_id() -> str:
    return EVENT_PREFIX + uuid.uuid4().hex


def new_endpoint_id() -> str:
    return ENDPOINT_PREFIX + uuid.uuid4().hex[:20]


def new_signing_secret() -> str:
    """32 random bytes, URL-safe; the whole string (prefix included) is the HMAC key."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


#: Kinds anyone can cause without a session (a refused activation or offline
#: redeem, a failed login): sent only to an endpoint that names them exactly,
#: so an anonymous caller cannot make the server post to every endpoint at will.
REFUSAL_SUFFIXES = (".refused", ".failed")


def address_allowed(address: str, *, allow_loopback: bool) -> bool:
    """Whether a webhook may be sent to this IP address. Internal systems
    (billing, CRM) live on private networks, so private addresses are fine;
    what no endpoint is: a link-local address (the cloud's metadata service at
    169.254.169.254), an unspecified, multicast or reserved one, and loopback
    (this machine's own services) unless the deployment allows it. An
    IPv4-mapped IPv6 address is judged as its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return not (ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved)


def matches(event_types: Sequence[str], kind: str) -> bool:
    """Empty: every type. Otherwise an exact type, or a prefix ending in "."
    ("payment." matches "payment.recorded"), as ListAuditEvents filters.
    Refusals (REFUSAL_SUFFIXES) match an exact type only."""
    if kind.endswith(REFUSAL_SUFFIXES):
        return kind in event_types
    if not event_types:
        return True
    return any(kind == t or (t.endswith(".") and kind.startswith(t)) for t in event_types)


def event_body(
    *,
    event_id: str,
    kind: str,
    time: dt.datetime,
    account_id: str | None,
    serial_number: str | None,
    detail: Mapping[str, Any],
) -> str:
    """The JSON every endpoint receives for one event, byte for byte on every attempt."""
    document = {
        "id": event_id,
        "type": kind,
        "time": time.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "account_id": account_id,
        "serial_number": serials.display(serial_number) if serial_number else None,
        "detail": dict(detail),
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def signature(secret: str, timestamp: int, body: str) -> str:
    """The `Aspel-Webhook-Signature` header's value for one attempt."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def endpoints_for(endpoints: Iterable[tuple[str, Sequence[str]]], kind: str) -> list[str]:
    """The ids of the (id, event_types) pairs that want an event of `kind`."""
    return [endpoint_id for endpoint_id, types in endpoints if matches(types, kind)]


class SealedSecrets:
    """Endpoint secrets encrypted at rest: AES-GCM with a server secret, the
    endpoint's id as associated data (a sealed secret copied onto another
    endpoint's row does not open)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != SEALING_KEY_BYTES:
            raise ValueError(f"a sealing key has {SEALING_KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, endpoint_id: str, secret: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), _SEAL_VERSION + endpoint_id.encode())
        return base64.b64encode(_SEAL_VERSION + nonce + sealed).decode()

    def open(self, endpoint_id: str, sealed: str) -> str:
        """The plain secret; ValueError when it was not sealed for this endpoint with this key."""
        raw = base64.b64decode(sealed)
        if raw[:1] != _SEAL_VERSION:
            raise ValueError("unknown sealed-secret version")
        nonce, body = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, body, _SEAL_VERSION + endpoint_id.encode())
        except InvalidTag as exc:
            raise ValueError("the sealed secret does not open with this key") from exc
        return plain.decode()


class SealingKey:
    """The deployment's `SealedSecrets`, read on first use and then kept (the
    key never changes): `fetch` is `Store.secret`, which makes the row the
    first time anyone needs it, so this module still holds no store."""

    def __init__(
        self,
        fetch: Callable[[str, int, dt.datetime], bytes],
        now: Callable[[], dt.datetime],
    ) -> None:
        self._fetch = fetch
        self._now = now
        self._sealed: SealedSecrets | None = None

    def __call__(self) -> SealedSecrets:
        if self._sealed is None:
            key = self._fetch(SEALING_SECRET_NAME, SEALING_KEY_BYTES, self._now())
            self._sealed = SealedSecrets(key)
        return self._sealed
