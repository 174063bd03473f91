"""Exactly one successor however many calls race to accept the same upgrade."""

from __future__ import annotations

import threading

from aspel.licensing.server.store.models import OutboxMessage, Subscription

from .helpers import Portal


def test_twenty_concurrent_accepts_make_one_serial_and_one_email(server) -> None:
    portal = Portal(server.channel).login()
    serial = portal.serial("SAE")
    terms_id = portal.terms(serial).terms_id
    barrier = threading.Barrier(20)
    answers: list[str] = []
    failures: list[BaseException] = []

    def accept() -> None:
        barrier.wait()
        try:
            answers.append(portal.accept(serial, terms_id).subscription.serial_number)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=accept) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert failures == []
    assert len(answers) == 20 and len(set(answers)) == 1
    with server.services.store.connection():
        successors = Subscription.select().where(Subscription.predecessor.is_null(False))
        assert successors.count() == 1
        assert OutboxMessage.select().count() == 1
