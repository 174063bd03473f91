"""`serve` owns its address: workers do not outlive their supervisor, and a
second `serve` on an address that is already served refuses to start."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator

import pytest

from aspel.licensing.server.app import exclusive_address

from ..support import workers
from ..support.workers import SERVER, Serve

# Long enough for an idle worker to drain; the poll returns as soon as they are gone.
WORKERS_EXIT_WITHIN = 10.0


def prepare(url: str) -> None:
    for command in (["migrate"], ["seed-demo"]):
        result = subprocess.run(
            [*SERVER, "--database", url, *command], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One demo database for the module: a refused `serve` writes nothing."""
    url = f"sqlite:///{tmp_path_factory.mktemp('supervisor') / 'ops.db'}"
    prepare(url)
    return url


def refused(url: str, address: str, *serve_args: str) -> subprocess.CompletedProcess[str]:
    """Runs a second `serve` that is expected to refuse at once."""
    process = Serve(url, address, *serve_args)
    try:
        code = process.wait(timeout=30)
    finally:
        process.kill()
    return subprocess.CompletedProcess(process.process.args, code, "", "".join(process.lines))


def test_workers_exit_when_their_supervisor_is_killed_and_the_port_serves_again(url: str) -> None:
    first = Serve(url, "127.0.0.1:0", "--workers", "2")
    try:
        listeners = first.listeners(2)
        (port,) = set(listeners.values())
        workers.authenticate(port)

        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)

        assert workers.wait_gone(set(listeners), WORKERS_EXIT_WITHIN) == set()
    finally:
        first.kill()
    # The dead supervisor's lock does not block the restart on the same port.
    again = Serve(url, f"127.0.0.1:{port}", "--workers", "2")
    try:
        assert set(again.listeners(2).values()) == {port}
        workers.authenticate(port)
        assert again.stop() == 0
    finally:
        again.kill()


@pytest.fixture(scope="module", params=[1, 2], ids=["served-by-one", "served-by-workers"])
def served(request: pytest.FixtureRequest, url: str) -> Iterator[int]:
    """A running `serve --workers N` on port 0; its port."""
    server = Serve(url, "127.0.0.1:0", "--workers", str(request.param))
    try:
        (port,) = set(server.listeners(request.param).values())
        yield port
        assert server.stop() == 0
    finally:
        server.kill()


@pytest.mark.parametrize("second_workers", ["1", "2"])
def test_second_serve_on_a_served_port_exits_2_with_one_line(
    url: str, served: int, second_workers: str
) -> None:
    port = served
    result = refused(url, f"127.0.0.1:{port}", "--workers", second_workers)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert f"127.0.0.1:{port}" in line
    workers.authenticate(port)  # the first one still serves


@pytest.mark.parametrize("serve_workers", ["1", "2"])
def test_serve_refuses_a_port_another_program_listens_on(url: str, serve_workers: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        address = f"127.0.0.1:{other.getsockname()[1]}"
        result = refused(url, address, "--workers", serve_workers)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert address in line


@pytest.mark.parametrize("serve_workers", ["1", "2"])
def test_serve_refuses_an_address_another_serve_is_starting_on(
    url: str, serve_workers: str
) -> None:
    # Held as a starting `serve` holds it between its probe and its listen, so
    # two starting at once cannot both pass the probe and share the port.
    address = f"127.0.0.1:{workers.free_port()}"
    with exclusive_address(address):
        result = refused(url, address, "--workers", serve_workers)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert address in line


def test_serve_refuses_an_internal_port_that_is_served(url: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        internal = f"127.0.0.1:{other.getsockname()[1]}"
        process = Serve(url, "127.0.0.1:0", "--workers", "2", internal_listen=internal)
        try:
            code = process.wait(timeout=30)
        finally:
            process.kill()
    assert code == 2
    (line,) = "".join(process.lines).splitlines()
    assert internal in line
