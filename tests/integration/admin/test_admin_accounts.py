"""CreateAccount, GetAccount, UpdateAccount, DisableAccount, StartPasswordReset."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from aspel.licensing.server.store.models import Account, OutboxMessage
from aspel.licensing.v1 import account_pb2, licensing_service_pb2, licensing_service_pb2_grpc
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin, failure

PASSWORD = "correcta caballo batería grapa"


def _create(admin: Admin, **fields: Any) -> admin_pb.CreateAccountResponse:
    values = {
        "username": "papeleria",
        "email": "ventas@papeleria.example",
        "razon_social": "Papelería El Lápiz, S.A. de C.V.",
        **fields,
    }
    return admin.billing.CreateAccount(admin_pb.CreateAccountRequest(**values))


def _outbox(server: Any) -> list[OutboxMessage]:
    with server.services.store.connection():
        return list(OutboxMessage.select().order_by(OutboxMessage.id))


def _events(admin: Admin, **filters: Any) -> list[Any]:
    return list(
        admin.support.ListAuditEvents(admin_pb.ListAuditEventsRequest(**filters)).audit_events
    )


def test_an_account_with_an_initial_password_can_log_in_at_once(admin: Admin, portal) -> None:
    created = _create(admin, initial_password=PASSWORD)
    assert not created.password_reset_email_queued
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="papeleria", password=PASSWORD)
    )
    assert login.account.account_id == created.account.account_id
    assert login.account.state == account_pb2.ACCOUNT_STATE_ACTIVE


def test_the_initial_password_is_stored_only_as_an_argon2id_hash(
    admin: Admin, empty_server: Any
) -> None:
    _create(admin, initial_password=PASSWORD)
    with empty_server.services.store.connection():
        stored = Account.get(Account.username == "papeleria").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_an_account_without_a_password_gets_the_reset_email_and_cannot_log_in(
    admin: Admin, portal, empty_server: Any
) -> None:
    created = _create(admin)
    assert created.password_reset_email_queued
    [message] = _outbox(empty_server)
    assert (message.kind, message.recipient) == ("password_reset", "ventas@papeleria.example")
    assert message.payload["username"] == created.account.username
    for guess in ("", "!unset", PASSWORD):
        with pytest.raises(grpc.RpcError) as caught:
            portal.Authenticate(
                licensing_service_pb2.AuthenticateRequest(username="papeleria", password=guess)
            )
        assert caught.value.code() in (
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.INVALID_ARGUMENT,
        )


def test_a_taken_username_is_refused_in_any_case(admin: Admin) -> None:
    _create(admin)
    refused = failure(lambda: _create(admin, username="PAPELERIA"))
    assert (refused.code, refused.reason) == (grpc.StatusCode.ALREADY_EXISTS, "USERNAME_TAKEN")


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "con espacio"}, "username"),
        ({"email": "sin-arroba"}, "email"),
        ({"razon_social": "  "}, "razon_social"),
        ({"initial_password": "x" * 257}, "initial_password"),
        ({"request_id": "no-es-uuid"}, "request_id"),
    ],
)
def test_malformed_account_fields_are_named(admin: Admin, fields: dict[str, str], bad: str) -> None:
    refused = failure(lambda: _create(admin, **fields))
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert bad in refused.fields


@pytest.mark.parametrize(
    "password", ["corta", "la papeleria de siempre", "contraseña123456789"], ids=str
)
def test_a_weak_initial_password_is_refused(admin: Admin, password: str) -> None:
    refused = failure(lambda: _create(admin, initial_password=password))
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "PASSWORD_TOO_WEAK")
    assert "initial_password" in refused.fields


def test_the_reset_email_of_a_new_account_lets_its_owner_choose_the_password(
    admin: Admin, portal, empty_server: Any
) -> None:
    _create(admin)
    [message] = _outbox(empty_server)
    chosen = "mi propia frase para la papelería"
    portal.ResetPassword(
        licensing_service_pb2.ResetPasswordRequest(
            reset_token=message.payload["reset_token"], new_password=chosen
        )
    )
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="papeleria", password=chosen)
    )
    assert login.account.username == "papeleria"


def test_create_account_retried_with_its_request_id_returns_the_same_account(
    admin: Admin, empty_server: Any
) -> None:
    request_id = str(uuid.uuid4())
    first = _create(admin, request_id=request_id)
    again = _create(admin, request_id=request_id)
    assert again.account.account_id == first.account.account_id
    assert len(_outbox(empty_server)) == 1
    reused = failure(lambda: _create(admin, username="otra", request_id=request_id))
    assert reused.reason == "REQUEST_ID_REUSED"


def test_get_account_by_id_or_username_shows_its_serials_and_lockout(
    demo_admin: Admin, server: Any
) -> None:
    wrong = licensing_service_pb2.AuthenticateRequest(username="demo", password="wrong one")
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    for _ in range(5):
        with pytest.raises(grpc.RpcError):
            portal.Authenticate(wrong)
    by_name = demo_admin.support.GetAccount(admin_pb.GetAccountRequest(username="DEMO"))
    assert by_name.subscription_count == 4
    assert [s.product_code for s in by_name.subscriptions] == ["SAE", "CAJA", "COI", "NOI"]
    assert by_name.HasField("lock_expire_time")
    by_id = demo_admin.billing.GetAccount(
        admin_pb.GetAccountRequest(account_id=by_name.account.account_id)
    )
    assert by_id.account == by_name.account
    unknown = failure(
        lambda: demo_admin.support.GetAccount(admin_pb.GetAccountRequest(username="x"))
    )
    assert (unknown.code, unknown.reason) == (grpc.StatusCode.NOT_FOUND, "ACCOUNT_NOT_FOUND")
    neither = failure(lambda: demo_admin.support.GetAccount(admin_pb.GetAccountRequest()))
    assert neither.reason == "INVALID_ARGUMENT"


def test_update_account_changes_only_the_fields_set_and_audits_before_and_after(
    admin: Admin,
) -> None:
    account = _create(admin).account
    updated = admin.support.UpdateAccount(
        admin_pb.UpdateAccountRequest(
            account_id=account.account_id, email="nuevo@papeleria.example"
        )
    ).account
    assert updated.email == "nuevo@papeleria.example"
    assert updated.razon_social == account.razon_social
    [event] = _events(admin, kind="account.updated")
    assert event.actor == "service:support-desk"
    assert dict(event.details) == {
        "before.email": "ventas@papeleria.example",
        "after.email": "nuevo@papeleria.example",
    }
    nothing = failure(
        lambda: admin.support.UpdateAccount(
            admin_pb.UpdateAccountRequest(account_id=account.account_id)
        )
    )
    assert nothing.reason == "INVALID_ARGUMENT"
    unknown = failure(
        lambda: admin.support.UpdateAccount(
            admin_pb.UpdateAccountRequest(account_id="acc_nadie", razon_social="X")
        )
    )
    assert unknown.reason == "ACCOUNT_NOT_FOUND"


def test_a_new_razon_social_changes_the_terms_the_customer_sees(
    demo_admin: Admin, server: Any
) -> None:
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password="demo-aspel-2026")
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    serial = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(), metadata=session
    ).subscriptions[0]

    def terms() -> Any:
        return portal.GetUpgradeTerms(
            licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial.serial_number),
            metadata=session,
        ).upgrade_terms

    before = terms()
    demo_admin.support.UpdateAccount(
        admin_pb.UpdateAccountRequest(
            account_id=login.account.account_id, razon_social="Demo Renombrada, S.A."
        )
    )
    after = terms()
    assert after.terms_id != before.terms_id
    assert any("Demo Renombrada, S.A." in c for c in after.clauses)


def test_disable_account_ends_its_sessions_at_once_and_blocks_login(
    demo_admin: Admin, server: Any
) -> None:
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    credentials = licensing_service_pb2.AuthenticateRequest(
        username="demo", password="demo-aspel-2026"
    )
    sessions = [portal.Authenticate(credentials) for _ in range(2)]
    account_id = sessions[0].account.account_id
    disabled = demo_admin.support.DisableAccount(
        admin_pb.DisableAccountRequest(account_id=account_id, reason="fraude reportado")
    )
    assert disabled.ended_session_count == 2
    assert disabled.account.state == account_pb2.ACCOUNT_STATE_DISABLED
    for login in sessions:
        ended = failure(
            lambda login=login: portal.ListSubscriptions(
                licensing_service_pb2.ListSubscriptionsRequest(),
                metadata=[("authorization", f"Bearer {login.session_token}")],
            )
        )
        assert ended.reason == "SESSION_INVALID"
    blocked = failure(lambda: portal.Authenticate(credentials))
    assert (blocked.code, blocked.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ACCOUNT_DISABLED")
    again = failure(
        lambda: demo_admin.support.DisableAccount(
            admin_pb.DisableAccountRequest(account_id=account_id, reason="otra vez")
        )
    )
    assert (again.code, again.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "INVALID_STATE_TRANSITION",
    )
    [event] = _events(demo_admin, kind="account.disabled")
    assert event.details["reason"] == "fraude reportado"
    assert event.details["ended_session_count"] == "2"


def test_start_password_reset_queues_the_email_once_per_request_id(
    demo_admin: Admin, server: Any
) -> None:
    request = admin_pb.StartPasswordResetRequest(username="demo2", request_id=str(uuid.uuid4()))
    assert demo_admin.support.StartPasswordReset(request).email == "demo2@example.com"
    assert demo_admin.support.StartPasswordReset(request).email == "demo2@example.com"
    [message] = _outbox(server)
    assert (message.kind, message.recipient) == ("password_reset", "demo2@example.com")
    assert message.payload["username"] == "demo2"
    assert message.payload["reset_token"].startswith("alr_")
    assert [e.kind for e in _events(demo_admin, kind="password_reset.")] == [
        "password_reset.started"
    ]


def test_start_password_reset_refuses_a_disabled_account(demo_admin: Admin, server: Any) -> None:
    account_id = demo_admin.support.GetAccount(
        admin_pb.GetAccountRequest(username="demo2")
    ).account.account_id
    demo_admin.support.DisableAccount(
        admin_pb.DisableAccountRequest(account_id=account_id, reason="baja")
    )
    refused = failure(
        lambda: demo_admin.support.StartPasswordReset(
            admin_pb.StartPasswordResetRequest(account_id=account_id)
        )
    )
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "ACCOUNT_NOT_ACTIVE",
    )
    assert _outbox(server) == []
