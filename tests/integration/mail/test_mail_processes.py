"""Real processes: a `mailer` killed with SIGKILL between its claim and the send
delivers after a restart; `serve` delivers email from its own thread and stops
on SIGTERM. The waits below only bound how long a test may hang; nothing
asserts a duration."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import grpc
import pytest

from aspel.licensing.server.app import Services
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.credentials import Argon2Parameters, PasswordHasher
from aspel.licensing.server.store.models import OutboxMessage
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from .mail_support import SmtpServer

pytestmark = pytest.mark.slow

SERVER_CLI = str(pathlib.Path(sys.executable).with_name("aspel-licensing-server"))
PATIENCE = 60.0  # seconds before a hung test gives up


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def env_for(database_url: str, smtp_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ASPEL_LICENSING_DATABASE_URL": database_url,
            "ASPEL_LICENSING_SMTP_URL": smtp_url,
            "ASPEL_LICENSING_MAIL_POLL_SECONDS": "0.05",
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(PATIENCE)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def state_of(message_id: int) -> tuple[str, int]:
    row = OutboxMessage.get_by_id(message_id)
    return row.state, row.attempts


def test_a_mailer_killed_between_claim_and_send_delivers_after_restart(
    services: Services,
    database_url: str,
    smtp_server: SmtpServer,
    processes: list[subprocess.Popen[str]],
) -> None:
    with services.store.write() as tx:
        message_id = tx.outbox.enqueue(
            kind="password_changed",
            recipient="demo@example.com",
            payload={"username": "demo", "razon_social": "X", "change_time_text": "12:00"},
            now=dt.datetime.now(dt.UTC),
        ).id
    env = env_for(database_url, smtp_server.url, ASPEL_LICENSING_MAIL_CLAIM_SECONDS="1")

    # The first mailer claims the row and is killed while the SMTP server keeps
    # it waiting, before anything was delivered.
    smtp_server.handler.hold_rcpt.set()
    first = subprocess.Popen(
        [SERVER_CLI, "mailer"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    processes.append(first)
    assert smtp_server.handler.rcpt_reached.wait(PATIENCE)
    assert state_of(message_id) == ("SENDING", 1)
    first.send_signal(signal.SIGKILL)
    first.wait(PATIENCE)
    smtp_server.handler.hold_rcpt.clear()
    assert smtp_server.received == []
    assert state_of(message_id) == ("SENDING", 1)

    # A new mailer takes the row once the dead one's claim has run out.
    second = subprocess.Popen(
        [SERVER_CLI, "mailer"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    processes.append(second)
    wait_for(lambda: state_of(message_id)[0] == "SENT", "the row to be SENT")
    assert state_of(message_id) == ("SENT", 2)
    [mail] = smtp_server.received
    assert mail.message["Message-ID"] == OutboxMessage.get_by_id(message_id).message_id

    second.send_signal(signal.SIGTERM)
    assert second.wait(PATIENCE) == 0


def test_serve_delivers_email_from_its_thread_and_stops_on_sigterm(
    services: Services,
    database_url: str,
    tmp_path: pathlib.Path,
    processes: list[subprocess.Popen[str]],
) -> None:
    seed_demo(
        services.store,
        services.calendar,
        PasswordHasher(Argon2Parameters(time_cost=1, memory_cost_kib=1024, parallelism=1)),
    )
    mail_dir = tmp_path / "var" / "mail"
    server = subprocess.Popen(
        [SERVER_CLI, "--listen", "127.0.0.1:0", "serve"],
        env=env_for(database_url, f"file://{mail_dir}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(server)
    assert server.stderr is not None
    port = None
    for line in server.stderr:  # the log says where it listens
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if found:
            port = int(found.group(1))
            break
    assert port is not None, "serve did not start"

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        pb_grpc.LicensingServiceStub(channel).RequestPasswordReset(
            pb.RequestPasswordResetRequest(email_or_username="demo"), timeout=PATIENCE
        )
    wait_for(lambda: mail_dir.is_dir() and any(mail_dir.glob("*.eml")), "the .eml file")
    [eml] = list(mail_dir.glob("*.eml"))
    assert re.search(rb"alr_[A-Za-z0-9_-]{43}", eml.read_bytes())

    server.send_signal(signal.SIGTERM)
    assert server.wait(PATIENCE) == 0
