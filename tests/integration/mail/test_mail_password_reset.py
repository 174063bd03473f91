"""Password recovery through the real gRPC server, with the emails delivered by
the outbox worker to a real SMTP server. (`server` is tests/conftest.py's
RunningServer: the real server on port 0 with the demo data, on the fixed clock.)"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import grpc
import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.mail.worker import OutboxWorker
from aspel.licensing.server.store.models import Account, OutboxMessage, PasswordReset, Session
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer

from .mail_support import SmtpServer, error_info, login, new_worker, reset_token_in

NEW_PASSWORD = "una tarde de lluvia en Coyoacán"


@pytest.fixture(autouse=True)
def _connection(server: RunningServer) -> Iterator[None]:
    """A connection for this thread, so tests can look into the database."""
    with server.services.store.connection():
        yield


@pytest.fixture
def stub(server: RunningServer) -> pb_grpc.LicensingServiceStub:
    return pb_grpc.LicensingServiceStub(server.channel)


@pytest.fixture
def worker(server: RunningServer, clock: FixedClock, smtp_server: SmtpServer) -> OutboxWorker:
    return new_worker(server.services.store, clock, smtp_server.transport())


def request_reset(stub: pb_grpc.LicensingServiceStub, who: str, **extra: str) -> None:
    stub.RequestPasswordReset(pb.RequestPasswordResetRequest(email_or_username=who, **extra))


def emailed_token(
    stub: pb_grpc.LicensingServiceStub, worker: OutboxWorker, smtp_server: SmtpServer, who: str
) -> str:
    request_reset(stub, who)
    before = len(smtp_server.received)
    assert worker.deliver_due() == 1
    received = smtp_server.received[before:]
    assert len(received) == 1
    return reset_token_in(received[0])


def reset(stub: pb_grpc.LicensingServiceStub, token: str, password: str, **extra: str) -> None:
    stub.ResetPassword(pb.ResetPasswordRequest(reset_token=token, new_password=password, **extra))


def reason(call: object) -> tuple[grpc.StatusCode, str]:
    assert isinstance(call, grpc.RpcError)
    return call.code(), error_info(call).reason  # type: ignore[attr-defined]


def demo_account() -> Account:
    account: Account = Account.get(Account.username == "demo")
    return account


# --- the flow end to end ---------------------------------------------------------


def test_reset_by_email_end_to_end(
    stub: pb_grpc.LicensingServiceStub,
    worker: OutboxWorker,
    smtp_server: SmtpServer,
) -> None:
    old_session = login(stub, "demo", "demo-aspel-2026")

    token = emailed_token(stub, worker, smtp_server, "Demo@Example.com")
    mail = smtp_server.received[0]
    assert mail.rcpt_tos == ["demo@example.com"]
    assert "Restablece la contraseña" in mail.message["Subject"]
    assert "30 minutos" in mail.text()
    assert f"https://portal.example.com/restablecer?token={token}" in mail.text()

    reset(stub, token, NEW_PASSWORD)

    # Every session ended; the old password no longer works; the new one does.
    with pytest.raises(grpc.RpcError) as ended:
        stub.ListSubscriptions(pb.ListSubscriptionsRequest(), metadata=old_session)
    assert reason(ended.value) == (grpc.StatusCode.UNAUTHENTICATED, "SESSION_INVALID")
    with pytest.raises(grpc.RpcError) as old:
        login(stub, "demo", "demo-aspel-2026")
    assert reason(old.value) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    session = login(stub, "demo", NEW_PASSWORD)
    stub.ListSubscriptions(pb.ListSubscriptionsRequest(), metadata=session)

    # The "password changed" notice goes out.
    assert worker.deliver_due() == 1
    notice = smtp_server.received[-1]
    assert notice.rcpt_tos == ["demo@example.com"]
    assert "Se cambió la contraseña" in notice.message["Subject"]
    assert "No fuiste tú" in notice.text()

    # The token was single use.
    with pytest.raises(grpc.RpcError) as again:
        reset(stub, token, "otra frase distinta para entrar")
    assert reason(again.value) == (grpc.StatusCode.INVALID_ARGUMENT, "RESET_TOKEN_INVALID")


def test_reset_by_username_clears_a_lockout(
    stub: pb_grpc.LicensingServiceStub,
    worker: OutboxWorker,
    smtp_server: SmtpServer,
) -> None:
    for _ in range(6):
        with pytest.raises(grpc.RpcError):
            login(stub, "demo", "wrong password")
    with pytest.raises(grpc.RpcError) as locked:
        login(stub, "demo", "demo-aspel-2026")
    assert reason(locked.value) == (grpc.StatusCode.UNAUTHENTICATED, "ACCOUNT_LOCKED")

    reset(stub, emailed_token(stub, worker, smtp_server, "DEMO"), NEW_PASSWORD)

    account = demo_account()
    assert (account.failed_logins, account.locked_until) == (0, None)
    login(stub, "demo", NEW_PASSWORD)


def test_the_stored_token_is_only_a_hash(
    stub: pb_grpc.LicensingServiceStub, worker: OutboxWorker, smtp_server: SmtpServer
) -> None:
    token = emailed_token(stub, worker, smtp_server, "demo")
    [stored] = PasswordReset.select()
    assert stored.token_hash != token and token not in stored.token_hash
    assert len(stored.token_hash) == 64
    [message] = OutboxMessage.select().where(OutboxMessage.kind == "password_reset")
    assert token not in str(message.payload)  # erased once sent


# --- the same answer whether or not the account exists -----------------------------


def test_unknown_and_known_addresses_get_identical_answers(
    server: RunningServer, stub: pb_grpc.LicensingServiceStub
) -> None:
    answers = []
    for who in ("demo@example.com", "nadie@example.com", "demo", "nadie"):
        # The same caller-chosen request id each time: the server echoes it
        # (x-request-id), so nothing else may tell the answers apart.
        response, call = stub.RequestPasswordReset.with_call(
            pb.RequestPasswordResetRequest(email_or_username=who),
            metadata=(("x-request-id", "reset-probe"),),
        )
        answers.append(
            (
                response.SerializeToString(),
                call.code(),
                call.details(),
                tuple(call.initial_metadata() or ()),
                tuple(call.trailing_metadata() or ()),
            )
        )
    assert answers[0] == answers[1] == answers[2] == answers[3]
    # Only the known account got an email (two: by address and by username).
    queued = [m.recipient for m in OutboxMessage.select()]
    assert queued == ["demo@example.com", "demo@example.com"]


def test_the_account_limit_answers_like_success_and_sends_nothing_more(
    stub: pb_grpc.LicensingServiceStub, clock: FixedClock
) -> None:
    answers = set()
    for _ in range(5):
        response = stub.RequestPasswordReset(
            pb.RequestPasswordResetRequest(email_or_username="demo")
        )
        answers.add(response.SerializeToString())
    assert answers == {b""}
    assert OutboxMessage.select().where(OutboxMessage.kind == "password_reset").count() == 3

    clock.advance(dt.timedelta(hours=1))
    request_reset(stub, "demo")
    assert OutboxMessage.select().where(OutboxMessage.kind == "password_reset").count() == 4


def test_the_caller_limit_is_resource_exhausted(
    stub: pb_grpc.LicensingServiceStub, clock: FixedClock
) -> None:
    for i in range(10):
        request_reset(stub, f"persona{i}@example.com")
    with pytest.raises(grpc.RpcError) as limited:
        request_reset(stub, "demo")
    assert reason(limited.value) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED")
    assert "retry_time" in error_info(limited.value).metadata  # type: ignore[arg-type]
    assert OutboxMessage.select().count() == 0

    clock.advance(dt.timedelta(minutes=15))
    request_reset(stub, "demo")
    assert OutboxMessage.select().count() == 1


def test_a_retry_with_the_same_request_id_sends_no_second_email(
    stub: pb_grpc.LicensingServiceStub,
) -> None:
    request_id = str(uuid.uuid4())
    request_reset(stub, "demo", request_id=request_id)
    request_reset(stub, "demo", request_id=request_id)
    assert OutboxMessage.select().count() == 1
    with pytest.raises(grpc.RpcError) as reused:
        request_reset(stub, "demo2", request_id=request_id)
    assert reason(reused.value) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


def test_a_disabled_account_gets_no_email(stub: pb_grpc.LicensingServiceStub) -> None:
    Account.update(disabled=True).where(Account.username == "demo").execute()
    request_reset(stub, "demo")
    assert OutboxMessage.select().count() == 0


# --- nothing changes before a valid token ----------------------------------------


def test_expired_token_is_invalid_and_changes_nothing(
    stub: pb_grpc.LicensingServiceStub,
    worker: OutboxWorker,
    smtp_server: SmtpServer,
    clock: FixedClock,
) -> None:
    token = emailed_token(stub, worker, smtp_server, "demo")
    before = demo_account().password_hash
    clock.advance(dt.timedelta(minutes=30))
    with pytest.raises(grpc.RpcError) as expired:
        reset(stub, token, NEW_PASSWORD)
    assert reason(expired.value) == (grpc.StatusCode.INVALID_ARGUMENT, "RESET_TOKEN_INVALID")
    assert demo_account().password_hash == before


@pytest.mark.parametrize("token", ["alr_" + "A" * 43, "not-a-token", "alr_"])
def test_unknown_token_is_invalid_even_with_a_weak_password(
    stub: pb_grpc.LicensingServiceStub, token: str
) -> None:
    login(stub, "demo", "demo-aspel-2026")
    before = demo_account().password_hash
    with pytest.raises(grpc.RpcError) as invalid:
        reset(stub, token, "corta")
    assert reason(invalid.value) == (grpc.StatusCode.INVALID_ARGUMENT, "RESET_TOKEN_INVALID")
    assert demo_account().password_hash == before
    assert Session.select().where(Session.end_time.is_null()).count() == 1


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("corta", "TOO_SHORT"),
        ("Contraseña2024!!!!", "COMMON"),
        ("mi usuario es demo y ya", "CONTAINS_USERNAME"),
    ],
)
def test_weak_password_is_refused_and_the_token_still_works(
    stub: pb_grpc.LicensingServiceStub,
    worker: OutboxWorker,
    smtp_server: SmtpServer,
    password: str,
    problem: str,
) -> None:
    token = emailed_token(stub, worker, smtp_server, "demo")
    before = demo_account().password_hash
    with pytest.raises(grpc.RpcError) as weak:
        reset(stub, token, password)
    assert reason(weak.value) == (grpc.StatusCode.INVALID_ARGUMENT, "PASSWORD_TOO_WEAK")
    assert problem in error_info(weak.value).metadata["problems"]  # type: ignore[arg-type]
    assert demo_account().password_hash == before
    reset(stub, token, NEW_PASSWORD)


def test_a_retried_reset_with_the_same_request_id_succeeds_again(
    stub: pb_grpc.LicensingServiceStub, worker: OutboxWorker, smtp_server: SmtpServer
) -> None:
    token = emailed_token(stub, worker, smtp_server, "demo")
    request_id = str(uuid.uuid4())
    reset(stub, token, NEW_PASSWORD, request_id=request_id)
    reset(stub, token, NEW_PASSWORD, request_id=request_id)  # the answer was lost; retry
    assert OutboxMessage.select().where(OutboxMessage.kind == "password_changed").count() == 1
    with pytest.raises(grpc.RpcError) as reused:
        reset(stub, "alr_" + "B" * 43, NEW_PASSWORD, request_id=request_id)
    assert reason(reused.value) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


@pytest.mark.parametrize(
    "request_",
    [
        pb.RequestPasswordResetRequest(email_or_username=""),
        pb.RequestPasswordResetRequest(email_or_username="x" * 255),
        pb.RequestPasswordResetRequest(email_or_username="demo", request_id="nope"),
    ],
)
def test_request_validation(
    stub: pb_grpc.LicensingServiceStub, request_: pb.RequestPasswordResetRequest
) -> None:
    with pytest.raises(grpc.RpcError) as bad:
        stub.RequestPasswordReset(request_)
    assert reason(bad.value) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


def test_reset_validation(stub: pb_grpc.LicensingServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as missing:
        reset(stub, "", "")
    assert reason(missing.value) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
