"""The installed `aspel-licensing-server` as an operator runs it: migrate,
seed, serve, and drain on SIGTERM."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
import time

import grpc
import pytest

from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

SERVER = [sys.executable, "-m", "aspel.licensing.server"]


def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SERVER, "--database", url, *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def url(tmp_path: pathlib.Path) -> str:
    return f"sqlite:///{tmp_path / 'ops.db'}"


def test_serve_refuses_a_database_that_needs_migrations(url: str) -> None:
    result = run("--listen", "127.0.0.1:0", "serve", url=url)
    assert result.returncode == 2
    assert "migrate" in result.stderr


def test_seed_demo_loads_once(url: str) -> None:
    assert run("migrate", url=url).returncode == 0
    assert run("seed-demo", url=url).returncode == 0
    again = run("seed-demo", url=url)
    assert again.returncode == 1 and "already has accounts" in again.stdout
    assert run("seed-demo", "--if-empty", url=url).returncode == 0


def test_sigterm_drains_and_exits_cleanly(url: str) -> None:
    assert run("migrate", url=url).returncode == 0
    assert run("seed-demo", url=url).returncode == 0
    process = subprocess.Popen(
        [*SERVER, "--database", url, "--listen", "127.0.0.1:0", "serve"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            found = re.search(r"listening on [\d.]+:(\d+)", line)
            port = int(found.group(1)) if found else None
        assert port, "the server never said where it listens"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.LicensingServiceStub(channel)
            answer = stub.Authenticate(
                pb.AuthenticateRequest(username="demo", password="demo-aspel-2026"), timeout=10
            )
            assert answer.session_token
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        rest = process.stderr.read()
        assert "draining" in rest and "stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
