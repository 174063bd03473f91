"""Logins that fill the hashing gate never hold every RPC thread: with a
small thread pool the gate holds at most half of it, so while a login hashes
the next logins are shed SERVER_BUSY and a ValidateLicense still gets a
thread and its answer (bench/README.md: the latency probe under logins)."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import grpc
import pytest

from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import activation_service_pb2, licensing_service_pb2

from ...transport.calls import reason_of
from .conftest import MACHINE, DemoSerial, activate_request

LOGIN = licensing_service_pb2.AuthenticateRequest(username="demo", password="demo-aspel-2026")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Two RPC threads and the default gate (one hash per core, twice that
    # waiting), which on its own would let two logins hold both threads.
    return dataclasses.replace(settings, max_workers=2)


class _BlockingHasher:
    """argon2's hasher, whose verify waits until the test lets it finish."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()

    def verify(self, password_hash: str, password: str) -> bool:
        self.entered.set()
        self.release.wait(30)
        return bool(self.real.verify(password_hash, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_while_a_login_hashes_the_next_is_shed_and_a_validation_still_answers(
    server: Any, stub: Any, portal: Any, sae: DemoSerial
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    hasher = server.services.auth.hasher
    blocking = _BlockingHasher(hasher._hasher)
    hasher._hasher = blocking
    try:
        first = portal.Authenticate.future(LOGIN, timeout=30)
        assert blocking.entered.wait(10), first.exception()  # one thread is now hashing

        with pytest.raises(grpc.RpcError) as shed:
            portal.Authenticate(LOGIN, timeout=10)
        assert shed.value.code() == grpc.StatusCode.UNAVAILABLE
        assert reason_of(shed.value) == "SERVER_BUSY"

        answer = stub.ValidateLicense(
            activation_service_pb2.ValidateLicenseRequest(
                serial_number=sae.serial_number,
                activation_id=activation.activation_id,
                machine_fingerprint=MACHINE,
            ),
            timeout=10,
        )
        assert answer.signed_license.key_id
    finally:
        blocking.release.set()
        hasher._hasher = blocking.real
    assert first.result().session_token
