"""Customer reminders by email: a payment coming due, an installation that
stopped validating, an upgrade published for the customer's serial.

Each reminder goes at most once: its (kind, serial, occasion) row is inserted
in the transaction that queues its email (and its audit event), and a row
already there means another run, in this process or another worker, sent it.
So the job may run in every `serve` worker, from cron, or both.

The occasion of each kind:
- payment due: the due date and the threshold reached ("2026-12-01/7"); with
  thresholds 7 and 1, a serial gets the 7-day reminder and later the 1-day
  one; a run that starts late sends only the nearest threshold.
- idle installation: the installation and the instant it was last seen, so a
  machine that comes back and goes silent again is told again.
- upgrade available: the version, once per release per serial.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..store.database import Store, retry_on_conflict
from ..store.models import Account, Activation, Subscription
from ..store.unit_of_work import UnitOfWork
from . import serials
from .clock import BusinessCalendar
from .emails import email_account
from .products import product_name
from .spanish import long_date, time_of_day
from .subscriptions import views_of

log = logging.getLogger(__name__)

PAYMENT_DUE = "reminder_payment_due"
IDLE_INSTALLATION = "reminder_idle_installation"
UPGRADE_AVAILABLE = "reminder_upgrade_available"
KINDS = (PAYMENT_DUE, IDLE_INSTALLATION, UPGRADE_AVAILABLE)
ACTOR = "system:reminders"
_BATCH = 500


#: A licence still valid this much later than now was issued for a stay
#: offline, not by an online check-in (whose licences end within about two
#: months of it: validity, record interval and grace; domain/activation.py).
LONG_STAY = dt.timedelta(days=62)


@dataclass(frozen=True)
class ReminderPolicy:
    #: Days before a payment date that a reminder goes, largest first.
    payment_days: tuple[int, ...] = (7, 1)
    #: Days without a validation after which an installation's owner is told.
    idle_days: int = 30


@dataclass(frozen=True)
class Reminder:
    kind: str
    serial_number: str
    occasion: str
    account: Account
    fields: dict[str, str]


def _due_text(days: int) -> str:
    if days <= 0:
        return "hoy"
    if days == 1:
        return "mañana"
    return f"en {days} días"


@dataclass(eq=False)
class ReminderService:
    store: Store
    calendar: BusinessCalendar
    policy: ReminderPolicy

    # --- who is due one ----------------------------------------------------------

    def _pages(
        self, read: Callable[[UnitOfWork, int], Sequence[Subscription | Activation]]
    ) -> Iterator[Subscription | Activation]:
        after_id = 0
        while True:
            with self.store.read() as tx:
                rows = list(read(tx, after_id))
            yield from rows
            if len(rows) < _BATCH:
                return
            after_id = rows[-1].id

    def _payments(self, today: dt.date) -> Iterator[Reminder]:
        days = self.policy.payment_days
        if not days:
            return
        last = today + dt.timedelta(days=max(days))

        def read(tx: UnitOfWork, after_id: int) -> list[Subscription]:
            return tx.reminders.payments_due(
                first=today, last=last, after_id=after_id, limit=_BATCH
            )

        for row in self._pages(read):
            assert isinstance(row, Subscription)
            due = row.next_payment_date
            if due is None:  # the query reads only dated rows
                continue
            left = (due - today).days
            threshold = min(d for d in days if left <= d)
            yield Reminder(
                PAYMENT_DUE,
                row.serial_number,
                f"{due.isoformat()}/{threshold}",
                row.account,
                {
                    "product_name": product_name(row.product_code),
                    "version": row.version,
                    "serial_number": serials.display(row.serial_number),
                    "due_text": _due_text(left),
                    "due_date_text": long_date(due),
                },
            )

    def _idle(self, now: dt.datetime) -> Iterator[Reminder]:
        seen_before = now - dt.timedelta(days=self.policy.idle_days)

        def read(tx: UnitOfWork, after_id: int) -> list[Activation]:
            return tx.reminders.idle_installations(
                seen_before=seen_before, after_id=after_id, limit=_BATCH
            )

        for row in self._pages(read):
            assert isinstance(row, Activation)
            if row.license_expire_time is not None and row.license_expire_time > now + LONG_STAY:
                # Licensed for a long stay offline (an offline redemption):
                # not idle, it was never meant to call. It is told once the
                # end of that licence comes near.
                continue
            subscription = row.subscription
            last_seen = row.last_validate_time or row.create_time
            yield Reminder(
                IDLE_INSTALLATION,
                subscription.serial_number,
                f"{row.public_id}/{last_seen.isoformat()}",
                subscription.account,
                {
                    "product_name": product_name(row.product_code),
                    "version": row.version,
                    "serial_number": serials.display(subscription.serial_number),
                    "hostname": row.hostname or "sin nombre",
                    "last_seen_text": time_of_day(self.calendar.local(last_seen)),
                    "idle_days": str(self.policy.idle_days),
                },
            )

    def _upgrades(self, today: dt.date) -> Iterator[Reminder]:
        after_id = 0
        while True:
            with self.store.read() as tx:
                rows = tx.reminders.active_subscriptions(after_id=after_id, limit=_BATCH)
                # The portal's own rule (upgrade_available), so both always agree.
                views = views_of(tx, rows, today)
                releases = {
                    (r.product_code, r.version): r
                    for r in tx.catalog.releases_of({row.product_code for row in rows})
                }
            for row, view in zip(rows, views, strict=True):
                if not view.upgrade_available or view.available_version is None:
                    continue
                release = releases[(row.product_code, view.available_version)]
                yield Reminder(
                    UPGRADE_AVAILABLE,
                    row.serial_number,
                    view.available_version,
                    row.account,
                    {
                        "product_name": product_name(row.product_code),
                        "from_version": row.version,
                        "to_version": view.available_version,
                        "serial_number": serials.display(row.serial_number),
                        "download_url": release.download_url,
                    },
                )
            if len(rows) < _BATCH:
                return
            after_id = rows[-1].id

    def due(self) -> Iterator[Reminder]:
        """Every reminder the clock calls for now, sent before or not."""
        now, today = self.calendar.now(), self.calendar.today()
        yield from self._payments(today)
        yield from self._idle(now)
        yield from self._upgrades(today)

    # --- sending -----------------------------------------------------------------

    @retry_on_conflict()
    def _send(self, reminder: Reminder) -> bool:
        now = self.calendar.now()
        with self.store.write() as tx:
            if not tx.reminders.claim(
                kind=reminder.kind,
                serial_number=reminder.serial_number,
                occasion=reminder.occasion,
                now=now,
            ):
                return False
            email_account(tx, reminder.kind, reminder.account, reminder.fields, now)
            tx.audit.record(
                kind="reminder.sent",
                actor=ACTOR,
                now=now,
                account_public_id=reminder.account.public_id,
                serial_number=reminder.serial_number,
                detail={"reminder": reminder.kind, "occasion": reminder.occasion},
            )
            return True

    def run(self, *, dry_run: bool = False) -> list[Reminder]:
        """Queues every reminder due and not sent yet; returns them. With
        `dry_run`, only says which it would queue, and writes nothing."""
        done: list[Reminder] = []
        for reminder in self.due():
            if dry_run:
                with self.store.read() as tx:
                    sent = tx.reminders.already_sent(
                        reminder.kind, reminder.serial_number, reminder.occasion
                    )
                if not sent:
                    done.append(reminder)
            elif self._send(reminder):
                done.append(reminder)
        if done and not dry_run:
            log.info("reminders: %d queued", len(done))
        return done
