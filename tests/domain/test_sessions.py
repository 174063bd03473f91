"""Sessions: random tokens stored hashed, idle and absolute expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.domain.credentials import token_hash
from aspel.licensing.server.store.models import Session


def test_only_the_hash_of_the_token_is_stored(demo) -> None:
    token = demo.auth.authenticate("demo", "demo-aspel-2026", None).session_token
    stored = [s.token_hash for s in Session.select()]
    assert token not in stored
    assert token_hash(token) in stored
    assert len(token) >= 43  # 256 bits in base64url, plus the prefix


def test_session_expires_after_idle_time(demo, clock) -> None:
    token = demo.auth.authenticate("demo", "demo-aspel-2026", None).session_token
    clock.advance(dt.timedelta(minutes=29))
    demo.auth.resolve_session(token)
    clock.advance(dt.timedelta(minutes=29))
    demo.auth.resolve_session(token)  # used 29 minutes ago: still alive
    clock.advance(dt.timedelta(minutes=30))
    with pytest.raises(errors.SessionInvalid):
        demo.auth.resolve_session(token)


def test_session_ends_at_absolute_expiry_however_busy(demo, clock) -> None:
    result = demo.auth.authenticate("demo", "demo-aspel-2026", None)
    while clock.now() + dt.timedelta(minutes=20) < result.expire_time:
        clock.advance(dt.timedelta(minutes=20))
        demo.auth.resolve_session(result.session_token)
    clock.set(result.expire_time)
    with pytest.raises(errors.SessionInvalid):
        demo.auth.resolve_session(result.session_token)


def test_password_hash_is_argon2id_and_upgraded_when_parameters_change(demo) -> None:
    from aspel.licensing.server.domain.credentials import Argon2Parameters, PasswordHasher
    from aspel.licensing.server.store.models import Account

    before = Account.get(Account.username == "demo").password_hash
    assert before.startswith("$argon2id$")
    demo.auth.hasher = PasswordHasher(Argon2Parameters(time_cost=2, memory_cost_kib=2048))
    demo.auth.authenticate("demo", "demo-aspel-2026", None)
    after = Account.get(Account.username == "demo").password_hash
    assert after != before
    assert "m=2048,t=2" in after
