"""Reflection off on the public port, on for an internal one
(`ASPEL_LICENSING_REFLECTION=0`, `ASPEL_LICENSING_INTERNAL_LISTEN`), and the
demo server the Node.js suite starts."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest

from aspel.licensing.server.app import create_internal_server, create_server
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.credentials import PasswordHasher
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from .conftest import REPO_ROOT, BufCurl, CurlResult

SERVER = [sys.executable, "-m", "aspel.licensing.server"]


def refused_without_reflection(result: CurlResult) -> bool:
    """buf curl's answer when the server has no reflection service."""
    return result.returncode != 0 and "unimplemented" in result.stderr


def login(address: str) -> str:
    with grpc.insecure_channel(address) as channel:
        answer = pb_grpc.LicensingServiceStub(channel).Authenticate(
            pb.AuthenticateRequest(username="demo", password="demo-aspel-2026"), timeout=30
        )
    token: str = answer.session_token
    return token


def list_subscriptions(address: str, token: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        answer = pb_grpc.LicensingServiceStub(channel).ListSubscriptions(
            pb.ListSubscriptionsRequest(),
            metadata=[("authorization", f"Bearer {token}")],
            timeout=30,
        )
    return [s.product_code for s in answer.subscriptions]


@pytest.fixture
def two_ports(settings: Settings, clock: FixedClock) -> Iterator[tuple[str, str]]:
    """(public, internal) addresses of one server: reflection off, then on."""
    public_settings = dataclasses.replace(settings, reflection=False, internal_listen="127.0.0.1:0")
    public, port, services = create_server(public_settings, clock)
    internal = create_internal_server(public_settings, services)
    assert internal is not None
    with services.store.connection():
        seed_demo(services.store, services.calendar, PasswordHasher(settings.argon2))
    public.start()
    internal[0].start()
    try:
        yield f"127.0.0.1:{port}", f"127.0.0.1:{internal[1]}"
    finally:
        public.stop(None).wait()
        internal[0].stop(None).wait()
        services.store.close()


def test_no_internal_server_unless_configured(settings: Settings, clock: FixedClock) -> None:
    _, _, services = create_server(settings, clock)
    try:
        assert create_internal_server(settings, services) is None
    finally:
        services.store.close()


def test_reflection_answers_only_on_the_internal_port(
    two_ports: tuple[str, str], buf_curl: BufCurl
) -> None:
    public, internal = two_ports
    assert refused_without_reflection(buf_curl("--list-services", f"http://{public}"))
    listed = buf_curl("--list-services", f"http://{internal}")
    assert listed.returncode == 0, listed.stderr
    assert "aspel.licensing.v1.LicensingService" in listed.stdout.split()


def test_both_ports_serve_the_same_services_and_sessions(two_ports: tuple[str, str]) -> None:
    public, internal = two_ports
    token = login(internal)
    assert list_subscriptions(public, token) == ["SAE", "CAJA", "COI", "NOI"]


def test_serve_reads_both_settings_from_the_environment(
    tmp_path: pathlib.Path, buf_curl: BufCurl
) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    for command in ("migrate", "seed-demo"):
        subprocess.run([*SERVER, "--database", url, command], check=True, timeout=120)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ASPEL_LICENSING_REFLECTION": "0",
        "ASPEL_LICENSING_INTERNAL_LISTEN": "127.0.0.1:0",
    }
    process = subprocess.Popen(
        [*SERVER, "--database", url, "--listen", "127.0.0.1:0", "--log-format", "text", "serve"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        public = internal = None
        while public is None or internal is None:
            line = process.stderr.readline()
            assert line, "the server ended before saying where it listens"
            if found := re.search(r"internal port \(reflection on\) listening on (\S+)", line):
                internal = found.group(1)
            elif found := re.search(r"aspel-licensing listening on (\S+)", line):
                public = found.group(1)
        assert refused_without_reflection(buf_curl("--list-services", f"http://{public}"))
        assert buf_curl("--list-services", f"http://{internal}").returncode == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_demo_server_prints_its_address_and_stops_when_stdin_closes() -> None:
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "tests" / "interop" / "run_demo_server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        found = re.fullmatch(r"listening on (127\.0\.0\.1:\d+)\n", process.stdout.readline())
        assert found, "no `listening on HOST:PORT` line"
        address = found.group(1)
        assert list_subscriptions(address, login(address)) == ["SAE", "CAJA", "COI", "NOI"]
        process.stdin.close()
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
