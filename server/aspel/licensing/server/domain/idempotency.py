"""Retries by request_id (AIP-155): the one mechanism every mutating RPC uses.

Inside the change's one write transaction, and before anything else in it:

1. claim the (scope, request_id) row with the request's fingerprint;
2. if another transaction already holds it, replay: the same fingerprint and
   operation get the stored answer, anything else is REQUEST_ID_REUSED;
3. otherwise do the work and store its answer in the claimed row.

A failure rolls the claim back with the rest, so errors are never remembered
and a retry does the work again. Claiming first matters on PostgreSQL: a
concurrent twin waits on the claim (the unique index) before it takes any row
lock of its own, so twins never deadlock and never both do the work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..store.unit_of_work import UnitOfWork

#: What a change stores for its retries and rebuilds its answer from: JSON.
Result = dict[str, Any]


@dataclass(frozen=True)
class RequestKey:
    """One request, as its retries name it.

    `fingerprint` is a digest of every field of the request but its
    request_id (the transport computes it from the message, see
    transport/request_keys.py), so the same id with anything else changed is
    told apart from a retry.
    """

    request_id: str
    operation: str
    fingerprint: str


def digest(*parts: str) -> str:
    """A fingerprint of parts the domain assembles itself (payment references)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _reused(_: Result) -> errors.LicensingError:
    return errors.RequestIdReused()


def once(
    tx: UnitOfWork,
    scope: str,
    key: RequestKey | None,
    now: dt.datetime,
    work: Callable[[UnitOfWork], Result],
    *,
    reused: Callable[[Result], errors.LicensingError] = _reused,
) -> Result:
    """`work(tx)`'s answer, computed at most once per (scope, key.request_id).

    Call it inside `Store.write()`, first. Without a key, just `work(tx)`.
    `reused` builds the error for a key already used by another request (from
    that request's stored answer); REQUEST_ID_REUSED unless told otherwise.
    """
    if key is None:
        return work(tx)
    if tx.idempotency.claim(
        scope=scope,
        request_id=key.request_id,
        operation=key.operation,
        request_hash=key.fingerprint,
        now=now,
    ):
        result = work(tx)
        tx.idempotency.complete(scope, key.request_id, result)
        return result
    earlier = replay(tx, scope, key, reused=reused)
    if earlier is None:
        # The claim was refused but no row is there: only a lost race can do
        # that (the holder's transaction ended without it). Run it again.
        raise errors.ConcurrentModification()
    return earlier


def replay(
    tx: UnitOfWork,
    scope: str,
    key: RequestKey | None,
    *,
    reused: Callable[[Result], errors.LicensingError] = _reused,
) -> Result | None:
    """The stored answer to `key`, None when there is none yet; raises for a
    key that belongs to another request. A read only: for a change that must
    do slow work (argon2) before its write transaction and would refuse a
    retry there otherwise. The transaction still goes through `once`."""
    if key is None:
        return None
    row = tx.idempotency.find(scope, key.request_id)
    if row is None:
        return None
    stored: Result = dict(row.result or {})
    if row.operation != key.operation or row.request_hash != key.fingerprint:
        raise reused(stored)
    return stored
