"""Consecutive failed logins lock the account for growing periods."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.domain.auth import LockoutPolicy


def test_policy_locks_after_five_failures_doubling_up_to_the_cap() -> None:
    policy = LockoutPolicy()
    assert [policy.lock_for(n) for n in range(1, 5)] == [None] * 4
    assert policy.lock_for(5) == dt.timedelta(minutes=1)
    assert policy.lock_for(6) == dt.timedelta(minutes=2)
    assert policy.lock_for(7) == dt.timedelta(minutes=4)
    assert policy.lock_for(50) == dt.timedelta(hours=1)


def fail(services, times: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        with pytest.raises(errors.InvalidCredentials):
            services.auth.authenticate("demo", "wrong password", None)


def test_fifth_failure_locks_even_the_right_password_until_the_lock_ends(demo, clock) -> None:
    fail(demo, 5)
    with pytest.raises(errors.AccountLocked) as locked:
        demo.auth.authenticate("demo", "demo-aspel-2026", None)
    retry = dt.datetime.fromisoformat(locked.value.metadata["retry_time"])
    assert retry == clock.now() + dt.timedelta(minutes=1)

    clock.advance(dt.timedelta(minutes=1, seconds=1))
    assert demo.auth.authenticate("demo", "demo-aspel-2026", None).account.username == "demo"


def test_a_failure_after_the_lock_doubles_it(demo, clock) -> None:
    fail(demo, 5)
    clock.advance(dt.timedelta(minutes=2))
    fail(demo, 1)
    with pytest.raises(errors.AccountLocked) as locked:
        demo.auth.authenticate("demo", "demo-aspel-2026", None)
    retry = dt.datetime.fromisoformat(locked.value.metadata["retry_time"])
    assert retry == clock.now() + dt.timedelta(minutes=2)


def test_success_resets_the_count(demo) -> None:
    fail(demo, 4)
    demo.auth.authenticate("demo", "demo-aspel-2026", None)
    fail(demo, 4)
    assert demo.auth.authenticate("demo", "demo-aspel-2026", None).session_token
