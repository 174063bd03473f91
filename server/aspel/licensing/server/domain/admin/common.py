"""What every AdminService change shares: the audit event. (Retries by
request_id go through `domain.idempotency.once`, in the change's transaction,
with the service key's `Actor.idempotency_scope`.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ...store.unit_of_work import UnitOfWork
from ..service_keys import Actor


def record(
    tx: UnitOfWork,
    actor: Actor,
    kind: str,
    now: dt.datetime,
    *,
    account_id: str | None = None,
    serial_number: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    tx.audit.record(
        kind=kind,
        actor=actor.audit_name,
        peer=actor.peer,
        account_public_id=account_id,
        serial_number=serial_number,
        detail=detail,
        now=now,
    )
