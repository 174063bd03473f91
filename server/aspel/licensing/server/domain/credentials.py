"""Password hashing (argon2id) and bearer tokens (random, stored hashed)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ServerBusy

T = TypeVar("T")

#: How much nicer than the process the threads that hash are (Linux: per
#: thread). At +10 the scheduler gives a hashing thread about a tenth of the
#: share of an RPC thread when both want the same core, and all of an idle core.
HASHING_NICENESS = 10
MAX_NICENESS = 19


def _lower_this_threads_priority() -> None:
    """Runs first in each hashing thread: niceness +10 relative to what the
    thread inherited (never below it, so never a higher priority). Only on
    Linux, where a thread id names the thread for setpriority; an unprivileged
    process may always raise its niceness. Elsewhere, or if refused, hashes
    run at the normal priority."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(AttributeError, OSError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(
            os.PRIO_PROCESS, thread, max(current, min(MAX_NICENESS, current + HASHING_NICENESS))
        )


@dataclass(frozen=True)
class Argon2Parameters:
    """OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane."""

    time_cost: int = 2
    memory_cost_kib: int = 19_456
    parallelism: int = 1


class HashingGate:
    """Bounds the argon2id work of one process, so logins cannot starve other calls.

    argon2 releases the GIL and takes all of a core for tens of milliseconds:
    without a bound, a burst of logins would hold every RPC thread and every
    core while validations queue behind them. At most `concurrency` hashes run
    at once (default: one per core) and at most `max_waiting` callers wait;
    one more is answered SERVER_BUSY (UNAVAILABLE, safe to retry) at once,
    leaving the rest of the thread pool to the other RPCs.

    Each caller in the gate, hashing or waiting, holds an RPC thread. Given
    the server's `threads`, the gate holds at most half of them (fewer hashes
    and a shorter queue than asked for, when they would not fit), so with a
    small thread pool logins that saturate the server still leave threads to
    the calls that hash nothing (ValidateLicense): those never wait for a hash.
    """

    def __init__(
        self,
        concurrency: int | None = None,
        max_waiting: int | None = None,
        listener: Callable[[str], None] | None = None,
        *,
        threads: int | None = None,
    ) -> None:
        cores = os.cpu_count() or 1
        concurrency = concurrency or cores
        max_waiting = max_waiting if max_waiting is not None else 2 * concurrency
        if threads is not None:
            holding = max(1, threads // 2)
            concurrency = min(concurrency, holding)
            max_waiting = min(max_waiting, holding - concurrency)
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._slots = threading.BoundedSemaphore(self.concurrency)
        # The hashes themselves run on threads of their own, at a lower CPU
        # priority: bounding how many run is not enough on a machine whose
        # cores they fill (each takes a whole core for tens of ms), where the
        # RPC threads serving installers would wait for the CPU behind them
        # (bench: ValidateLicense's p99 while logins saturate). The caller's
        # RPC thread waits for its hash, as it did while hashing. Started on
        # first use, so a gate built before `serve` forks starts no thread.
        self._workers = ThreadPoolExecutor(
            max_workers=self.concurrency,
            thread_name_prefix="argon2",
            initializer=_lower_this_threads_priority,
        )
        self._lock = threading.Lock()
        self._waiting = 0
        # Told "wait", "run", "done", "shed" or "gave_up" (the metrics).
        self._listener = listener or (lambda _event: None)

    def run(self, work: Callable[[], T]) -> T:
        """`work` (one hash) once a slot is free, on a hashing thread; its
        result or its exception. ServerBusy at once when the queue is full."""
        with self.slot():
            return self._workers.submit(work).result()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        # A free slot is taken at once, so a gate with no waiting room
        # (max_waiting 0) still admits up to `concurrency` hashes.
        if self._slots.acquire(blocking=False):
            self._listener("wait")
        else:
            with self._lock:
                if self._waiting >= self.max_waiting:
                    self._listener("shed")
                    raise ServerBusy(retry_delay=dt.timedelta(seconds=1))
                self._waiting += 1
            self._listener("wait")
            try:
                self._slots.acquire()
            except BaseException:
                self._listener("gave_up")
                raise
            finally:
                with self._lock:
                    self._waiting -= 1
        self._listener("run")
        try:
            yield
        finally:
            self._slots.release()
            self._listener("done")


class PasswordHasher:
    """argon2id with the parameters kept in each hash string, so they can change
    and old hashes are upgraded at the next successful login."""

    def __init__(
        self, parameters: Argon2Parameters | None = None, gate: HashingGate | None = None
    ) -> None:
        p = parameters or Argon2Parameters()
        self.gate = gate or HashingGate()
        self._hasher = argon2.PasswordHasher(
            time_cost=p.time_cost,
            memory_cost=p.memory_cost_kib,
            parallelism=p.parallelism,
            type=argon2.Type.ID,
        )
        # Verified against when the username is unknown, so both answers cost
        # the same time and cannot be told apart.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self.gate.run(lambda: self._hasher.hash(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        def verified() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return self.gate.run(verified) and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    """256 random bits, URL-safe, with a prefix that says what the token is for."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What the store keeps of a token. SHA-256 suffices: the token has 256 random bits."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_public_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)
