"""The append-only audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .models import AuditEvent


def record(
    *,
    kind: str,
    actor: str,
    now: dt.datetime,
    peer: str | None = None,
    account_public_id: str | None = None,
    serial_number: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    AuditEvent.create(
        time=now,
        kind=kind,
        actor=actor,
        peer=peer,
        account_public_id=account_public_id,
        serial_number=serial_number,
        detail=dict(detail or {}),
    )
