"""A throw-away PostgreSQL cluster for the tests: initdb + pg_ctl on loopback
in a temporary folder, run as the `postgres` user when the tests run as root."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import uuid

REQUIRE_ENV = "ASPEL_LICENSING_REQUIRE_POSTGRES"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bin_dir() -> pathlib.Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for path in reversed(candidates):
        if (pathlib.Path(path) / "initdb").exists() and (pathlib.Path(path) / "postgres").exists():
            return pathlib.Path(path)
    on_path = shutil.which("initdb")
    if on_path:
        return pathlib.Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
        "install Debian's postgresql package to run the PostgreSQL half of the suite"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    def __init__(self, *, durable: bool = False) -> None:
        #: `durable`: commits survive a crash (`pg_ctl -m immediate`), for outage
        #: tests; otherwise fsync and synchronous commit are off for speed.
        self.durable = durable
        self.bin_dir = find_bin_dir()
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="aspel-licensing-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres"
        # Postgres refuses to run as root: drop to the postgres user.
        self._run_as = "postgres" if os.geteuid() == 0 else None
        if self._run_as:
            shutil.chown(self.root, user=self._run_as)

    def _run(self, *args: str, threaded: bool = False) -> None:
        """`threaded`: the caller runs gRPC threads. `user=` makes Python fork()
        instead of vfork(), and a forked copy of a process running gRPC can
        crash before it execs; runuser switches the user after the exec instead."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        runuser = shutil.which("runuser")
        switch = threaded and self._run_as is not None and runuser is not None
        subprocess.run(
            [runuser, "-u", self._run_as, "--", *command] if switch else command,  # type: ignore[list-item]
            check=True,
            capture_output=True,
            user=None if switch else self._run_as,
            cwd=self.root,
            timeout=120,
        )

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c max_connections=200",
                # Durability is not under test here (unless `durable`); speed is welcome.
                ""
                if self.durable
                else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            ]
        )
        self._options = options
        self._pg_ctl_start()

    def _pg_ctl_start(self, threaded: bool = False) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", self._options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start", threaded=threaded,
        )  # fmt: skip

    def halt(self, mode: str = "fast") -> None:
        """Stops the server but keeps its data, to test an outage: `fast` ends
        sessions with admin_shutdown (57P01), `immediate` just drops them."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", threaded=True)

    def resume(self) -> None:
        """Starts a halted server again, on the same port with the same data."""
        self._pg_ctl_start(threaded=True)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or templated) database; returns its name."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            clause = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{clause}")
        return name
