"""Prometheus metrics (`--metrics-listen`, off by default).

The gRPC names are go-grpc-prometheus's (`grpc_server_started_total`,
`grpc_server_handled_total`, `grpc_server_handling_seconds`), so existing
dashboards and alerts apply. With `--workers N` every worker is its own
process: prometheus-client's multiprocess mode keeps each worker's values in
files of PROMETHEUS_MULTIPROC_DIR (a fresh temporary folder the supervisor
makes before forking) and the supervisor alone serves the sum. So metrics
objects are made per process, after the fork (`ServerMetrics`), never at
import time, and the value class is chosen when the folder is set
(`enable_multiprocess`).

Values read from elsewhere at scrape time (the outbox, the signing key) are
collectors of the process that serves /metrics: they ask the database or the
key file when Prometheus asks, never in an RPC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: go-grpc-prometheus's default buckets plus the ones an argon2 login needs.
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


@contextlib.contextmanager
def multiprocess_metrics() -> Iterator[str]:
    """A fresh folder for the workers' metric files, set before any fork and
    removed when the supervisor ends (stale files would add old values)."""
    folder = tempfile.mkdtemp(prefix="aspel-licensing-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = folder
    # prometheus-client picks its value class when it is imported; the
    # server imported it before knowing it would fork, so pick it again.
    values.ValueClass = values.get_value_class()
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        values.ValueClass = values.get_value_class()
        shutil.rmtree(folder, ignore_errors=True)


def mark_worker_dead(pid: int) -> None:
    """Drops a dead worker's live gauges (in-flight calls, hashes running)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


class ServerMetrics:
    """The metrics one server process updates. `registry` None (multiprocess
    mode): the values live in the folder's files and the supervisor reads them."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        labels = ["grpc_type", "grpc_service", "grpc_method"]

        def live_gauge(name: str, documentation: str, *labelnames: str) -> Gauge:
            # Summed over the live workers only: a dead worker's calls,
            # hashes and connections are gone with it (see mark_worker_dead).
            return Gauge(
                name, documentation, labelnames, registry=registry, multiprocess_mode="livesum"
            )

        self.started = Counter(
            "grpc_server_started_total",
            "RPCs started on the server.",
            labels,
            registry=registry,
        )
        self.handled = Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, whatever their status.",
            [*labels, "grpc_code"],
            registry=registry,
        )
        self.handling = Histogram(
            "grpc_server_handling_seconds",
            "Time an RPC took on the server, to its status.",
            labels,
            buckets=HANDLING_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            "aspel_licensing_errors_total",
            "RPCs answered with an error, by ErrorInfo.reason.",
            ["grpc_service", "grpc_method", "reason"],
            registry=registry,
        )
        self.in_flight = live_gauge(
            "grpc_server_in_flight", "RPCs being handled now.", "grpc_service"
        )
        self.hashes_running = live_gauge(
            "aspel_licensing_hashing_running", "argon2id hashes running now."
        )
        self.hashes_waiting = live_gauge(
            "aspel_licensing_hashing_waiting", "Calls waiting for an argon2id slot."
        )
        self.hashes_shed = Counter(
            "aspel_licensing_hashing_shed",
            "Calls refused SERVER_BUSY because too many waited for a hash.",
            registry=registry,
        )

        self.pool_connections = live_gauge(
            "aspel_licensing_database_pool_connections",
            "Pooled database connections of the server processes, by state.",
            "state",
        )
        # Set after every RPC: the children are looked up once, at the first.
        self._pool_children: tuple[Any, Any] | None = None

    def observe_connections(self, sizes: tuple[int, int] | None) -> None:
        """After each RPC: the database connections serving a call and idle
        (pooled, or kept by an RPC thread between its calls; Store.connections).
        None (no pool): nothing to report."""
        if sizes is None:
            return
        if self._pool_children is None:
            self._pool_children = (
                self.pool_connections.labels("in_use"),
                self.pool_connections.labels("idle"),
            )
        in_use, idle = self._pool_children
        in_use.set(sizes[0])
        idle.set(sizes[1])

    def observe_gate(self, event: str) -> None:
        """HashingGate's listener: "wait", "run", "done" or "shed"."""
        if event == "wait":
            self.hashes_waiting.inc()
        elif event == "run":
            self.hashes_waiting.dec()
            self.hashes_running.inc()
        elif event == "done":
            self.hashes_running.dec()
        elif event == "shed":
            self.hashes_shed.inc()
        elif event == "gave_up":  # waited, then failed before a slot
            self.hashes_waiting.dec()


class OutboxCollector:
    """The outbox at scrape time: messages pending, the oldest one's age, failed."""

    def __init__(self, store: Any, now: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.now = now

    def collect(self) -> Iterator[Metric]:
        try:
            with self.store.read() as tx:
                counts = tx.outbox.count_by_state()
                oldest = tx.outbox.oldest_unsent_time()
        except Exception:
            # A scrape must not fail with the database: the health check and
            # the error metrics tell that story; these gauges are absent.
            log.warning("metrics: cannot read the outbox", exc_info=True)
            return
        pending = GaugeMetricFamily(
            "aspel_licensing_outbox_messages",
            "Messages of the outbox, by state.",
            labels=["state"],
        )
        for state in ("PENDING", "SENDING", "SENT", "FAILED"):
            pending.add_metric([state], counts.get(state, 0))
        yield pending
        age = 0.0 if oldest is None else max(0.0, (self.now() - oldest).total_seconds())
        yield GaugeMetricFamily(
            "aspel_licensing_outbox_oldest_pending_seconds",
            "Age of the oldest message not yet sent (0 when none waits).",
            value=age,
        )


class SigningKeyCollector:
    """The key id that signs new licences, as an info metric (0 keys: absent)."""

    def __init__(self, keys: Any) -> None:
        self.keys = keys

    def collect(self) -> Iterator[Metric]:
        try:
            key_id = self.keys.current().active_key_id
        except Exception:
            log.warning("metrics: cannot read the signing keys", exc_info=True)
            return
        info = InfoMetricFamily("aspel_licensing_signing_key", "The key that signs new licences.")
        info.add_metric([], {"key_id": key_id})
        yield info


def add_scrape_collectors(
    registry: CollectorRegistry, *, store: Any, keys: Any, now: Callable[[], dt.datetime]
) -> CollectorRegistry:
    """What /metrics serves besides the RPC metrics: in multiprocess mode the
    workers' sum, the collectors read at scrape time and this process's own
    process metrics (in multiprocess mode, the supervisor's)."""
    folder = multiprocess_dir()
    if folder:
        multiprocess.MultiProcessCollector(registry, path=folder)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(OutboxCollector(store, now))
    registry.register(SigningKeyCollector(keys))
    return registry


def serve_http(registry: CollectorRegistry, listen: str) -> tuple[Any, int]:
    """Starts /metrics on `listen` (host:port, port 0 picks one) in a thread;
    returns the HTTP server (`.shutdown()` stops it) and its port."""
    host, _, port = listen.rpartition(":")
    httpd, _thread = start_http_server(int(port), addr=host.strip("[]"), registry=registry)
    return httpd, int(httpd.server_port)
