"""When a released seat is free again: the one rule every release goes through.

A seat freed while the machine's latest licence is still valid would let a
copy of the old `.lic` run beside the new machine, so it stays counted
(RELEASE_PENDING) until that licence's expire_time, and only then is it
RELEASED: derived from the clock, as INACTIVE is for subscriptions, so no job
flips it. Two exceptions free it at once:

- a transfer: a bounded number per serial per rolling year (a customer moving
  to a new PC never waits), audited as such;
- a proof: the product showed a receipt, signed with its installation key,
  that it deleted its licence (a copy of the `.lic` cannot produce one).

A release whose licence has already expired frees the seat at once and costs
nothing: no copy can run. The portal, support, the product's own
DeactivateInstallation and the automatic reclaim all call `release_seat`.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from ..store.models import Activation
from ..store.subscriptions import AnySubscription
from ..store.unit_of_work import UnitOfWork

# How an activation was released (its stored `release_kind`).
#: Immediately, one of the serial's transfers of the year.
TRANSFER = "TRANSFER"
#: Immediately, the product proved it deleted its licence.
RECEIPT = "RECEIPT"
#: Immediately, its latest licence had already expired.
EXPIRED = "EXPIRED"
#: Counted until its licence expires.
PENDING = "PENDING"
#: By the automatic reclaim of a machine silent since its licence expired.
RECLAIMED = "RECLAIMED"

# The states of an activation as shown (derived, never stored).
ACTIVE = "ACTIVE"
RELEASE_PENDING = "RELEASE_PENDING"
RELEASED = "RELEASED"


class ReleaseProof(enum.Enum):
    """What the releasing side proves about the machine's licence."""

    #: Nothing: the machine may be dead, stolen or copied (portal, support,
    #: a product without a receipt).
    NONE = "NONE"
    #: A receipt signed with the installation's key: the licence is deleted.
    RECEIPT = "RECEIPT"


@dataclass(frozen=True)
class SeatPolicy:
    #: Immediate transfers per serial within `transfer_window` (0: none).
    transfers_per_year: int = 2
    transfer_window: dt.timedelta = dt.timedelta(days=365)
    #: An activation whose latest licence expired this long ago without a
    #: validation is released automatically.
    reclaim_after: dt.timedelta = dt.timedelta(days=30)
    #: Activations reclaimed per transaction (each is a short one).
    reclaim_batch: int = 100


@dataclass(frozen=True)
class ReleaseDecision:
    kind: str
    #: When the seat stops counting: now, or the licence's expire_time.
    seat_free_time: dt.datetime
    #: Immediate transfers left in the rolling window after this release.
    transfers_remaining: int

    @property
    def immediate(self) -> bool:
        return self.kind != PENDING


def decide_release(
    *,
    now: dt.datetime,
    license_expire_time: dt.datetime | None,
    proof: ReleaseProof,
    transfers_used: int,
    policy: SeatPolicy,
) -> ReleaseDecision:
    """THE rule: when the seat of an activation released now is free.

    `license_expire_time` is the recorded upper bound of the expire_time of
    every licence handed out for it (None: none was ever issued), and
    `transfers_used` the serial's immediate transfers within the window.
    """
    left = max(0, policy.transfers_per_year - transfers_used)
    if license_expire_time is None or license_expire_time <= now:
        return ReleaseDecision(EXPIRED, now, left)
    if proof is ReleaseProof.RECEIPT:
        return ReleaseDecision(RECEIPT, now, left)
    if left > 0:
        return ReleaseDecision(TRANSFER, now, left - 1)
    return ReleaseDecision(PENDING, license_expire_time, 0)


def release_seat(
    tx: UnitOfWork,
    subscription: AnySubscription,
    activation: Activation,
    *,
    proof: ReleaseProof,
    now: dt.datetime,
    policy: SeatPolicy,
) -> tuple[Activation, ReleaseDecision]:
    """Applies the rule to an active activation, in the caller's write
    transaction, which must hold the serial's row (subscriptions.lock): the
    transfers counted here are then not raced by another release."""
    used = tx.activations.transfers_since(subscription.id, now - policy.transfer_window, TRANSFER)
    decision = decide_release(
        now=now,
        license_expire_time=activation.license_expire_time,
        proof=proof,
        transfers_used=used,
        policy=policy,
    )
    released = tx.activations.release(
        activation.id, now, kind=decision.kind, seat_freed=now if decision.immediate else None
    )
    return released, decision


def transfers_left(
    tx: UnitOfWork, subscription_id: int, now: dt.datetime, policy: SeatPolicy
) -> int:
    """The serial's immediate transfers left in the rolling window."""
    used = tx.activations.transfers_since(subscription_id, now - policy.transfer_window, TRANSFER)
    return max(0, policy.transfers_per_year - used)


def held_seats(
    tx: UnitOfWork, subscription_id: int, now: dt.datetime, machine_fingerprint: str | None = None
) -> set[int]:
    """The seat numbers in use (ACTIVE + RELEASE_PENDING not yet expired),
    for a new activation of `machine_fingerprint`.

    First writes down the pending seats the clock has freed, so the count and
    the partial unique index on held seats agree. A pending seat of the very
    machine that activates again is freed too: its old licence runs on that
    machine only, so it cannot run beside another one. Call it holding the
    serial's row.
    """
    if machine_fingerprint is None:
        tx.activations.free_expired_seats(subscription_id, now)
    else:
        # Both in one statement: this runs holding the serial's write lock.
        tx.activations.free_seats_for_machine(subscription_id, machine_fingerprint, now)
    return tx.activations.seats_in_use(subscription_id)


def next_free_time(tx: UnitOfWork, subscription_id: int) -> dt.datetime | None:
    """When the next RELEASE_PENDING seat frees (after `held_seats`); None if none is pending."""
    return tx.activations.next_seat_free_time(subscription_id)


@dataclass(frozen=True)
class SeatView:
    """The lifecycle of one activation's seat, as of `now`."""

    state: str
    last_validate_time: dt.datetime | None
    #: The latest licence's expire_time, at the latest.
    license_expire_time: dt.datetime | None
    release_time: dt.datetime | None
    #: When the seat stops (or stopped) counting; None while ACTIVE.
    seat_free_time: dt.datetime | None
    release_kind: str | None


def seat_free_time(row: Activation) -> dt.datetime | None:
    if row.deactivate_time is None:
        return None
    return row.seat_freed_time or row.license_expire_time or row.deactivate_time


def state_of(row: Activation, now: dt.datetime) -> str:
    if row.deactivate_time is None:
        return ACTIVE
    free = seat_free_time(row)
    return RELEASE_PENDING if free is not None and free > now else RELEASED


def seat_view(row: Activation, now: dt.datetime) -> SeatView:
    return SeatView(
        state=state_of(row, now),
        last_validate_time=row.last_validate_time,
        license_expire_time=row.license_expire_time,
        release_time=row.deactivate_time,
        seat_free_time=seat_free_time(row),
        release_kind=row.release_kind,
    )


def release_detail(decision: ReleaseDecision) -> dict[str, str]:
    """What an audit event of a release records about the rule's decision."""
    return {
        "release_kind": decision.kind,
        "seat_free_time": decision.seat_free_time.isoformat(),
        "transfers_remaining": str(decision.transfers_remaining),
    }
