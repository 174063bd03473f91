"""Runs the customer reminders (domain/reminders.py): periodically as a
thread of `serve`, or once per `aspel-licensing-server reminders` (cron)."""

from __future__ import annotations

from .domain.clock import BusinessCalendar
from .domain.reminders import ReminderPolicy, ReminderService
from .periodic import PeriodicThread
from .settings import Settings, payment_days
from .store.database import Store


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


def reminders_thread(service: ReminderService, interval_seconds: float) -> PeriodicThread:
    """A run shortly after start, then one every `interval_seconds`, until
    stopped. Every worker process may run one: each reminder's unique row
    sends it once."""

    def remind() -> None:
        with service.store.connection():
            service.run()

    return PeriodicThread(
        "reminders", remind, interval_seconds, min(FIRST_RUN_DELAY_SECONDS, interval_seconds)
    )
