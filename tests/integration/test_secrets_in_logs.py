"""`serve --log-level DEBUG` logs peewee's SQL text, never its parameters.

The real server process, set up by cli.main, runs RPCs that write a session,
a reset token (in the outbox payload until the mail is sent), a new argon2
hash and a second session; none of those secrets, nor their hashes, may
appear in what it logged.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import grpc

from aspel.licensing.server.app import Services
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.credentials import PasswordHasher, token_hash
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc
from tests.conftest import FAST_ARGON2

SERVER_CLI = str(pathlib.Path(sys.executable).with_name("aspel-licensing-server"))
PATIENCE = 60.0  # seconds before a hung test gives up
RESET_TOKEN = re.compile(r"alr_[A-Za-z0-9_-]{43}")
NEW_PASSWORD = "una tarde de lluvia en Coyoacán"


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_debug_logging_shows_the_sql_but_no_token_or_hash(
    services: Services, database_url: str, tmp_path: pathlib.Path
) -> None:
    seed_demo(services.store, services.calendar, PasswordHasher(FAST_ARGON2))
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "ASPEL_LICENSING_DATABASE_URL": database_url,
        "ASPEL_LICENSING_SMTP_URL": f"file://{mail_dir}",
        "ASPEL_LICENSING_MAIL_POLL_SECONDS": "0.05",
        "PYTHONUNBUFFERED": "1",
    }
    server = subprocess.Popen(
        [
            SERVER_CLI,
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "DEBUG",
            "--log-format",
            "text",
            "serve",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert server.stderr is not None
    stderr = server.stderr
    reader = threading.Thread(target=lambda: lines.extend(stderr), daemon=True)
    reader.start()
    try:

        def port() -> int | None:
            found = [re.search(r"listening on 127\.0\.0\.1:(\d+)", x) for x in list(lines)]
            return next((int(m.group(1)) for m in found if m), None)

        _wait_for(lambda: port() is not None, "the server to listen")
        secrets: list[str] = []
        with grpc.insecure_channel(f"127.0.0.1:{port()}") as channel:
            stub = pb_grpc.LicensingServiceStub(channel)
            first = stub.Authenticate(
                pb.AuthenticateRequest(username="demo", password="demo-aspel-2026"), timeout=30
            ).session_token
            stub.RequestPasswordReset(
                pb.RequestPasswordResetRequest(email_or_username="demo"), timeout=30
            )
            _wait_for(lambda: any(mail_dir.glob("*.eml")), "the reset email")
            [eml] = list(mail_dir.glob("*.eml"))
            [reset_token] = set(RESET_TOKEN.findall(eml.read_text(errors="replace")))
            stub.ResetPassword(
                pb.ResetPasswordRequest(reset_token=reset_token, new_password=NEW_PASSWORD),
                timeout=30,
            )
            second = stub.Authenticate(
                pb.AuthenticateRequest(username="demo", password=NEW_PASSWORD), timeout=30
            ).session_token
            secrets = [first, second, reset_token, NEW_PASSWORD]
        server.send_signal(signal.SIGTERM)
        assert server.wait(PATIENCE) == 0
        reader.join(PATIENCE)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(PATIENCE)
        stderr.close()

    log = "".join(lines)
    # The SQL itself is still there: the filter keeps what helps debugging.
    assert re.search(r"DEBUG peewee: \(?'?INSERT INTO .?session", log), log[-2000:]
    for secret in secrets:
        assert secret not in log
        assert token_hash(secret) not in log
    assert "$argon2" not in log
