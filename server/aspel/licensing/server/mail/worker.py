"""The outbox worker: delivers queued emails at least once, never silently drops one.

One message at a time:
1. claim: in one write transaction, a conditional UPDATE marks the oldest due
   row SENDING until `now + claim_for` and counts the attempt. Due means
   PENDING with `next_attempt_time <= now`, or SENDING whose claim ran out (its
   worker died between the claim and the end of the send). Two workers, in
   threads or processes, can never hold one row at once.
2. send, outside any transaction (SMTP may take seconds).
3. record: SENT; or, on a temporary failure, PENDING again after an exponential
   backoff with jitter; or FAILED with `last_error` when the server refused the
   message for good, when it could not be delivered within `give_up_after` or
   `max_attempts`, or when it lost its purpose first (a reset link that expired).
   Secrets in the payload (the reset token) are erased once a row is final.

Each row's Message-ID and Date are fixed when it is queued, so when a crash
between send and record causes a second delivery, it is the same message.

Webhook rows (kind "webhook", queued with every audited change) go through
the same claim, backoff and FAILED rules; only the send differs: an HTTP POST
(webhooks.py) instead of SMTP, its body fixed when queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.clock import Clock
from ..domain.events import WEBHOOK_KIND
from ..errors import DatabaseUnavailable, StorageUnavailable
from ..settings import Settings
from ..signals import stop_on_signals
from ..store.database import Store
from ..store.models import OutboxMessage
from ..store.unit_of_work import UnitOfWork
from . import transports
from .message import compose, envelope_address
from .render import SECRET_PAYLOAD_KEYS, RenderContext, RenderError, render
from .webhooks import HttpPoster, Outcome, WebhookSender

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    #: The wait after the first failed attempt; it doubles after each failure.
    first_delay: dt.timedelta = dt.timedelta(seconds=30)
    longest_delay: dt.timedelta = dt.timedelta(hours=1)
    #: A message not delivered this long after it was queued is FAILED.
    give_up_after: dt.timedelta = dt.timedelta(hours=48)
    #: Or after this many attempts (a claim counts as one: the sender may have died).
    max_attempts: int = 40
    #: How long a claimed row stays reserved for its worker.
    claim_for: dt.timedelta = dt.timedelta(minutes=5)

    def delay(self, attempts: int, draw: float) -> dt.timedelta:
        """Backoff after `attempts` failed attempts, `draw` in [0, 1): half fixed,
        half random ("equal jitter"), so retries of many messages spread out."""
        base = min(self.first_delay * (2 ** min(max(attempts - 1, 0), 30)), self.longest_delay)
        return base / 2 + base / 2 * draw


def _scrubbed(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in SECRET_PAYLOAD_KEYS}


def _expired(payload: Mapping[str, Any], now: dt.datetime) -> bool:
    """A message may say until when it is worth sending (`expire_time`, ISO 8601)."""
    raw = payload.get("expire_time")
    if not isinstance(raw, str):
        return False
    try:
        return dt.datetime.fromisoformat(raw) <= now
    except ValueError:
        return False


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        transport: transports.Transport,
        *,
        mail_from: str,
        context: RenderContext,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        webhooks: WebhookSender | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.transport = transport
        self.mail_from = mail_from
        self.envelope_from = envelope_address(mail_from)
        self.context = context
        self.retry = retry or RetryPolicy()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.webhooks = webhooks or WebhookSender(store, clock, HttpPoster(5.0, 10.0))

    # --- one message -----------------------------------------------------------

    def deliver_one(self) -> bool:
        """Claims, sends and records one due message; False when none is due."""
        with self.store.read() as tx:
            with self.store.write() as tx:
                row = tx.outbox.claim_next(now=self.clock.now(), claim_for=self.retry.claim_for)
            if row is None:
                return False
            self._deliver(row)
            return True

    def deliver_due(self, limit: int = 1000) -> int:
        """Delivers due messages until none is left (or `limit`); returns how many."""
        handled = 0
        while handled < limit and self.deliver_one():
            handled += 1
        return handled

    def _deliver(self, row: OutboxMessage) -> None:
        claim = row.claimed_until
        now = self.clock.now()
        if _expired(row.payload, now):
            self._fail(row, claim, "EXPIRED: no longer useful when it could be sent")
            return
        if row.kind == WEBHOOK_KIND:
            self._deliver_webhook(row, claim)
            return
        try:
            rendered = render(row.kind, row.payload, self.context)
            message = compose(
                message_id=row.message_id,
                recipient=row.recipient,
                create_time=row.create_time,
                mail_from=self.mail_from,
                rendered=rendered,
            )
        except RenderError as exc:
            self._fail(row, claim, f"cannot render: {exc}")
            return
        try:
            self.transport.send(message, self.envelope_from, [row.recipient])
        except transports.PermanentFailure as exc:
            self._fail(row, claim, f"refused: {exc}")
            return
        except transports.TemporaryFailure as exc:
            self._retry_or_give_up(row, claim, str(exc))
            return
        except Exception as exc:  # a bug in a transport must not stop the worker
            log.exception("outbox %s: unexpected error while sending", row.id)
            self._retry_or_give_up(row, claim, f"unexpected {type(exc).__name__}")
            return
        with self.store.write() as tx:
            tx.outbox.mark_sent(
                message_id=row.id, now=self.clock.now(), payload=_scrubbed(row.payload)
            )
        self._flush_if_erased(tx, row.payload)
        log.info("outbox %s (%s) sent, attempt %d", row.id, row.kind, row.attempts)

    def _deliver_webhook(self, row: OutboxMessage, claim: dt.datetime) -> None:
        try:
            result = self.webhooks.send(row.payload)
        except (DatabaseUnavailable, StorageUnavailable):
            raise
        except Exception as exc:  # a bug must not stop the worker
            log.exception("outbox %s: unexpected error while posting a webhook", row.id)
            self._retry_or_give_up(row, claim, f"unexpected {type(exc).__name__}")
            return
        if result.outcome is Outcome.FAILED:
            self._fail(row, claim, result.error)
            return
        if result.outcome is Outcome.RETRY:
            self._retry_or_give_up(row, claim, result.error)
            return
        with self.store.write() as tx:
            tx.outbox.mark_sent(message_id=row.id, now=self.clock.now(), payload=row.payload)
        log.info(
            "outbox %s (webhook %s) delivered, attempt %d", row.id, row.recipient, row.attempts
        )

    def _retry_or_give_up(self, row: OutboxMessage, claim: dt.datetime, error: str) -> None:
        now = self.clock.now()
        deadline = row.create_time + self.retry.give_up_after
        if now >= deadline or row.attempts >= self.retry.max_attempts:
            self._fail(row, claim, f"gave up after {row.attempts} attempts: {error}")
            return
        next_time = min(now + self.retry.delay(row.attempts, self._rng.random()), deadline)
        with self.store.write() as tx:
            kept = tx.outbox.retry_later(
                message_id=row.id, claimed_until=claim, next_attempt_time=next_time, error=error
            )
        log.warning(
            "outbox %s (%s) attempt %d failed, %s: %s",
            row.id,
            row.kind,
            row.attempts,
            f"next at {next_time:%Y-%m-%d %H:%M:%S}Z" if kept else "claim lost",
            error,
        )

    def _fail(self, row: OutboxMessage, claim: dt.datetime, error: str) -> None:
        with self.store.write() as tx:
            tx.outbox.mark_failed(
                message_id=row.id, claimed_until=claim, error=error, payload=_scrubbed(row.payload)
            )
        self._flush_if_erased(tx, row.payload)
        log.error(
            "outbox %s (%s) FAILED after %d attempts: %s", row.id, row.kind, row.attempts, error
        )

    def _flush_if_erased(self, tx: UnitOfWork, payload: Mapping[str, Any]) -> None:
        """After erasing a secret, leave no copy of it in the database's files."""
        if SECRET_PAYLOAD_KEYS.intersection(payload):
            tx.outbox.flush_erased_secrets()

    # --- loop --------------------------------------------------------------------

    def run(self, stop: threading.Event, poll_seconds: float) -> None:
        """Delivers until `stop` is set, sleeping `poll_seconds` whenever nothing is due."""
        log.info("mailer delivering to %s", self.transport.describe())
        while not stop.is_set():
            try:
                handled = self.deliver_due(limit=100)
            except (DatabaseUnavailable, StorageUnavailable):
                # The store logged it, rate-limited; a message claimed but not
                # recorded is taken again when its claim runs out.
                handled = 0
            except Exception:  # a bug must not stop the worker
                log.exception("mailer: delivery round failed")
                handled = 0
            if handled == 0:
                stop.wait(poll_seconds)


class MailerThread:
    """The worker as a daemon thread of `serve`, started and stopped with the server."""

    def __init__(self, worker: OutboxWorker, poll_seconds: float) -> None:
        self.worker = worker
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run, args=(self._stop, poll_seconds), name="mailer", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Asks the worker to finish its current message; True when it ended in time.
        One still sending keeps its claim and is delivered again after it expires."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()


def build_worker(
    settings: Settings, store: Store, clock: Clock, transport: transports.Transport | None = None
) -> OutboxWorker:
    """The worker `settings` describe; `transport` overrides the one of `smtp_url`."""
    retry = RetryPolicy(
        give_up_after=dt.timedelta(hours=settings.mail_give_up_hours),
        max_attempts=settings.mail_max_attempts,
        claim_for=dt.timedelta(seconds=settings.mail_claim_seconds),
    )
    return OutboxWorker(
        store,
        clock,
        transport or transports.from_url(settings.smtp_url, timeout=settings.mail_timeout_seconds),
        mail_from=settings.mail_from,
        context=RenderContext(password_reset_url=settings.password_reset_url),
        retry=retry,
        webhooks=WebhookSender(
            store,
            clock,
            HttpPoster(
                settings.webhook_connect_timeout_seconds,
                settings.webhook_read_timeout_seconds,
                allow_loopback=settings.webhook_allow_loopback_http,
            ),
        ),
    )


def run_until_signalled(worker: OutboxWorker, poll_seconds: float) -> None:
    """`aspel-licensing-server mailer`: delivers until SIGTERM or SIGINT."""
    stop = stop_on_signals(log, "finishing the current message")
    worker.run(stop, poll_seconds)
    log.info("mailer stopped")
