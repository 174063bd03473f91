"""The automatic reclaim of seats as a thread of `serve` (domain/installations.py).

Every worker process of every machine may run one: the reclaim is a
conditional UPDATE per activation, so each is reclaimed (audited, emailed)
once whoever runs it. `aspel-licensing-server reclaim-seats` runs it once,
for deployments that prefer a timer.
"""

from __future__ import annotations

import logging
import random
import threading

from .domain.installations import InstallationService
from .errors import LicensingError

log = logging.getLogger(__name__)


class ReclaimThread:
    """Reclaims every `interval_seconds` until stopped (the first run after a
    random part of one interval, so workers started together do not all run
    at once)."""

    def __init__(self, installations: InstallationService, interval_seconds: float) -> None:
        self.installations = installations
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="seat-reclaim", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        delay = self.interval * random.random()  # noqa: S311 (spreading, not secrecy)
        while not self._stop.wait(delay):
            delay = self.interval
            try:
                reclaimed = self.installations.reclaim()
            except LicensingError as exc:  # the database is away: next time
                log.warning("seat reclaim skipped: %s", exc.reason)
                continue
            except Exception:
                log.exception("seat reclaim failed")
                continue
            if reclaimed:
                log.info("reclaimed %d seats of silent machines", reclaimed)
