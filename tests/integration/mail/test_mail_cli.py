"""`aspel-licensing forgot-password` / `reset-password` and LicensingClient's two
methods, end to end: the code comes from the email the worker delivered to a
real SMTP server."""

from __future__ import annotations

import io
import pathlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import grpc
import pytest

from aspel.licensing.client import cli, session_file
from aspel.licensing.client.errors import (
    InvalidArgumentError,
    ResourceExhaustedError,
    UnauthenticatedError,
)
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.mail.worker import OutboxWorker
from tests.conftest import RunningServer

from .mail_support import SmtpServer, new_worker, reset_token_in

NEW_PASSWORD = "mi perro se llama Canelo y ladra"


@pytest.fixture
def engine() -> str:
    """The CLI sees the same answers on either engine; SQLite is enough here."""
    return "sqlite"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(session_file.SESSION_FILE_ENV, str(tmp_path / "session.json"))
    monkeypatch.delenv("ASPEL_LICENSING_SERVER", raising=False)


@pytest.fixture(autouse=True)
def _connection(server: RunningServer) -> Iterator[None]:
    with server.services.store.connection():
        yield


@pytest.fixture
def worker(server: RunningServer, clock: FixedClock, smtp_server: SmtpServer) -> OutboxWorker:
    return new_worker(server.services.store, clock, smtp_server.transport())


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def run(
    server: RunningServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    def run_cli(*argv: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = cli.main(["--server", server.address, *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run_cli


def emailed_token(run: Run, worker: OutboxWorker, smtp_server: SmtpServer) -> str:
    result = run("forgot-password", "demo@example.com")
    assert result.code == 0, result.err
    assert "30 minutos" in result.out
    assert worker.deliver_due() == 1
    return reset_token_in(smtp_server.received[-1])


def can_log_in(server: RunningServer, password: str) -> bool:
    with LicensingClient(server.address) as client:
        try:
            client.authenticate("demo", password)
        except UnauthenticatedError:
            return False
        return True


def test_forgot_then_reset_with_the_code_from_the_email(
    run: Run, server: RunningServer, worker: OutboxWorker, smtp_server: SmtpServer
) -> None:
    token = emailed_token(run, worker, smtp_server)
    result = run("reset-password", "--stdin", stdin=f"{token}\n{NEW_PASSWORD}\n")
    assert result.code == 0, result.err
    assert "login" in result.out
    assert can_log_in(server, NEW_PASSWORD)
    assert not can_log_in(server, "demo-aspel-2026")


def test_reset_reads_code_and_password_without_echo(
    run: Run,
    server: RunningServer,
    worker: OutboxWorker,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = emailed_token(run, worker, smtp_server)
    answers = iter([token, NEW_PASSWORD, NEW_PASSWORD])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    result = run("reset-password")
    assert result.code == 0, result.err
    assert len(prompts) == 3
    assert token not in result.out and NEW_PASSWORD not in result.out
    assert can_log_in(server, NEW_PASSWORD)


def test_mismatched_passwords_change_nothing(
    run: Run,
    server: RunningServer,
    worker: OutboxWorker,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = emailed_token(run, worker, smtp_server)
    answers = iter([token, NEW_PASSWORD, NEW_PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    result = run("reset-password")
    assert result.code == 1
    assert "no coinciden" in result.err
    assert can_log_in(server, "demo-aspel-2026")


def test_a_weak_password_shows_the_reason_and_why(
    run: Run, worker: OutboxWorker, smtp_server: SmtpServer
) -> None:
    token = emailed_token(run, worker, smtp_server)
    result = run("reset-password", "--stdin", stdin=f"{token}\ncorta\n")
    assert result.code == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "(PASSWORD_TOO_WEAK)" in result.err
    assert "new_password:" in result.err


def test_a_bad_code_is_reset_token_invalid(run: Run) -> None:
    result = run("reset-password", "--stdin", stdin=f"alr_{'X' * 43}\n{NEW_PASSWORD}\n")
    assert result.code == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "(RESET_TOKEN_INVALID)" in result.err


def test_client_methods_raise_typed_errors(server: RunningServer) -> None:
    with LicensingClient(server.address) as client:
        for i in range(10):
            client.request_password_reset(f"persona{i}@example.com")
        with pytest.raises(ResourceExhaustedError) as limited:
            client.request_password_reset("demo")
        assert limited.value.reason == "RATE_LIMITED"
        with pytest.raises(InvalidArgumentError) as invalid:
            client.reset_password("alr_nothing", NEW_PASSWORD)
        assert invalid.value.reason == "RESET_TOKEN_INVALID"
