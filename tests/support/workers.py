"""Processes for the multi-process tests: functions run in spawned children
(each with its own interpreter, connections and locks), and the installed
`serve` command as a child process."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc

from aspel.licensing.server.store.database import open_database
from aspel.licensing.server.store.migrate import migrate
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc


def run_migrate(url: str, start: multiprocessing.synchronize.Barrier) -> list[str]:
    """One process migrating, released at the same moment as the others."""
    start.wait()
    return migrate(open_database(url))


def accept_upgrade(
    url: str, username: str, serial: str, terms_id: str, start: multiprocessing.synchronize.Barrier
) -> str:
    """One process: its own store and services, racing the others to accept."""
    from aspel.licensing.server.app import build_services
    from aspel.licensing.server.domain.auth import Caller
    from aspel.licensing.server.settings import Settings
    from aspel.licensing.server.store.models import Account

    services = build_services(Settings(database_url=url))
    with services.store.connection():
        account = Account.get(Account.username == username)
        caller = Caller(account.id, account.public_id, 0, username)
        start.wait()
        result = services.portal.accept_upgrade(caller, serial, terms_id, None, "process")
    services.store.close()
    return result.subscription.serial_number


def _call(
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
    target: object,
    args: tuple[object, ...],
) -> None:
    try:
        queue.put(("ok", target(*args)))  # type: ignore[operator]
    except BaseException as exc:  # reported to the parent, which fails the test
        queue.put(("error", repr(exc)))


def run_in_processes(target: object, args: tuple[object, ...], count: int) -> list[object]:
    """Runs `target(*args, start_barrier)` in `count` spawned processes that
    start together; returns their results, or raises if any failed."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(count)
    queue = context.Queue()
    processes = [
        context.Process(target=_call, args=(queue, target, (*args, start))) for _ in range(count)
    ]
    for p in processes:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    failures = [detail for kind, detail in outcomes if kind == "error"]
    if failures:
        raise AssertionError(f"{len(failures)} worker(s) failed: {failures}")
    return [detail for _, detail in outcomes]


# --- `aspel-licensing-server serve` as a child process (supervisor tests) ------

SERVER = [sys.executable, "-m", "aspel.licensing.server"]
LISTENING = re.compile(r"\[(\d+)\] INFO .*listening on [\d.]+:(\d+)")


class Serve:
    """`aspel-licensing-server --listen LISTEN serve ...` with its log collected."""

    def __init__(self, url: str, listen: str, *serve_args: str, internal_listen: str = "") -> None:
        self.lines: list[str] = []
        internal = {"ASPEL_LICENSING_INTERNAL_LISTEN": internal_listen} if internal_listen else {}
        self.process = subprocess.Popen(
            [*SERVER, "--database", url, "--listen", listen, "serve", *serve_args],
            stderr=subprocess.PIPE,
            text=True,
            # The text log (stderr is no terminal: JSON otherwise), read by LISTENING.
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "ASPEL_LICENSING_LOG_FORMAT": "text",
                **internal,
            },
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def listeners(self, count: int) -> dict[int, int]:
        """Waits until `count` processes said where they listen: {pid: port}."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [LISTENING.search(line) for line in list(self.lines)]
            pids = {int(m.group(1)): int(m.group(2)) for m in found if m}
            if len(pids) >= count:
                return pids
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"not {count} listeners: {''.join(self.lines)}")

    def wait(self, timeout: float) -> int:
        """Waits for the exit (a refusal exits at once); its log is then complete."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout=30)

    def kill(self) -> None:
        """Kills the process (and any worker still alive, so no test leaves one)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in self.listeners_seen():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    def listeners_seen(self) -> set[int]:
        return {int(m.group(1)) for m in map(LISTENING.search, list(self.lines)) if m}


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, exited but not yet reaped by whoever
    adopted it, no longer serves and counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids: set[int], within: float) -> set[int]:
    """Polls until every pid has exited or `within` seconds passed; returns the living."""
    deadline = time.monotonic() + within
    living = set(pids)
    while living and time.monotonic() < deadline:
        living = {pid for pid in living if alive(pid)}
        time.sleep(0.1)
    return living


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def authenticate(port: int) -> None:
    # A channel of its own per call: a new connection, balanced anew by the kernel.
    with grpc.insecure_channel(
        f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]
    ) as channel:
        stub = pb_grpc.LicensingServiceStub(channel)
        answer = stub.Authenticate(
            pb.AuthenticateRequest(username="demo", password="demo-aspel-2026"), timeout=10
        )
        assert answer.session_token
