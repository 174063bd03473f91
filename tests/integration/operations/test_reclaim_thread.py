"""The reclaim thread of `serve`: runs the reclaim until stopped, and a
database outage skips one run instead of ending the thread."""

from __future__ import annotations

import threading
from typing import Any

from aspel.licensing.server.errors import DatabaseUnavailable
from aspel.licensing.server.reclaim import reclaim_thread


class FakeInstallations:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.enough = threading.Event()

    def reclaim(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise DatabaseUnavailable()
        if self.calls >= self.failures + 2:
            self.enough.set()
        return 1


def test_the_thread_reclaims_again_after_an_outage_and_stops_when_asked() -> None:
    fake: Any = FakeInstallations(failures=2)
    thread = reclaim_thread(fake, interval_seconds=0.01)

    thread.start()
    reached = fake.enough.wait(30)
    stopped = thread.stop(30)

    assert reached and stopped
    assert fake.calls >= 4


def test_a_periodic_job_survives_a_bug_and_a_refusal_and_runs_again() -> None:
    from aspel.licensing.server.errors import SessionInvalid
    from aspel.licensing.server.periodic import PeriodicThread

    calls: list[int] = []
    enough = threading.Event()

    def job() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        if len(calls) == 2:
            raise SessionInvalid()
        enough.set()

    thread = PeriodicThread("test-job", job, interval_seconds=0.01, first_delay_seconds=0)
    thread.start()
    reached = enough.wait(30)

    assert reached and thread.stop(30)
    assert len(calls) >= 3
