"""Page tokens are opaque (AIP-158): only a token this server issued, for the same
list and the same filters, is accepted; anything else is INVALID_PAGE_TOKEN,
never INTERNAL. The key is a server secret in the database, so every process
of a deployment accepts the tokens of the others."""

from __future__ import annotations

import base64
import json
import struct
import threading
from typing import Any

import grpc
import pytest

from aspel.licensing.server.app import create_server
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import ServerSecret
from aspel.licensing.server.transport.pagination import (
    AUDIT_EVENTS,
    MAX_TOKEN_CHARS,
    SIGNING_KEYS,
    SUBSCRIPTIONS,
    PageTokens,
)
from aspel.licensing.v1 import activation_service_pb2, admin_service_pb2, licensing_service_pb2

from .calls import call_raw
from .credentials import for_service, service_key, session_token

LISTS = {
    "subscriptions": (
        "/aspel.licensing.v1.LicensingService/ListSubscriptions",
        licensing_service_pb2.ListSubscriptionsRequest,
    ),
    "signing_keys": (
        "/aspel.licensing.v1.ActivationService/ListSigningKeys",
        activation_service_pb2.ListSigningKeysRequest,
    ),
    "audit_events": (
        "/aspel.licensing.v1.AdminService/ListAuditEvents",
        admin_service_pb2.ListAuditEventsRequest,
    ),
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Tokens this server never issued; several used to answer INTERNAL.
FOREIGN_TOKENS = {
    "overflow": _b64(b'{"k":"subscriptions","a":99999999999999999999999}'),
    "bool-position": _b64(b'{"k":"subscriptions","a":true}'),
    "deep-json": _b64(b"[" * 100_000 + b"]" * 100_000)[:40_000],
    "old-format": _b64(b'{"k":"subscriptions","a":1}'),
    "not-base64": "¡no es un token!",
    "empty-json": _b64(b"{}"),
    "long": "A" * (MAX_TOKEN_CHARS + 1),
    "right-length-random": _b64(b"\x01" + bytes(range(36))),
}


@pytest.fixture
def callers(server: Any) -> dict[str, list[tuple[str, str]]]:
    session, key = session_token(server), service_key(server)
    return {name: for_service(path, session, key) for name, (path, _) in LISTS.items()}


def test_a_token_the_server_did_not_issue_is_invalid_page_token_on_every_list(
    server: Any, callers: dict[str, list[tuple[str, str]]]
) -> None:
    answers = {
        (listing, name): call_raw(
            server.channel, path, request(page_token=token).SerializeToString(), callers[listing]
        )
        for listing, (path, request) in LISTS.items()
        for name, token in FOREIGN_TOKENS.items()
    }
    wrong = {
        key: (a.code, a.reason)
        for key, a in answers.items()
        if (a.code, a.reason) != (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
    }
    assert wrong == {}


def _subscriptions(server: Any, token: str, page_token: str = "") -> Any:
    stub = server.channel.unary_unary(
        LISTS["subscriptions"][0],
        request_serializer=licensing_service_pb2.ListSubscriptionsRequest.SerializeToString,
        response_deserializer=licensing_service_pb2.ListSubscriptionsResponse.FromString,
    )
    return stub(
        licensing_service_pb2.ListSubscriptionsRequest(page_size=1, page_token=page_token),
        metadata=[("authorization", f"Bearer {token}")],
        timeout=10,
    )


def test_a_token_reveals_no_row_id_and_differs_each_time(server: Any) -> None:
    token = session_token(server)
    first = _subscriptions(server, token)
    again = _subscriptions(server, token)
    assert first.next_page_token and first.next_page_token != again.next_page_token
    raw = base64.urlsafe_b64decode(first.next_page_token + "==")
    positions = {struct.pack(">Q", n) for n in range(1, 1000)}
    assert not any(p in raw for p in positions)
    with pytest.raises(ValueError):
        json.loads(raw)


def test_a_token_of_one_account_is_refused_for_another(server: Any) -> None:
    demo = session_token(server)
    other = session_token(server, "demo2", "demo2-aspel-2026")
    token = _subscriptions(server, demo).next_page_token
    assert _subscriptions(server, demo, token).subscriptions
    body = licensing_service_pb2.ListSubscriptionsRequest(page_token=token).SerializeToString()
    answer = call_raw(
        server.channel, LISTS["subscriptions"][0], body, [("authorization", f"Bearer {other}")]
    )
    assert answer.reason == "INVALID_PAGE_TOKEN"


def test_every_process_of_a_deployment_accepts_the_tokens_of_the_others(
    server: Any, settings: Settings, clock: Any
) -> None:
    """A second server on the same database (as another worker or machine would
    be) builds its own services, reads the key and accepts the first's token."""
    token = session_token(server)
    page_token = _subscriptions(server, token).next_page_token
    other, port, built = create_server(settings, clock)
    other.start()
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        second = type(server)(f"127.0.0.1:{port}", channel, built)
        assert _subscriptions(second, token, page_token).subscriptions
        channel.close()
    finally:
        other.stop(None).wait()


def test_the_key_is_created_once_by_concurrent_first_users(server: Any, clock: Any) -> None:
    store = server.services.store
    found: list[bytes] = []

    def first_use() -> None:
        found.append(store.secret("race-test", 32, clock.now()))

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(found) == 6 and len(set(found)) == 1 and len(found[0]) == 32
    with store.connection():
        assert ServerSecret.select().where(ServerSecret.name == "race-test").count() == 1


# --- the codec itself ------------------------------------------------------------


CODEC = PageTokens(bytes(range(32)))


def test_a_token_works_only_for_its_list_and_its_filters() -> None:
    token = CODEC.encode(AUDIT_EVENTS, ("acc_1", None), 42)
    assert CODEC.decode(AUDIT_EVENTS, ("acc_1", None), token) == 42
    for listing, filters in [
        (SUBSCRIPTIONS, ("acc_1", None)),
        (SIGNING_KEYS, ("acc_1", None)),
        (AUDIT_EVENTS, ("acc_2", None)),
        (AUDIT_EVENTS, ("acc_1", "payment.recorded")),
    ]:
        with pytest.raises(Exception) as caught:
            CODEC.decode(listing, filters, token)
        assert getattr(caught.value, "reason", None) == "INVALID_PAGE_TOKEN"


def test_an_altered_token_or_another_key_is_refused() -> None:
    token = CODEC.encode(SUBSCRIPTIONS, (7,), 3)
    raw = bytearray(base64.urlsafe_b64decode(token + "=="))
    raw[-1] ^= 1
    for candidate, codec in [
        (_b64(bytes(raw)), CODEC),
        (token, PageTokens(bytes(32))),
    ]:
        with pytest.raises(Exception) as caught:
            codec.decode(SUBSCRIPTIONS, (7,), candidate)
        assert getattr(caught.value, "reason", None) == "INVALID_PAGE_TOKEN"


def test_no_next_page_is_the_empty_token_and_no_token_is_the_first_page() -> None:
    assert CODEC.encode(SIGNING_KEYS, (), None) == ""
    assert CODEC.decode(SIGNING_KEYS, (), "") == 0
    assert len(CODEC.encode(SIGNING_KEYS, (), 2**64 - 1)) <= MAX_TOKEN_CHARS


@pytest.mark.parametrize("listing", [SUBSCRIPTIONS, SIGNING_KEYS, AUDIT_EVENTS], ids=str)
def test_page_size_zero_is_the_default_and_none_passes_the_maximum(listing: Any) -> None:
    assert listing.page_size(0) == listing.default_page_size
    assert listing.page_size(2**31 - 1) == listing.max_page_size
    assert listing.page_size(3) == 3
