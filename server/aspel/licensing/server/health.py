"""grpc.health.v1 that tells the truth about the database.

A load balancer (or Kubernetes) asks `Health/Check` to decide whether to send
traffic here. The answer is SERVING only while the database answers: a thread
of the server reads it every `health_check_seconds` (not per call, so a probe
costs no query), and NOT_SERVING from the start of a shutdown, so traffic moves
away while in-flight calls drain.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable

import grpc
from grpc_health.v1 import health, health_pb2

from .errors import DatabaseUnavailable, StorageUnavailable
from .store.database import Store

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class DatabaseHealth:
    """The health servicer of one server, and the check that drives it."""

    def __init__(self, store: Store, services: Iterable[str], interval: float) -> None:
        self.store = store
        #: "" (the server as a whole) and every service it serves.
        self.names = ["", *services]
        # Never a busy loop, whatever the setting says.
        self.interval = max(interval, 0.05)
        self.servicer = health.HealthServicer()
        self._serving: bool | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._set(serving=True)  # the server was just built on a database that answered

    def _set(self, *, serving: bool) -> None:
        for name in self.names:
            self.servicer.set(name, SERVING if serving else NOT_SERVING)
        self._serving = serving

    def check(self) -> bool:
        """Reads the database once and reports the outcome; True when it answered."""
        try:
            self.store.ping()
            serving = True
        except (DatabaseUnavailable, StorageUnavailable):
            serving = False  # the store logged it (rate-limited)
        except Exception:
            serving = False
            if self._serving:
                log.exception("health check failed unexpectedly")
        if serving != self._serving:
            if serving:
                log.info("database answers again: health SERVING")
            else:
                log.warning("database does not answer: health NOT_SERVING")
            self._set(serving=serving)
        return serving

    def watch(self, server: grpc.Server) -> None:
        """Checks every `interval` seconds, in a daemon thread, until `stop()`
        or until `server` stops (or is dropped without being stopped)."""
        ref = weakref.ref(server)
        del server  # only the weak reference: a dropped server ends the thread

        def run() -> None:
            while not self._stopped.wait(self.interval):
                current = ref()
                # wait_for_termination is True when the time ran out, so False
                # here means the server has stopped.
                if current is None or not current.wait_for_termination(0):
                    return
                del current
                self.check()

        self._thread = threading.Thread(target=run, name="health", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ends the checks and waits for one in progress, so that the store
        can be closed without a check failing on a connection it closed."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def enter_graceful_shutdown(self) -> None:
        """NOT_SERVING for good: later checks no longer change it."""
        self.servicer.enter_graceful_shutdown()
        log.info("health NOT_SERVING: shutting down")
