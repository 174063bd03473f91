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

from .memory import memory_dir

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
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="aspel-licensing-pg-", dir=memory_dir()))
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


# The state of a database that decides whether it can be handed to another test:
# its schema (tables, columns, defaults, constraints, indexes, functions,
# triggers, types, schemas) and its per-database settings.
_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), '')) FROM (
    SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
           || coalesce(' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                       || ' ' || a.attnotnull::text
                       || coalesce(' ' || pg_get_expr(d.adbin, d.adrelid), ''), '') AS item
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  UNION ALL
    SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL
    SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'pg_toast'::regnamespace)
  UNION ALL
    SELECT 'fn ' || oid::regprocedure::text FROM pg_proc
    WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
  UNION ALL
    SELECT 'trg ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL
    SELECT 'type ' || typname FROM pg_type
    WHERE typnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,
                               'pg_toast'::regnamespace)
      AND typrelid = 0 AND typelem = 0
  UNION ALL
    SELECT 'ns ' || nspname FROM pg_namespace
  UNION ALL
    SELECT 'ext ' || extname || ' ' || extversion FROM pg_extension
  UNION ALL
    SELECT 'set ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) AS schema
"""


class DatabasePool:
    """Copies of a migrated template, reused from test to test.

    `CREATE DATABASE ... TEMPLATE` copies the system catalogs too: a third to
    half a second each on this machine, for each of ~400 PostgreSQL tests.
    A database a test is done with is instead put back exactly as the template
    was (same rows, same sequence positions, emptied with TRUNCATE) and handed
    to the next test, but only when nothing can leak from one test to the
    next: no session still connected to it (a leaked server could write into
    the next test's data), no prepared transaction, and a schema identical to
    the template's. Otherwise it is left alone and the next test gets a new copy.
    """

    def __init__(self, cluster: PostgresCluster, template: str) -> None:
        import psycopg

        self.cluster = cluster
        self.template = template
        self._free: list[str] = []
        with psycopg.connect(cluster.url(template), autocommit=True) as conn:
            self.fingerprint = conn.execute(_FINGERPRINT).fetchone()[0]  # type: ignore[index]
            self.tables = [
                row[0]
                for row in conn.execute(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename)"
                    " FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                    " ORDER BY 1"
                )
            ]
            self.sequences = [
                (row[0], row[1], row[2])
                for row in conn.execute(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename),"
                    " coalesce(last_value, start_value), last_value IS NOT NULL FROM pg_sequences"
                    " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
                )
            ]
            # The rows the migrations wrote (their history, any seeded data).
            self.rows: dict[str, bytes] = {}
            for table in self.tables:
                data = bytearray()
                with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                    for chunk in copy:
                        data += chunk
                if data:
                    self.rows[table] = bytes(data)

    def acquire(self) -> str:
        """A database in the template's state: a recycled one, or a new copy."""
        if self._free:
            return self._free.pop()
        return self.cluster.create_database(template=self.template)

    def release(self, name: str) -> None:
        """Puts `name` back as the template was, for the next test, if that is safe."""
        if self._reset(name):
            self._free.append(name)

    def _reset(self, name: str) -> bool:
        import time

        import psycopg

        try:
            with psycopg.connect(self.cluster.url(name), autocommit=True) as conn:
                # A backend whose client has just disconnected may take a moment to exit.
                deadline = time.monotonic() + 0.5
                while True:
                    others = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    ).fetchone()[0]  # type: ignore[index]
                    if not others:
                        break
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.01)
                prepared = conn.execute(
                    "SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()"
                ).fetchone()[0]  # type: ignore[index]
                if prepared or conn.execute(_FINGERPRINT).fetchone()[0] != self.fingerprint:  # type: ignore[index]
                    return False
                conn.execute("SET lock_timeout = '2s'")
                with conn.transaction():
                    # The template's rows go back in any table order: no
                    # foreign-key trigger checks them (they held in the template).
                    conn.execute("SET LOCAL session_replication_role = replica")
                    if self.tables:
                        conn.execute(f"TRUNCATE {', '.join(self.tables)} RESTART IDENTITY CASCADE")
                    for table, data in self.rows.items():
                        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                            copy.write(data)
                    for sequence, value, is_called in self.sequences:
                        conn.execute("SELECT setval(%s, %s, %s)", (sequence, value, is_called))
                return True
        except psycopg.Error:
            return False
