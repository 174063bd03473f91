"""Functions run in child processes by the multi-process tests (spawned, so
each has its own interpreter, connections and locks)."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize

from aspel.licensing.server.store.database import open_database
from aspel.licensing.server.store.migrate import migrate


def run_migrate(url: str, start: multiprocessing.synchronize.Barrier) -> list[str]:
    """One process migrating, released at the same moment as the others."""
    start.wait()
    return migrate(open_database(url))


def accept_upgrade(
    url: str, username: str, serial: str, terms_id: str, start: multiprocessing.synchronize.Barrier
) -> str:
    """One process: its own store and services, racing the others to accept."""
    from aspel.licensing.server.app import build_services
    from aspel.licensing.server.domain.auth import Caller
    from aspel.licensing.server.settings import Settings
    from aspel.licensing.server.store.models import Account

    services = build_services(Settings(database_url=url))
    with services.store.connection():
        account = Account.get(Account.username == username)
        caller = Caller(account.id, account.public_id, 0, username)
        start.wait()
        result = services.portal.accept_upgrade(caller, serial, terms_id, None, "process")
    services.store.close()
    return result.subscription.serial_number


def _call(
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
    target: object,
    args: tuple[object, ...],
) -> None:
    try:
        queue.put(("ok", target(*args)))  # type: ignore[operator]
    except BaseException as exc:  # reported to the parent, which fails the test
        queue.put(("error", repr(exc)))


def run_in_processes(target: object, args: tuple[object, ...], count: int) -> list[object]:
    """Runs `target(*args, start_barrier)` in `count` spawned processes that
    start together; returns their results, or raises if any failed."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(count)
    queue = context.Queue()
    processes = [
        context.Process(target=_call, args=(queue, target, (*args, start))) for _ in range(count)
    ]
    for p in processes:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    failures = [detail for kind, detail in outcomes if kind == "error"]
    if failures:
        raise AssertionError(f"{len(failures)} worker(s) failed: {failures}")
    return [detail for _, detail in outcomes]
