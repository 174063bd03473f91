"""Starting the servers under test as subprocesses, and reading their CPU time
from /proc (utime + stime of the supervisor and every worker process)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_SECONDS = 60.0
REPO_ROOT = str(pathlib.Path(__file__).resolve().parents[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in pathlib.Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes so far (fields 14 and 15 of stat)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            raw = pathlib.Path(f"/proc/{pid}/stat").read_text()
            fields = raw[raw.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


class ServerProcess:
    """A server subprocess (a supervisor and its forked workers)."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        address: str,
        workers: int,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.env = env or {}
        self.command = list(command)
        self.address = address
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: pathlib.Path | None = None

    def start(self, log_dir: pathlib.Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own programs
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        self._wait_ready()

    @property
    def pids(self) -> list[int]:
        """The supervisor and its workers (one process when workers is 1)."""
        assert self.process is not None
        return [self.process.pid, *children_of(self.process.pid)]

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids)

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        expected_children = self.workers if self.workers > 1 else 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}")
            # Every worker up, answering health checks on fresh connections.
            if len(children_of(self.process.pid)) >= expected_children and all(
                self._healthy() for _ in range(4 * self.workers)
            ):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready; see {self.log_path}")

    def _healthy(self) -> bool:
        try:
            with grpc.insecure_channel(
                self.address, options=[("grpc.use_local_subchannel_pool", 1)]
            ) as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2
                )
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)
        except grpc.RpcError as exc:
            # The echo server answers every method it does not know UNIMPLEMENTED:
            # it is up.
            return bool(exc.code() == grpc.StatusCode.UNIMPLEMENTED)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in self.pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def licensing_server(
    database_url: str, workers: int, env: dict[str, str] | None = None
) -> ServerProcess:
    """The real server: `aspel-licensing-server --database URL serve --workers N`."""
    address = f"127.0.0.1:{free_port()}"
    executable = pathlib.Path(sys.executable).with_name("aspel-licensing-server")
    return ServerProcess(
        "licensing-server",
        [
            str(executable),
            "--database",
            database_url,
            "--listen",
            address,
            "--log-level",
            "WARNING",
            "serve",
            "--workers",
            str(workers),
        ],
        address,
        workers,
        env,
    )


def echo_server(workers: int) -> ServerProcess:
    """The ceiling: `python -m bench.echo_server --workers N`."""
    address = f"127.0.0.1:{free_port()}"
    return ServerProcess(
        "echo-server",
        [sys.executable, "-m", "bench.echo_server", "--listen", address, "--workers", str(workers)],
        address,
        workers,
        env=_bench_importable(),
    )


def floor_server(database_url: str, workers: int, response_bytes: int) -> ServerProcess:
    """The floor: `python -m bench.floor_server` on the real server's database."""
    address = f"127.0.0.1:{free_port()}"
    command = [
        sys.executable, "-m", "bench.floor_server", "--listen", address,
        "--workers", str(workers), "--database", database_url,
        "--response-bytes", str(response_bytes),
    ]  # fmt: skip
    return ServerProcess("floor-server", command, address, workers, env=_bench_importable())


def _bench_importable() -> dict[str, str]:
    """`bench` is a folder of the repository, not an installed package."""
    return {"PYTHONPATH": os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")]))}


@contextlib.contextmanager
def running(server: ServerProcess, log_dir: pathlib.Path) -> Iterator[ServerProcess]:
    server.start(log_dir)
    try:
        yield server
    finally:
        server.stop()
