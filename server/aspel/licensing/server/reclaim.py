"""The automatic reclaim of seats as a thread of `serve` (domain/installations.py).

Every worker process of every machine may run one: the reclaim is a
conditional UPDATE per activation, so each is reclaimed (audited, emailed)
once whoever runs it. `aspel-licensing-server reclaim-seats` runs it once,
for deployments that prefer a timer.
"""

from __future__ import annotations

import logging
import random

from .domain.installations import InstallationService
from .periodic import PeriodicThread

log = logging.getLogger(__name__)


def reclaim_thread(installations: InstallationService, interval_seconds: float) -> PeriodicThread:
    """Reclaims every `interval_seconds` until stopped (the first run after a
    random part of one interval, so workers started together do not all run
    at once)."""

    def reclaim() -> None:
        reclaimed = installations.reclaim()
        if reclaimed:
            log.info("reclaimed %d seats of silent machines", reclaimed)

    return PeriodicThread(
        "seat-reclaim",
        reclaim,
        interval_seconds,
        interval_seconds * random.random(),  # noqa: S311 (spreading, not secrecy)
    )
