"""What every AdminService change shares: idempotency by request_id and the
audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ... import errors
from ...store import audit, idempotency
from ..service_keys import Actor


def _fingerprint(operation: str, params: Mapping[str, Any]) -> str:
    """A digest of what was asked, to tell a retry from a reuse of its request_id.

    Callers leave secrets out of `params` (a password is represented by
    whether one was given), so the digest never derives from one.
    """
    canonical = json.dumps(
        [operation, dict(params)], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(
    actor: Actor, request_id: str | None, operation: str, params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The first answer to this request_id, or None when it is new.

    Call inside the write transaction of the change, so two retries at once
    cannot both miss it.
    """
    if not request_id:
        return None
    earlier = idempotency.find(actor.idempotency_scope, request_id)
    if earlier is None:
        return None
    if earlier.operation != operation or earlier.request_hash != _fingerprint(operation, params):
        raise errors.RequestIdReused()
    return dict(earlier.result)


def remember(
    actor: Actor,
    request_id: str | None,
    operation: str,
    params: Mapping[str, Any],
    result: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    if request_id:
        idempotency.save_first(
            scope=actor.idempotency_scope,
            request_id=request_id,
            operation=operation,
            request_hash=_fingerprint(operation, params),
            result=result,
            now=now,
        )


def record(
    actor: Actor,
    kind: str,
    now: dt.datetime,
    *,
    account_id: str | None = None,
    serial_number: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    audit.record(
        kind=kind,
        actor=actor.audit_name,
        peer=actor.peer,
        account_public_id=account_id,
        serial_number=serial_number,
        detail=detail,
        now=now,
    )
