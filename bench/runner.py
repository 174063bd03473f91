"""One benchmark run: for each engine, dataset size, repeat and worker count,
start the real server and the echo server, and drive both with the same load."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import pathlib
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from aspel.licensing.server.domain.signing import generate_key_file

from . import argon2_rate, dataset, loadgen, profiles, scenarios, servers, sqlite_rate
from .echo_server import method_for
from .stats import percentile

log = logging.getLogger(__name__)
PROBE_CALLS = 3
#: The RPCs whose ceiling is the disk's commit rate (one durable write each):
#: the raw SQLite transaction rate is measured once per block, before the first.
SQLITE_BOUND = ("AcceptUpgrade", "ActivateInstallation")
#: The scenario also measured against the floor server (floor_server.py).
FLOOR_OF = "ValidateLicense"


@dataclasses.dataclass(frozen=True)
class Options:
    subscriptions: tuple[int, ...] = (1000,)
    engines: tuple[str, ...] = ("sqlite",)
    workers: tuple[int, ...] = (1, 2)
    concurrency: int = 32
    clients: int = 2
    connections: int = 8
    duration: float = 5.0
    warmup: float = 1.0
    repeat: int = 1
    rpcs: tuple[str, ...] = ()  # empty: every RPC the server has
    pool: int = 2000
    accept_pool: int = 20_000
    #: Activations prepared for the validation storm (each validated once):
    #: more than a run can spend at the echo server's rate.
    storm_pool: int = 50_000
    probe_concurrency: int = 2
    latency_check: bool = True
    argon2_check: bool = True
    sqlite_check: bool = True
    #: ValidateLicense against the floor server too (floor_server.py).
    floor_check: bool = True
    cache_dir: pathlib.Path = pathlib.Path("var/bench/datasets")
    work_dir: pathlib.Path = pathlib.Path("var/bench/work")
    profile_dir: pathlib.Path | None = None  # py-spy the server's workers into here
    #: Extra environment of the real server (ASPEL_LICENSING_* settings), for experiments.
    server_env: tuple[tuple[str, str], ...] = ()
    seed: int = 2026


@dataclasses.dataclass
class Measurement:
    """One load run against one server (or the argon2 loop)."""

    engine: str
    subscriptions: int
    workers: int
    repeat: int
    rpc: str
    #: server | echo | argon2 | sqlite (raw durable transactions) | idle (probe
    #: alone) | under_logins (probe while logins saturate) | logins (the
    #: saturating logins themselves)
    target: str
    qps: float
    calls: int = 0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    error_samples: list[str] = dataclasses.field(default_factory=list)
    server_cpu_ms_per_call: float | None = None
    client_cpu_ms_per_call: float | None = None
    window_seconds: float = 0.0
    concurrency: int = 0
    response_bytes: int = 0
    request_bytes: int = 0
    exhausted: bool = False
    #: Attempts the server shed (SERVER_BUSY) that the client retried after RetryInfo.
    shed: int = 0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _measurement(
    result: loadgen.StreamResult,
    *,
    where: dict[str, Any],
    rpc: str,
    target: str,
    server_cpu: float | None,
    concurrency: int,
    response_bytes: int,
    request_bytes: int,
) -> Measurement:
    latencies = sorted(result.latencies_ms)
    every_call = max(1, result.total)
    return Measurement(
        **where,
        rpc=rpc,
        target=target,
        qps=result.qps,
        calls=result.ok,
        p50_ms=percentile(latencies, 50),
        p90_ms=percentile(latencies, 90),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else 0.0,
        errors=dict(result.errors),
        shed=result.shed,
        error_samples=list(result.error_samples),
        server_cpu_ms_per_call=None if server_cpu is None else server_cpu * 1000 / every_call,
        client_cpu_ms_per_call=result.client_cpu_seconds * 1000 / every_call,
        window_seconds=result.window_seconds,
        concurrency=concurrency,
        response_bytes=response_bytes,
        request_bytes=request_bytes,
        exhausted=result.exhausted,
    )


class Engine(Protocol):
    name: str

    def pristine(self, subscriptions: int) -> dataset.Manifest: ...

    def fresh_url(self, subscriptions: int, tag: str) -> str: ...

    def discard(self, url: str) -> None: ...


class SqliteEngine:
    """Cached dataset files; each block runs on a fresh copy."""

    name = "sqlite"

    def __init__(self, options: Options) -> None:
        self.options = options
        self.cached: dict[int, pathlib.Path] = {}

    def pristine(self, subscriptions: int) -> dataset.Manifest:
        path, manifest = dataset.cached_sqlite(self.options.cache_dir, subscriptions)
        self.cached[subscriptions] = path
        return manifest

    def fresh_url(self, subscriptions: int, tag: str) -> str:
        target = self.options.work_dir / f"sqlite-{tag}.db"
        dataset.working_copy(self.cached[subscriptions], target)
        return f"sqlite:///{target}"

    def discard(self, url: str) -> None:
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            pathlib.Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresEngine:
    """A throw-away cluster (as the tests start one); the dataset is loaded once
    per size and each block runs on a copy made with CREATE DATABASE ... TEMPLATE."""

    name = "postgresql"

    def __init__(self, cluster: Any, notes: list[str]) -> None:
        self.cluster = cluster
        self.templates: dict[int, str] = {}
        self.notes = notes

    def pristine(self, subscriptions: int) -> dataset.Manifest:
        name = self.cluster.create_database()
        log.info("loading the %d-serial dataset into PostgreSQL", subscriptions)
        manifest = dataset.load_postgresql(self.cluster.url(name), subscriptions, dt.date.today())
        log.info("loaded in %.0f s", manifest.build_seconds)
        self.templates[subscriptions] = name
        return manifest

    def fresh_url(self, subscriptions: int, tag: str) -> str:
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:16]}"
        started = time.perf_counter()
        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as conn:
            # FILE_COPY copies the template's files (one checkpoint); the default
            # (WAL_LOG) would write a million-serial database through the WAL.
            conn.execute(
                f"CREATE DATABASE {name} TEMPLATE {self.templates[subscriptions]} "
                "STRATEGY FILE_COPY"
            )
        log.info(
            "copied the %d-serial database in %.1f s", subscriptions, time.perf_counter() - started
        )
        plain = self.cluster.url(name)
        # The production setting: a connection pool in each worker process.
        pooled = plain.replace("postgresql://", "postgresql+pool://", 1)
        pooled += "?max_connections=32&stale_timeout=300"
        if _server_accepts(pooled):
            return pooled
        # Refused when the pool is smaller than what the server's threads keep
        # (settings.connections_needed, e.g. with a larger MAX_WORKERS).
        note = (
            "the server's settings refuse a pool of 32 connections for these threads, so "
            "PostgreSQL ran with postgresql://: a new connection for every RPC"
        )
        if note not in self.notes:
            self.notes.append(note)
            log.warning(note)
        return plain

    def discard(self, url: str) -> None:
        import psycopg

        name = url.split("?", 1)[0].rsplit("/", 1)[1]
        with psycopg.connect(self.cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _server_accepts(database_url: str) -> bool:
    """Whether `serve --database URL` would start, as far as its settings go."""
    from aspel.licensing.server.settings import Settings, SettingsError

    try:
        Settings.from_env({}, database_url=database_url)
    except SettingsError:
        return False
    return True


@contextlib.contextmanager
def engine_for(name: str, options: Options, notes: list[str] | None = None) -> Iterator[Engine]:
    if name == "sqlite":
        yield SqliteEngine(options)
        return
    if name != "postgresql":
        raise ValueError(f"unknown engine {name!r}")
    from tests.support import memory
    from tests.support.postgres import PostgresCluster

    # Durable (fsync, synchronous commit) and on disk beside the SQLite working
    # copies, not in the tests' RAM folder: the RPCs that write wait for the
    # same disk on both engines, as they would in production.
    saved = os.environ.get(memory.ON_DISK_ENV)
    os.environ[memory.ON_DISK_ENV] = "1"
    try:
        cluster = PostgresCluster(durable=True)
    finally:
        if saved is None:
            del os.environ[memory.ON_DISK_ENV]
        else:
            os.environ[memory.ON_DISK_ENV] = saved
    cluster.start()
    try:
        yield PostgresEngine(cluster, [] if notes is None else notes)
    finally:
        cluster.stop()


class Run:
    """Collects measurements; `measure_block` does the work of one server start."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.measurements: list[Measurement] = []
        self.datasets: dict[str, dict[int, dict[str, Any]]] = {}
        self.notes: list[str] = []
        self.password_hash = dataset.bench_password_hash()
        self._sqlite_measured = False

    def selected(self) -> list[scenarios.Scenario]:
        chosen = []
        for scenario in scenarios.SCENARIOS:
            if self.options.rpcs and scenario.name not in self.options.rpcs:
                continue
            if not scenario.available():
                note = f"{scenario.name} not measured: the server on this branch has no such RPC"
                if note not in self.notes:
                    self.notes.append(note)
                    log.warning(note)
                continue
            chosen.append(scenario)
        return chosen

    def execute(self) -> None:
        o = self.options
        for engine_name in o.engines:
            with engine_for(engine_name, o, self.notes) as engine:
                for size in o.subscriptions:
                    manifest = engine.pristine(size)
                    self.datasets.setdefault(engine_name, {})[size] = manifest.to_json()
                    for repeat in range(o.repeat):
                        for workers in o.workers:
                            url = engine.fresh_url(size, f"{size}-r{repeat}-w{workers}")
                            try:
                                self.measure_block(engine_name, size, workers, repeat, url)
                            finally:
                                engine.discard(url)

    def _stream(
        self, scenario: scenarios.Scenario, method: str, calls: Sequence[loadgen.Call]
    ) -> loadgen.Stream:
        return loadgen.Stream(
            scenario.name,
            method,
            calls,
            self.options.concurrency,
            self.options.clients,
            scenario.consumes,
        )

    def _drive(
        self,
        server: servers.ServerProcess,
        streams: Sequence[loadgen.Stream],
        profile_as: str | None = None,
    ) -> tuple[dict[str, loadgen.StreamResult], float]:
        o = self.options
        recorder = None
        if o.profile_dir is not None and profile_as is not None:
            recorder = profiles.Recorder(
                server.pids[0], o.warmup + o.duration + 1, o.profile_dir / f"{profile_as}.txt"
            )
        cpu_before = server.cpu_seconds()
        results = loadgen.run(
            server.address,
            streams,
            duration=o.duration,
            warmup=o.warmup,
            connections=o.connections,
        )
        cpu = server.cpu_seconds() - cpu_before
        if recorder is not None:
            log.info("%s", profiles.summarize(recorder.wait(), top=12))
        return results, cpu

    def measure_block(self, engine: str, size: int, workers: int, repeat: int, url: str) -> None:
        o = self.options
        where = {"engine": engine, "subscriptions": size, "workers": workers, "repeat": repeat}
        log.info("%s, %d serials, %d worker(s), repeat %d", engine, size, workers, repeat + 1)
        log_dir = o.work_dir / "logs"
        # Licences are signed: the server needs a key file (a bench-only key).
        key_file = o.work_dir / "signing-keys.json"
        generate_key_file(key_file, dt.datetime.now(dt.UTC), if_missing=True)
        env = {
            "ASPEL_LICENSING_SIGNING_KEY_FILE": str(key_file),
            # The hourly customer reminders (the first run a minute after start)
            # are a job of their own: at a million serials one run holds the
            # worker's GIL for 15 s or more and halved whichever RPC's window it
            # fell in (bench/README.md finding 22). `--server-env
            # ASPEL_LICENSING_REMINDERS=true` puts them back.
            "ASPEL_LICENSING_REMINDERS": "false",
            **dict(o.server_env),
        }
        bench = scenarios.Workbench(url, o.seed + repeat)
        self._sqlite_measured = False
        try:
            with (
                servers.running(servers.licensing_server(url, workers, env), log_dir) as real,
                servers.running(servers.echo_server(workers), log_dir) as echo,
            ):
                for scenario in self.selected():
                    self._measure_rpc(scenario, bench, real, echo, where, url)
                if o.latency_check:
                    self._measure_latency_under_logins(bench, real, where)
        finally:
            bench.close()

    def _measure_rpc(
        self,
        scenario: scenarios.Scenario,
        bench: scenarios.Workbench,
        real: servers.ServerProcess,
        echo: servers.ServerProcess,
        where: dict[str, Any],
        url: str,
    ) -> None:
        o = self.options
        if scenario.consumes:
            count = o.storm_pool if scenario.pool == "storm" else o.accept_pool
        else:
            count = o.pool
        started = time.perf_counter()
        # Requests that change data are probed with one of them, spent on it.
        probe_count = 1 if scenario.consumes else PROBE_CALLS
        calls = scenario.prepare(bench, count + (probe_count if scenario.consumes else 0))
        if len(calls) <= probe_count:
            raise scenarios.SetupError(f"{scenario.name}: the dataset has too few candidates")
        probes = calls[:probe_count]
        if scenario.consumes:
            calls = calls[probe_count:]
        sizes = scenarios.probe_responses(real.address, scenario, probes)
        response_bytes = round(statistics.mean(sizes))
        request_bytes = round(statistics.mean(len(c.body) for c in calls))
        log.info(
            "  %s: %d requests ready in %.1f s (response %d bytes)",
            scenario.name,
            len(calls),
            time.perf_counter() - started,
            response_bytes,
        )
        if scenario.rpc == "Authenticate" and o.argon2_check:
            rate = argon2_rate.verify_rate(
                self.password_hash,
                dataset.BENCH_PASSWORD,
                processes=where["workers"],
                warmup=o.warmup,
                duration=o.duration,
            )
            self.measurements.append(
                Measurement(**where, rpc="argon2id verify", target="argon2", qps=rate)
            )
            log.info("    raw argon2id verify: %.1f/s", rate)
        if scenario.rpc in SQLITE_BOUND and o.sqlite_check and not self._sqlite_measured:
            self._sqlite_measured = True
            rate = sqlite_rate.commit_rate(
                o.work_dir / "sqlite-rate.db", warmup=o.warmup, duration=o.duration
            )
            self.measurements.append(
                Measurement(**where, rpc="durable SQLite transaction", target="sqlite", qps=rate)
            )
            log.info("    raw durable SQLite transactions: %.1f/s", rate)
        runs = [("echo", echo, method_for(response_bytes)), ("server", real, scenario.method)]
        with contextlib.ExitStack() as floor:
            if scenario.name == FLOOR_OF and o.floor_check:
                floor_server = servers.floor_server(url, where["workers"], response_bytes)
                floor.enter_context(servers.running(floor_server, o.work_dir / "logs"))
                runs.append(("floor", floor_server, scenario.method))
            self._measure_runs(scenario, calls, runs, where, response_bytes, request_bytes)

    def _measure_runs(
        self,
        scenario: scenarios.Scenario,
        calls: Sequence[loadgen.Call],
        runs: Sequence[tuple[str, servers.ServerProcess, str]],
        where: dict[str, Any],
        response_bytes: int,
        request_bytes: int,
    ) -> None:
        o = self.options
        for target, server, method in runs:
            tag = "{engine}-{subscriptions}-w{workers}-r{repeat}".format(**where)
            results, cpu = self._drive(
                server,
                [self._stream(scenario, method, calls)],
                profile_as=f"{scenario.name.replace(' ', '-')}-{tag}"
                if target == "server"
                else None,
            )
            m = _measurement(
                results[scenario.name],
                where=where,
                rpc=scenario.name,
                target=target,
                server_cpu=cpu,
                concurrency=o.concurrency,
                response_bytes=response_bytes,
                request_bytes=request_bytes,
            )
            self.measurements.append(m)
            log.info(
                "    %-6s %8.1f QPS  p50 %6.2f ms  p99 %7.2f ms  %s",
                target,
                m.qps,
                m.p50_ms,
                m.p99_ms,
                f"ERRORS {m.errors}" if m.errors else "no errors",
            )

    def _measure_latency_under_logins(
        self, bench: scenarios.Workbench, real: servers.ServerProcess, where: dict[str, Any]
    ) -> None:
        """The probe RPC at low concurrency, alone and while logins saturate."""
        o = self.options
        available = {s.name: s for s in scenarios.SCENARIOS if s.available()}
        probe_name = next((n for n in scenarios.LATENCY_PROBES if n in available), None)
        if probe_name is None or "Authenticate" not in available:
            return
        probe = available[probe_name]
        probe_calls = probe.prepare(bench, o.pool)
        login_calls = scenarios.prepare_authenticate(bench, o.pool)
        probe_stream = loadgen.Stream(
            f"{probe.rpc} probe", probe.method, probe_calls, o.probe_concurrency, 1
        )
        logins = loadgen.Stream(
            "Authenticate",
            scenarios.by_name("Authenticate").method,
            login_calls,
            o.concurrency,
            o.clients,
        )
        alone, cpu_alone = self._drive(real, [probe_stream])
        tag = "{engine}-{subscriptions}-w{workers}-r{repeat}".format(**where)
        loaded, _ = self._drive(real, [probe_stream, logins], profile_as=f"under-logins-{tag}")
        for target, result, cpu in (
            ("idle", alone[probe_stream.name], cpu_alone),
            ("under_logins", loaded[probe_stream.name], None),
        ):
            m = _measurement(
                result,
                where=where,
                rpc=probe.rpc,
                target=target,
                server_cpu=cpu,
                concurrency=o.probe_concurrency,
                response_bytes=0,
                request_bytes=0,
            )
            self.measurements.append(m)
        logins_m = _measurement(
            loaded["Authenticate"],
            where=where,
            rpc="Authenticate",
            target="logins",
            server_cpu=None,
            concurrency=o.concurrency,
            response_bytes=0,
            request_bytes=0,
        )
        self.measurements.append(logins_m)
        idle, busy = self.measurements[-3], self.measurements[-2]
        log.info(
            "  %s p99 alone %.2f ms, while logins saturate (%.1f/s) %.2f ms",
            probe.rpc,
            idle.p99_ms,
            logins_m.qps,
            busy.p99_ms,
        )
