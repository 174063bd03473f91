"""Runs the customer reminders (domain/reminders.py): periodically as a
thread of `serve`, or once per `aspel-licensing-server reminders` (cron)."""

from __future__ import annotations

import logging
import threading

from .domain.clock import BusinessCalendar
from .domain.reminders import ReminderPolicy, ReminderService
from .errors import DatabaseUnavailable, StorageUnavailable
from .settings import Settings, payment_days
from .store.database import Store

log = logging.getLogger(__name__)


def build_reminders(
    settings: Settings, store: Store, calendar: BusinessCalendar
) -> ReminderService:
    return ReminderService(
        store,
        calendar,
        ReminderPolicy(
            payment_days=payment_days(settings.reminder_payment_days),
            idle_days=settings.reminder_idle_installation_days,
        ),
    )


#: The first run waits this long (or the interval, when shorter): a server that
#: starts is busy enough, and one restarted in a loop does not run each time.
FIRST_RUN_DELAY_SECONDS = 60.0


class RemindersThread:
    """A run shortly after start, then one every `interval_seconds`, until
    stopped. Every worker process may run one: each reminder's unique row
    sends it once."""

    def __init__(self, service: ReminderService, interval_seconds: float) -> None:
        self.service = service
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reminders", daemon=True)

    def _run(self) -> None:
        self._stop.wait(min(FIRST_RUN_DELAY_SECONDS, self.interval_seconds))
        while not self._stop.is_set():
            try:
                with self.service.store.connection():
                    self.service.run()
            except (DatabaseUnavailable, StorageUnavailable):
                pass  # the store logged it; the next run tries again
            except Exception:  # a bug must not end the thread
                log.exception("reminders: run failed")
            self._stop.wait(self.interval_seconds)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()
