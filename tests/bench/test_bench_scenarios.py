"""The two ValidateLicense scenarios leave the data they claim to: steady state
(validated minutes ago, so a validation records nothing) and the storm (last
validated before the record interval, so the first validation of each records)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator, Sequence

import pytest

from aspel.licensing.server.domain.clock import SystemClock
from aspel.licensing.server.store.models import Activation
from aspel.licensing.v1 import activation_service_pb2 as activation_pb
from bench import dataset, scenarios
from bench.loadgen import Call

POLICY = scenarios.POLICY


@pytest.fixture
def bench(tmp_path: pathlib.Path) -> Iterator[scenarios.Workbench]:
    cached, _ = dataset.cached_sqlite(tmp_path / "datasets", 50)
    copy = dataset.working_copy(cached, tmp_path / "work.db")
    workbench = scenarios.Workbench(f"sqlite:///{copy}", seed=1)
    yield workbench
    workbench.close()


def _validated(bench: scenarios.Workbench, calls: Sequence[Call]) -> list[Activation]:
    ids = [activation_pb.ValidateLicenseRequest.FromString(c.body).activation_id for c in calls]
    with bench.store.connection():
        rows = list(Activation.select().where(Activation.public_id.in_(ids)))
    assert len(rows) == len(ids) > 10
    return rows


def test_steady_state_validations_were_recorded_minutes_ago(bench) -> None:
    calls = scenarios.prepare_validate_license(bench, 10_000)
    now = SystemClock().now()
    grace = max(POLICY.grace.subscription_grace, POLICY.grace.perpetual_grace)
    for activation in _validated(bench, calls):
        # A validation now records nothing: inside the interval, and the bound
        # already covers a licence issued now (domain/activation.py).
        assert now - activation.last_validate_time < POLICY.validation_record_interval
        assert activation.license_expire_time >= now + POLICY.max_license_validity + grace


def test_storm_validations_were_last_recorded_before_the_interval(bench) -> None:
    calls = scenarios.prepare_validation_storm(bench, 10_000)
    now = SystemClock().now()
    for activation in _validated(bench, calls):
        assert now - activation.last_validate_time > POLICY.validation_record_interval
    # Each is sent once: a second validation in the run would record nothing.
    assert scenarios.by_name("ValidateLicense storm").consumes
