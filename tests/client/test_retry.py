"""The call policy of `base`: deadlines, bearer token, and retries only where safe."""

from __future__ import annotations

import random
import uuid
from typing import Any

import grpc
import pytest

from aspel.licensing.client import errors
from aspel.licensing.client.base import RetryPolicy, call_with_retry
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.v1 import licensing_service_pb2 as pb

from .conftest import FAST_RETRY, ScriptedServer

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
ABORTED = grpc.StatusCode.ABORTED


def client_for(scripted: ScriptedServer, **options: Any) -> LicensingClient:
    options.setdefault("retry", FAST_RETRY)
    return LicensingClient(scripted.address, **options)


# --- against a real in-process server ------------------------------------------------


def test_unavailable_twice_then_success_is_retried_to_success(scripted: ScriptedServer) -> None:
    scripted.fail("ListSubscriptions", UNAVAILABLE, UNAVAILABLE)
    with client_for(scripted, token="t") as client:
        page = client.list_subscriptions_page()
    assert [s.serial_number for s in page.subscriptions] == ["AAAAA-BBBBB-CCCCC"]
    assert len(scripted.calls("ListSubscriptions")) == 3


def test_unavailable_gives_up_after_max_attempts(scripted: ScriptedServer) -> None:
    scripted.fail("ListSubscriptions", *[UNAVAILABLE] * 10)
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.001, max_backoff=0.001)
    with client_for(scripted, retry=policy) as client, pytest.raises(errors.UnavailableError):
        client.list_subscriptions_page()
    assert len(scripted.calls("ListSubscriptions")) == 3


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidArgumentError),
        (grpc.StatusCode.UNAUTHENTICATED, errors.UnauthenticatedError),
        (grpc.StatusCode.FAILED_PRECONDITION, errors.FailedPreconditionError),
        (grpc.StatusCode.INTERNAL, errors.InternalError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhaustedError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, errors.DeadlineExceededError),
    ],
)
def test_other_failures_are_not_retried(
    scripted: ScriptedServer, code: grpc.StatusCode, error_class: type[errors.LicensingError]
) -> None:
    scripted.fail("ListSubscriptions", code)
    with client_for(scripted) as client, pytest.raises(error_class) as raised:
        client.list_subscriptions_page()
    assert raised.value.code == code
    assert len(scripted.calls("ListSubscriptions")) == 1


def test_aborted_without_request_id_is_not_retried(scripted: ScriptedServer) -> None:
    scripted.fail("AcceptUpgrade", ABORTED)
    with client_for(scripted) as client, pytest.raises(errors.AbortedError):
        # Straight through the helper: the public method always adds a request_id.
        client._call(
            client._stub.AcceptUpgrade,
            pb.AcceptUpgradeRequest(serial_number="AAAAA-BBBBB-CCCCC", terms_id="t1"),
        )
    assert len(scripted.calls("AcceptUpgrade")) == 1


def test_aborted_with_request_id_is_retried_with_the_same_id(scripted: ScriptedServer) -> None:
    scripted.fail("AcceptUpgrade", ABORTED, ABORTED)
    with client_for(scripted) as client:
        result = client.accept_upgrade("AAAAA-BBBBB-CCCCC", "t1")
    assert result.subscription.serial_number == "NEWWW-SERIA-L0000"
    ids = {call.request.request_id for call in scripted.calls("AcceptUpgrade")}
    assert len(scripted.calls("AcceptUpgrade")) == 3
    assert len(ids) == 1
    uuid.UUID(ids.pop())  # a generated UUID


def test_accept_upgrade_keeps_a_given_request_id(scripted: ScriptedServer) -> None:
    given = str(uuid.uuid4())
    with client_for(scripted) as client:
        client.accept_upgrade("AAAAA-BBBBB-CCCCC", "t1", request_id=given)
    assert scripted.calls("AcceptUpgrade")[0].request.request_id == given


def test_calls_carry_the_bearer_token_but_authenticate_does_not(
    scripted: ScriptedServer,
) -> None:
    with client_for(scripted, token="old-token") as client:
        client.authenticate("demo", "secret")
        client.list_subscriptions_page()
    login, listing = scripted.received
    assert "authorization" not in login.metadata
    assert listing.metadata["authorization"] == "Bearer scripted-token"


def test_every_call_has_a_deadline(scripted: ScriptedServer) -> None:
    with client_for(scripted, deadline=3.0) as client:
        client.list_subscriptions_page()
    remaining = scripted.calls("ListSubscriptions")[0].time_remaining
    assert remaining is not None
    # The configured 3 s, not the 10 s default (grpc rounds the wire timeout up a little).
    assert 0 < remaining < 5.0


def test_server_status_without_details_still_becomes_a_typed_error(
    scripted: ScriptedServer,
) -> None:
    scripted.fail("SignOut", grpc.StatusCode.PERMISSION_DENIED)
    with client_for(scripted) as client, pytest.raises(errors.PermissionDeniedError) as raised:
        client.sign_out()
    assert raised.value.reason == ""
    assert raised.value.message == "scripted failure of SignOut"
    assert client.token is None


# --- the policy itself, without a network --------------------------------------------


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "fake"

    def trailing_metadata(self) -> tuple[()]:
        return ()


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_retries_stop_when_the_deadline_budget_is_spent() -> None:
    clock = FakeTime()
    timeouts: list[float] = []

    def always_unavailable(request: object, *, timeout: float, metadata: object) -> None:
        timeouts.append(timeout)
        clock.now += 1.0  # each attempt takes a second
        raise FakeRpcError(UNAVAILABLE)

    policy = RetryPolicy(max_attempts=10, initial_backoff=1.0, max_backoff=1.0)
    with pytest.raises(errors.UnavailableError):
        call_with_retry(
            always_unavailable,
            pb.SignOutRequest(),
            deadline=5.0,
            retry=policy,
            sleep=clock.sleep,
            monotonic=clock.monotonic,
            rng=random.Random(7),
        )
    # Each attempt got only what was left of the 5 s, and none started after it.
    assert timeouts[0] == 5.0
    assert timeouts == sorted(timeouts, reverse=True)
    assert all(t > 0 for t in timeouts)
    assert 1 < len(timeouts) < 10
    assert clock.now - 100.0 <= 5.0 + 1.0


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_backoff=0.2, max_backoff=3.0, multiplier=2.0)
    assert [policy.backoff_cap(n) for n in range(1, 7)] == pytest.approx(
        [0.2, 0.4, 0.8, 1.6, 3.0, 3.0]
    )


def test_backoff_is_jittered_within_the_cap() -> None:
    policy = RetryPolicy(initial_backoff=0.2, max_backoff=3.0)
    rng = random.Random(1)
    waits = [policy.backoff(3, rng) for _ in range(200)]
    assert all(0 <= w <= 0.8 for w in waits)
    assert len(set(waits)) > 100  # not one fixed wait


@pytest.mark.parametrize(
    ("code", "idempotent", "expected"),
    [
        (UNAVAILABLE, False, True),
        (UNAVAILABLE, True, True),
        (ABORTED, True, True),
        (ABORTED, False, False),
        (grpc.StatusCode.DEADLINE_EXCEEDED, True, False),
        (grpc.StatusCode.INTERNAL, True, False),
        (grpc.StatusCode.INVALID_ARGUMENT, True, False),
    ],
)
def test_only_unavailable_and_idempotent_aborted_are_retryable(
    code: grpc.StatusCode, idempotent: bool, expected: bool
) -> None:
    assert RetryPolicy().is_retryable(code, idempotent=idempotent) is expected


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
