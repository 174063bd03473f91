"""The one rule of a released seat (domain/seats.py), as a pure function."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server.domain.seats import (
    EXPIRED,
    PENDING,
    RECEIPT,
    TRANSFER,
    ReleaseProof,
    SeatPolicy,
    decide_release,
)

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)
VALID_UNTIL = NOW + dt.timedelta(days=20)
POLICY = SeatPolicy(transfers_per_year=2)


def decide(
    proof: ReleaseProof = ReleaseProof.NONE,
    used: int = 0,
    expire: dt.datetime | None = VALID_UNTIL,
    policy: SeatPolicy = POLICY,
) -> tuple[str, dt.datetime, int]:
    d = decide_release(
        now=NOW, license_expire_time=expire, proof=proof, transfers_used=used, policy=policy
    )
    assert d.immediate == (d.kind != PENDING)
    return d.kind, d.seat_free_time, d.transfers_remaining


def test_a_transfer_frees_the_seat_at_once_while_one_is_left() -> None:
    assert decide(used=0) == (TRANSFER, NOW, 1)
    assert decide(used=1) == (TRANSFER, NOW, 0)


def test_without_transfers_the_seat_holds_until_the_licence_expires() -> None:
    assert decide(used=2) == (PENDING, VALID_UNTIL, 0)
    assert decide(used=5) == (PENDING, VALID_UNTIL, 0)
    assert decide(policy=SeatPolicy(transfers_per_year=0)) == (PENDING, VALID_UNTIL, 0)


def test_a_receipt_frees_the_seat_at_once_and_costs_no_transfer() -> None:
    assert decide(ReleaseProof.RECEIPT, used=0) == (RECEIPT, NOW, 2)
    assert decide(ReleaseProof.RECEIPT, used=2) == (RECEIPT, NOW, 0)


@pytest.mark.parametrize("expire", [NOW, NOW - dt.timedelta(days=1), None])
def test_an_expired_licence_frees_the_seat_at_once_and_costs_nothing(
    expire: dt.datetime | None,
) -> None:
    assert decide(used=2, expire=expire) == (EXPIRED, NOW, 0)
    assert decide(used=0, expire=expire) == (EXPIRED, NOW, 2)
