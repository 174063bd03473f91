"""The raw argon2id verify rate: the most logins per second this machine can do.

The server's own `PasswordHasher` (same parameters, same library) verifies the
bench password against the bench hash in a tight loop, in as many processes as
the server has workers, each with one thread per core (argon2-cffi releases the
GIL while hashing, as it does in the server's RPC threads).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import os
import threading
import time

from aspel.licensing.server.domain.credentials import Argon2Parameters, PasswordHasher


def _worker(
    password_hash: str,
    password: str,
    threads: int,
    warmup: float,
    duration: float,
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue,  # type: ignore[type-arg,unused-ignore]
) -> None:
    hasher = PasswordHasher(Argon2Parameters())
    counts = [0] * threads
    start.wait()
    t0 = time.perf_counter()
    begin, end = t0 + warmup, t0 + warmup + duration

    def loop(index: int) -> None:
        while True:
            now = time.perf_counter()
            if now >= end:
                return
            if not hasher.verify(password_hash, password):
                raise AssertionError("the bench hash does not verify")
            if now >= begin and time.perf_counter() <= end:
                counts[index] += 1

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put(sum(counts) / duration)


def verify_rate(
    password_hash: str, password: str, *, processes: int, warmup: float, duration: float
) -> float:
    """Verifies per second, summed over `processes` processes."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes)
    results = context.Queue()
    threads = os.cpu_count() or 1
    workers = [
        context.Process(
            target=_worker,
            args=(password_hash, password, threads, warmup, duration, start, results),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    rates = [results.get(timeout=warmup + duration + 120) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    return float(sum(rates))
