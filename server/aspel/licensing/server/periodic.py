"""A job run every so often as a daemon thread of `serve` (the seat reclaim,
the reminders): the thread outlives a failed run, and stops when asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .errors import DatabaseUnavailable, LicensingError, StorageUnavailable

log = logging.getLogger(__name__)


class PeriodicThread:
    """Runs `job` after `first_delay_seconds`, then every `interval_seconds`,
    until stopped. A failed run is logged and the next one tries again."""

    def __init__(
        self,
        name: str,
        job: Callable[[], object],
        interval_seconds: float,
        first_delay_seconds: float,
    ) -> None:
        self.name = name
        self.job = job
        self.interval_seconds = interval_seconds
        self.first_delay_seconds = first_delay_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Asks the thread to end after its current run; True when it ended in time."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        delay = self.first_delay_seconds
        while not self._stop.wait(delay):
            delay = self.interval_seconds
            self.run_once()

    def run_once(self) -> None:
        try:
            self.job()
        except (DatabaseUnavailable, StorageUnavailable):
            pass  # the store logged it, rate-limited; the next run tries again
        except LicensingError as exc:
            log.warning("%s: run skipped: %s", self.name, exc.reason)
        except Exception:  # a bug must not end the thread
            log.exception("%s: run failed", self.name)
