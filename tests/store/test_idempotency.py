"""`domain.idempotency.once` on both engines: a twin waits for the first claim
and replays its answer; a failure is not remembered; a key of another request
is refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.app import Services
from aspel.licensing.server.domain.idempotency import RequestKey, once, replay
from aspel.licensing.server.store.models import IdempotencyRecord
from tests.conftest import START

KEY = RequestKey("3b0f3f5e-3a53-4a0e-8f0e-6f3c8f3b9a11", "ChangeSeats", "f" * 64)


def test_a_twin_waits_for_the_first_claim_and_replays_its_answer(services: Services) -> None:
    store = services.store
    claimed, release = threading.Event(), threading.Event()
    works: list[str] = []
    answers: dict[str, Any] = {}

    def first() -> None:
        def work(_tx: Any) -> dict[str, Any]:
            works.append("first")
            claimed.set()
            # Holds the claim, uncommitted, until the twin is on its way.
            release.wait(5)
            return {"answer": 1}

        with store.connection(), store.write() as tx:
            answers["first"] = once(tx, "scope", KEY, START, work)

    def twin() -> None:
        def work(_tx: Any) -> dict[str, Any]:
            works.append("twin")
            return {"answer": 2}

        with store.connection(), store.write() as tx:
            answers["twin"] = once(tx, "scope", KEY, START, work)

    a = threading.Thread(target=first)
    a.start()
    assert claimed.wait(5)
    b = threading.Thread(target=twin)
    b.start()
    b.join(0.3)  # the twin is blocked: on the claim (PostgreSQL) or the write lock (SQLite)
    assert b.is_alive()
    release.set()
    a.join(10)
    b.join(10)

    assert works == ["first"]
    assert answers == {"first": {"answer": 1}, "twin": {"answer": 1}}


def test_a_failed_change_is_not_remembered(services: Services) -> None:
    store = services.store

    def fail(_tx: Any) -> dict[str, Any]:
        raise errors.TermsOutdated()

    with pytest.raises(errors.TermsOutdated), store.write() as tx:
        once(tx, "scope", KEY, START, fail)
    with store.write() as tx:
        assert once(tx, "scope", KEY, START, lambda _tx: {"answer": 3}) == {"answer": 3}
    assert IdempotencyRecord.select().count() == 1


@pytest.mark.parametrize(
    "other",
    [
        RequestKey(KEY.request_id, KEY.operation, "e" * 64),
        RequestKey(KEY.request_id, "SuspendSubscription", KEY.fingerprint),
    ],
    ids=["another-fingerprint", "another-operation"],
)
def test_a_key_of_another_request_is_refused(services: Services, other: RequestKey) -> None:
    store = services.store
    with store.write() as tx:
        once(tx, "scope", KEY, START, lambda _tx: {"answer": 4})
    with pytest.raises(errors.RequestIdReused), store.write() as tx:
        once(tx, "scope", other, START, lambda _tx: {"answer": 5})
    with store.read() as tx:
        with pytest.raises(errors.RequestIdReused):
            replay(tx, "scope", other)
        assert replay(tx, "scope", KEY) == {"answer": 4}
    # Another scope (another caller) has keys of its own.
    with store.write() as tx:
        assert once(tx, "other-scope", other, START, lambda _tx: {"answer": 6}) == {"answer": 6}


def test_a_claim_outside_a_write_transaction_is_refused(services: Services) -> None:
    with services.store.read() as tx, pytest.raises(RuntimeError):
        once(tx, "scope", KEY, START, lambda _tx: {})
    assert IdempotencyRecord.select().count() == 0
