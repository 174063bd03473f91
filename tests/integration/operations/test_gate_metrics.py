"""The argon2id gate's metrics: hashes running, callers waiting, callers shed."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry

from aspel.licensing.server.domain.credentials import HashingGate
from aspel.licensing.server.errors import ServerBusy
from aspel.licensing.server.metrics import ServerMetrics


def _value(registry: CollectorRegistry, name: str) -> float:
    value = registry.get_sample_value(name)
    assert value is not None, name
    return value


def test_the_gate_reports_running_waiting_and_shed() -> None:
    registry = CollectorRegistry()
    metrics = ServerMetrics(registry)
    gate = HashingGate(concurrency=1, max_waiting=1, listener=metrics.observe_gate)
    holding, release, waited = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            holding.set()
            release.wait(10)

    def wait_for_slot() -> None:
        with gate.slot():
            waited.set()

    first = threading.Thread(target=hold)
    first.start()
    assert holding.wait(10)
    second = threading.Thread(target=wait_for_slot)
    second.start()
    # The second caller is counted waiting before it blocks on the slot.
    for _ in range(1000):
        if _value(registry, "aspel_licensing_hashing_waiting") == 1:
            break
        threading.Event().wait(0.01)
    assert _value(registry, "aspel_licensing_hashing_running") == 1
    assert _value(registry, "aspel_licensing_hashing_waiting") == 1
    with pytest.raises(ServerBusy), gate.slot():
        pass
    assert _value(registry, "aspel_licensing_hashing_shed_total") == 1
    release.set()
    first.join(10)
    second.join(10)
    assert waited.is_set()
    assert _value(registry, "aspel_licensing_hashing_running") == 0
    assert _value(registry, "aspel_licensing_hashing_waiting") == 0
