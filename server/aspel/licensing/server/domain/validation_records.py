"""Recording validations behind the call: `last_validate_time` and the seat's
licence bound, written in batches, except when a licence needs the bound now.

What is recorded and why it matters:

- `last_validate_time` is bookkeeping (reminders, the portal's list): at most
  about a second of it may be lost on a crash (SIGKILL), nothing on a
  graceful stop.
- `license_expire_time`, the seat's bound (activation.license_bound), is a
  security property: a released seat is freed once every licence handed out
  for it has expired. So a licence is never handed out unless the bound
  already stored (durable, committed) covers it.

How (one `ValidationRecorder` per process, started by `serve`):

- `later(...)`: the stored bound already covers the licence being issued;
  the write only keeps it ahead (raised early: while half of
  `validation_record_interval` of slack is left) and records the time. It is
  queued in-process (one entry per activation, later times win) and a
  background thread writes the queue in one transaction at most `delay`
  after the first entry; the call does not wait. Installers that validate
  regularly only ever take this path.
- `now(...)`: the stored bound does not cover the licence (a first validation
  after a long silence, an imported activation): the call waits until the
  bound is committed. Concurrent such calls share one transaction (group
  commit): the thread writes at once everything queued, and each waiter
  returns when that transaction committed, or raises its error.
- A failed write (database down) is logged (counts and the error's kind, no
  serials, no keys) and its entries go back into the queue for the next
  attempt, after a back-off; waiters get the error (UNAVAILABLE), no licence.
- A waiter waits at most `wait_seconds` (as long as SQLite's busy timeout),
  then gets DATABASE_UNAVAILABLE and no licence; its record stays queued.
- `stop()` (SIGTERM drain, every worker) writes what is queued before the
  process ends.

Before `start()` (tests, one-off commands), both write at once in the caller's
thread: nothing is ever left queued without a thread to write it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field

from .. import errors
from ..store.database import SQLITE_BUSY_TIMEOUT_MS, Store

log = logging.getLogger(__name__)

#: The longest wait between attempts while the database does not answer.
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Record:
    activation_id: int
    #: None: only the bound is kept ahead (the recorded time is recent enough).
    validate_time: dt.datetime | None
    #: What the licence bound must be raised to (never lowered).
    bound: dt.datetime

    def merged(self, other: Record) -> Record:
        times = [t for t in (self.validate_time, other.validate_time) if t is not None]
        return Record(self.activation_id, max(times, default=None), max(self.bound, other.bound))


@dataclass
class _Round:
    """One transaction's worth of waiters."""

    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


#: The longest a validation waits for its bound to commit: SQLite's busy timeout.
WAIT_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000


class ValidationRecorder:
    def __init__(
        self, store: Store, delay_seconds: float, wait_seconds: float = WAIT_SECONDS
    ) -> None:
        self.store = store
        self.delay_seconds = delay_seconds
        self.wait_seconds = wait_seconds
        self._cond = threading.Condition()
        self._queued: dict[int, Record] = {}
        self._round = _Round()
        self._urgent = False
        self._due: float | None = None
        self._failures = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- the calls' side -----------------------------------------------------------

    def later(self, record: Record) -> None:
        """Records without waiting (written within about `delay_seconds`)."""
        with self._cond:
            queued = self._accepting()
            if queued:
                self._queue(record)
                if self._due is None:
                    self._due = time.monotonic() + self.delay_seconds
                    self._cond.notify()
        if not queued:
            self._write([record])

    def now(self, record: Record) -> None:
        """Records and returns once it is committed (raises when it was not)."""
        with self._cond:
            queued = self._accepting()
            if queued:
                self._queue(record)
                waiting = self._round
                self._urgent = True
                self._cond.notify()
        if not queued:
            self._write([record])
            return
        # Bounded: a writer stuck behind a lock (another process's write, an
        # operator's open transaction) must not hold every RPC thread that
        # needs a bound. The record stays queued; this call hands out no
        # licence (DATABASE_UNAVAILABLE, safe to retry), so the bound rule holds.
        if not waiting.done.wait(timeout=self.wait_seconds):
            raise errors.DatabaseUnavailable()
        if waiting.error is not None:
            raise waiting.error

    def _accepting(self) -> bool:
        """Whether the thread writes what is queued now (under the lock). Before
        start and once stopping, the caller writes its record itself: nothing
        is ever left in a queue nobody writes."""
        return self._thread is not None and not self._stopping

    def pending(self) -> int:
        """Activations queued and not yet written."""
        with self._cond:
            return len(self._queued)

    def _queue(self, record: Record) -> None:
        known = self._queued.get(record.activation_id)
        self._queued[record.activation_id] = record if known is None else known.merged(record)

    # --- the writer's side ---------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="validation-records", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Writes what is queued and ends the thread; False if it did not finish."""
        thread = self._thread
        if thread is None:
            return True
        with self._cond:
            self._stopping = True
            self._cond.notify()
        thread.join(timeout)
        return not thread.is_alive()

    def flush(self) -> None:
        """Writes what is queued now (in the caller's thread); raises on failure
        (the entries stay queued)."""
        with self._cond:
            batch, waiting = self._take()
        self._write_round(batch, waiting)
        if waiting.error is not None:
            raise waiting.error

    def _take(self) -> tuple[list[Record], _Round]:
        batch = sorted(self._queued.values(), key=lambda r: r.activation_id)
        waiting = self._round
        self._queued = {}
        self._round = _Round()
        self._urgent = False
        self._due = None
        return batch, waiting

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready():
                    self._cond.wait(self._timeout())
                stopping = self._stopping
                batch, waiting = self._take()
            self._write_round(batch, waiting)
            if stopping and (waiting.error is None or not batch):
                return
            if stopping:
                log.error(
                    "could not record %d validations before stopping (%s); "
                    "their times are lost, their licences were covered",
                    len(batch),
                    type(waiting.error).__name__,
                )
                return

    def _ready(self) -> bool:
        if self._stopping or self._urgent:
            return True
        return self._due is not None and time.monotonic() >= self._due

    def _timeout(self) -> float | None:
        return None if self._due is None else max(0.0, self._due - time.monotonic())

    def _write_round(self, batch: list[Record], waiting: _Round) -> None:
        try:
            if batch:
                self._write(batch)
        except Exception as error:
            waiting.error = error
            self._failures += 1
            backoff = min(MAX_BACKOFF_SECONDS, self.delay_seconds * 2**self._failures)
            # Counts and the kind of error only: no serial, no machine, no URL.
            log.warning(
                "could not record %d validations (%s); retrying in %.1f s",
                len(batch),
                type(error).__name__,
                backoff,
            )
            with self._cond:
                for record in batch:
                    self._queue(record)
                if self._due is None:
                    self._due = time.monotonic() + backoff
        else:
            self._failures = 0
        finally:
            waiting.done.set()

    def _write(self, batch: list[Record]) -> None:
        with self.store.write() as tx:
            tx.activations.record_validations(
                (r.activation_id, r.validate_time, r.bound) for r in batch
            )
