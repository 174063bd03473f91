"""ListAuditEvents and LookupSerial: filters, pages, and no secret anywhere."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2

from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.store.models import (
    Account,
    AuditEvent,
    OutboxMessage,
    PasswordReset,
    ServiceKey,
    Session,
)
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import licensing_service_pb2, licensing_service_pb2_grpc

from .conftest import Admin, failure


def _list(admin: Admin, **fields: Any) -> admin_pb.ListAuditEventsResponse:
    return admin.support.ListAuditEvents(admin_pb.ListAuditEventsRequest(**fields))


def _ts(instant: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(instant)
    return stamp


@pytest.fixture
def history(demo_admin: Admin, server: Any, clock: FixedClock) -> list[str]:
    """Ten payments of demo's SAE serial, a minute apart; returns the serial."""
    with server.services.store.connection():
        account = Account.get(Account.username == "demo")
        serial = account.subscriptions.order_by("id").first().serial_number
    for i in range(10):
        demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(
                serial_number=serial, request_id=str(uuid.uuid4()), payment_reference=f"F-{i}"
            )
        )
        clock.advance(dt.timedelta(minutes=1))
    return [serial, account.public_id]


def test_pages_follow_each_other_to_the_end_in_order(demo_admin: Admin, history: list[str]) -> None:
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = _list(demo_admin, page_size=3, page_token=token, kind="payment.recorded")
        seen += [e.details["payment_reference"] for e in page.audit_events]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"F-{i}" for i in range(10)]
    assert pages == 4


def test_filters_by_serial_account_kind_prefix_and_time(
    demo_admin: Admin, history: list[str], clock: FixedClock
) -> None:
    serial, account_id = history
    other = _list(demo_admin, serial_number=serials.display(serials.generate()))
    assert list(other.audit_events) == []
    by_serial = _list(demo_admin, serial_number=serial.lower())
    assert len(by_serial.audit_events) == 10
    assert len(_list(demo_admin, account_id=account_id).audit_events) == 10
    assert len(_list(demo_admin, kind="payment.").audit_events) == 10
    assert len(_list(demo_admin, kind="payment").audit_events) == 0
    start = clock.now() - dt.timedelta(minutes=7)  # the payments at minutes 3..6
    window = _list(demo_admin, start_time=_ts(start), end_time=_ts(start + dt.timedelta(minutes=4)))
    assert [e.details["payment_reference"] for e in window.audit_events] == [
        "F-3",
        "F-4",
        "F-5",
        "F-6",
    ]


def test_a_page_token_only_works_with_its_filters(demo_admin: Admin, history: list[str]) -> None:
    token = _list(demo_admin, page_size=2, kind="payment.recorded").next_page_token
    refused = failure(lambda: _list(demo_admin, page_size=2, kind="payment.", page_token=token))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
    )
    garbage = failure(lambda: _list(demo_admin, page_token="no-es-un-token"))
    assert garbage.reason == "INVALID_PAGE_TOKEN"


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"page_size": -1}, "page_size"),
        ({"serial_number": "12345"}, "serial_number"),
        ({"kind": "DROP TABLE"}, "kind"),
        (
            {
                "start_time": timestamp_pb2.Timestamp(seconds=2_000_000_000),
                "end_time": timestamp_pb2.Timestamp(seconds=1_000_000_000),
            },
            "end_time",
        ),
    ],
)
def test_malformed_filters_are_named(demo_admin: Admin, fields: dict[str, Any], bad: str) -> None:
    refused = failure(lambda: _list(demo_admin, **fields))
    assert refused.reason == "INVALID_ARGUMENT"
    assert bad in refused.fields


def test_page_size_zero_means_fifty_and_large_sizes_are_capped(
    demo_admin: Admin, server: Any
) -> None:
    with server.services.store.connection():
        for _ in range(520):
            AuditEvent.create(
                time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                kind="test.filler",
                actor="t",
                detail={},
            )
    assert len(_list(demo_admin).audit_events) == 50
    assert len(_list(demo_admin, page_size=10_000).audit_events) == 500


def test_lookup_of_an_unknown_or_malformed_serial(demo_admin: Admin) -> None:
    unknown = failure(
        lambda: demo_admin.support.LookupSerial(
            admin_pb.LookupSerialRequest(serial_number=serials.display(serials.generate()))
        )
    )
    assert (unknown.code, unknown.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")
    malformed = failure(
        lambda: demo_admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number="x"))
    )
    assert malformed.reason == "INVALID_ARGUMENT"


def test_lookup_shows_at_most_twenty_recent_events_newest_first(
    demo_admin: Admin, history: list[str]
) -> None:
    serial, _ = history
    for i in range(10, 25):
        demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(
                serial_number=serial, request_id=str(uuid.uuid4()), payment_reference=f"F-{i}"
            )
        )
    found = demo_admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number=serial))
    references = [e.details["payment_reference"] for e in found.recent_events]
    assert references == [f"F-{i}" for i in range(24, 4, -1)]


def test_no_secret_is_ever_written_to_the_audit_log(
    demo_admin: Admin, server: Any, clock: FixedClock
) -> None:
    """Runs every kind of change, then looks for every secret in every event."""
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    password = "el secreto de la contraseña inicial"
    created = demo_admin.billing.CreateAccount(
        admin_pb.CreateAccountRequest(
            username="secretos",
            email="secretos@example.com",
            razon_social="Secretos, S.C.",
            initial_password=password,
        )
    )
    with pytest.raises(grpc.RpcError):
        portal.Authenticate(
            licensing_service_pb2.AuthenticateRequest(
                username="secretos", password="mal" + password
            )
        )
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="secretos", password=password)
    )
    portal.SignOut(
        licensing_service_pb2.SignOutRequest(),
        metadata=[("authorization", f"Bearer {login.session_token}")],
    )
    account_id = created.account.account_id
    demo_admin.support.StartPasswordReset(admin_pb.StartPasswordResetRequest(account_id=account_id))
    demo_admin.support.UpdateAccount(
        admin_pb.UpdateAccountRequest(account_id=account_id, email="otro@example.com")
    )
    demo_admin.support.DisableAccount(
        admin_pb.DisableAccountRequest(account_id=account_id, reason="prueba")
    )
    with server.services.store.connection():
        server.services.admin.keys.revoke("everything", "pytest")
        password_hash = Account.get(Account.public_id == account_id).password_hash
        token_hashes = [s.token_hash for s in Session.select()]
        key_hashes = [k.key_hash for k in ServiceKey.select()]
        reset_tokens = [
            m.payload["reset_token"] for m in OutboxMessage.select() if "reset_token" in m.payload
        ]
        reset_hashes = [r.token_hash for r in PasswordReset.select()]
        rows = list(AuditEvent.select())
    secrets = [
        password,
        "mal" + password,
        password_hash,
        login.session_token,
        *token_hashes,
        *key_hashes,
        *reset_tokens,
        *reset_hashes,
        *demo_admin.secrets.values(),
    ]
    kinds = {row.kind for row in rows}
    assert reset_tokens
    assert {
        "account.created",
        "login.failed",
        "login.succeeded",
        "session.ended",
        "password_reset.started",
        "account.updated",
        "account.disabled",
        "service_key.created",
        "service_key.revoked",
    } <= kinds
    for row in rows:
        text = json.dumps([row.kind, row.actor, row.peer, row.detail], ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, f"a secret leaked into {row.kind}"
        assert not re.search(r"al(s|svc|r)_[A-Za-z0-9_-]{20,}", text)
        assert "$argon2" not in text
