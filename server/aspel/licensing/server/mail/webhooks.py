"""Delivers the outbox's webhook rows (kind "webhook") over HTTP(S).

The outbox worker (worker.py) claims a webhook row exactly as it claims an
email, then hands it here instead of to the mail transport. One POST per
attempt, signed for that attempt (domain/events.py): the body is the row's,
byte for byte, so a receiver dedups on the event id; the timestamp is the
attempt's, so a receiver can refuse old replays.

- 2xx: delivered.
- 410 Gone: the receiver says the endpoint is no more. The endpoint is
  disabled (as if deleted, reason "gone", audited) and the row FAILED; every
  other pending row of that endpoint then fails without being sent.
- Anything else (a 3xx, since redirects are not followed; a 4xx or 5xx; no
  connection; a connect or read timeout): a temporary failure, retried with
  the outbox's backoff until its attempts or hours run out (FAILED).

An error text names the HTTP status or the kind of network failure, never the
URL (it may carry a token in its query) nor the secret.
"""

from __future__ import annotations

import enum
import http.client
import logging
import socket
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..domain import events
from ..domain.clock import Clock
from ..store.database import Store

log = logging.getLogger(__name__)

#: Read of a receiver's answer, at most (its content is ignored).
_MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "aspel-licensing-webhooks/1"
SYSTEM_ACTOR = "system:webhooks"


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str = ""


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The HTTP status of one POST; raises OSError (timeouts included) when
        there is no answer."""
        ...


class AddressNotAllowed(OSError):
    """The endpoint's name resolves to an address no webhook goes to."""


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to an address checked beforehand, with TLS (SNI and the
    certificate's name) for the endpoint's host name: a DNS answer that
    changes between the check and the connection cannot redirect it."""

    def __init__(self, host: str, address: str, port: int | None, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _checked_address(host: str, port: int, *, allow_loopback: bool) -> str:
    """The first address the host resolves to, when every one is allowed
    (events.address_allowed); AddressNotAllowed otherwise."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not all(
        events.address_allowed(a, allow_loopback=allow_loopback) for a in addresses
    ):
        raise AddressNotAllowed(f"{host} resolves to an address webhooks are not sent to")
    return addresses[0]


@dataclass(eq=False)
class HttpPoster:
    """http.client with separate connect and read timeouts; no redirects, no
    proxies, TLS verified with the system's CAs; only to addresses
    events.address_allowed admits, checked on every attempt."""

    connect_timeout: float
    read_timeout: float
    allow_loopback: bool = field(default=False, kw_only=True)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = _checked_address(host, port, allow_loopback=self.allow_loopback)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = _PinnedHTTPSConnection(
                host,
                address,
                port,
                timeout=self.connect_timeout,
                context=ssl.create_default_context(),
            )
        else:
            # Plain http goes to loopback only (validation.webhook_url); the
            # Host header still names the endpoint.
            connection = http.client.HTTPConnection(address, port, timeout=self.connect_timeout)
            headers = {**headers, "Host": parts.netloc}
        try:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self.read_timeout)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read(_MAX_RESPONSE_BYTES)
            return int(response.status)
        finally:
            connection.close()


def _network_error(exc: BaseException) -> str:
    if isinstance(exc, AddressNotAllowed):
        return "address not allowed"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({type(exc).__name__})"
    return f"no answer ({type(exc).__name__})"


class WebhookSender:
    """Sends one claimed webhook row; the worker records the outcome."""

    def __init__(self, store: Store, clock: Clock, poster: Poster) -> None:
        self.store = store
        self.clock = clock
        self.poster = poster
        self._secrets = events.SealingKey(store.secret, clock.now)

    def send(self, payload: Mapping[str, object]) -> Result:
        endpoint_id = str(payload.get("endpoint_id", ""))
        body = str(payload.get("body", ""))
        event_id = str(payload.get("event_id", ""))
        with self.store.read() as tx:
            endpoint = tx.webhooks.find_active(endpoint_id)
        if endpoint is None:
            return Result(Outcome.FAILED, "endpoint deleted or disabled: not sent")
        try:
            secret = self._secrets().open(endpoint.public_id, endpoint.secret_sealed)
        except ValueError:
            return Result(Outcome.FAILED, "the endpoint's secret does not open: not sent")
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            events.ID_HEADER: event_id,
            events.TIMESTAMP_HEADER: str(timestamp),
            events.SIGNATURE_HEADER: events.signature(secret, timestamp, body),
        }
        try:
            status = self.poster.post(endpoint.url, body.encode(), headers)
        except (OSError, http.client.HTTPException) as exc:
            return Result(Outcome.RETRY, _network_error(exc))
        if 200 <= status < 300:
            return Result(Outcome.DELIVERED)
        if status == 410:
            self._disable(endpoint_id)
            return Result(Outcome.FAILED, "HTTP 410 Gone: endpoint disabled")
        return Result(Outcome.RETRY, f"HTTP {status}")

    def _disable(self, endpoint_id: str) -> None:
        now = self.clock.now()
        with self.store.write() as tx:
            if tx.webhooks.end(endpoint_id, reason="gone", now=now):
                tx.audit.record(
                    kind="webhook_endpoint.disabled",
                    actor=SYSTEM_ACTOR,
                    now=now,
                    detail={"endpoint_id": endpoint_id, "reason": "HTTP 410 Gone"},
                )
        log.warning("webhook endpoint %s answered 410 Gone: disabled", endpoint_id)
