"""The installed `aspel-licensing-server` as an operator runs it: migrate,
seed, serve, and drain on SIGTERM."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
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


class ServerProcess:
    """`aspel-licensing-server serve` in a child process, its log collected."""

    def __init__(self, url: str, *extra: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [*SERVER, "--database", url, "--listen", "127.0.0.1:0", *extra],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def ports(self, count: int) -> set[int]:
        """Waits until `count` processes said where they listen."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [re.search(r"listening on [\d.]+:(\d+)", line) for line in list(self.lines)]
            ports = [int(m.group(1)) for m in found if m]
            if len(ports) >= count:
                return set(ports)
            time.sleep(0.05)
        raise AssertionError(f"not {count} listeners: {''.join(self.lines)}")

    def records(self) -> list[dict[str, object]]:
        """The JSON log lines (stderr is no terminal: JSON)."""
        return [json.loads(x) for x in list(self.lines) if x.startswith("{")]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()


def login(port: int) -> None:
    # A channel of its own per call: a new connection, balanced anew by the kernel.
    with grpc.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
    ) as channel:
        stub = pb_grpc.LicensingServiceStub(channel)
        answer = stub.Authenticate(
            pb.AuthenticateRequest(username="demo", password="demo-aspel-2026"), timeout=10
        )
        assert answer.session_token


def test_two_workers_share_one_port_and_both_answer(url: str) -> None:
    assert run("migrate", url=url).returncode == 0
    assert run("seed-demo", url=url).returncode == 0
    server = ServerProcess(url, "serve", "--workers", "2")
    try:
        (port,) = server.ports(2)
        for _ in range(40):
            login(port)
        assert server.stop() == 0
    finally:
        server.kill()
    # stderr is no terminal: the log is JSON lines, one per RPC.
    answered_by = {
        r["process"]
        for r in server.records()
        if r.get("grpc_method") == "Authenticate" and r.get("grpc_code") == "OK"
    }
    assert len(answered_by) == 2, "".join(server.lines)
    drained = [x for x in server.lines if "draining" in x]
    assert len(drained) == 2


def test_sigterm_drains_and_exits_cleanly(url: str) -> None:
    assert run("migrate", url=url).returncode == 0
    assert run("seed-demo", url=url).returncode == 0
    server = ServerProcess(url, "serve")
    try:
        (port,) = server.ports(1)
        login(port)
        assert server.stop() == 0
    finally:
        server.kill()
    log = "".join(server.lines)
    assert "draining" in log and "stopped" in log
