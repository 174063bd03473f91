"""First answers to request_ids (AIP-155)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .models import IdempotencyRecord


def find(scope: str, request_id: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.get_or_none(
        (IdempotencyRecord.scope == scope) & (IdempotencyRecord.request_id == request_id)
    )


def save(
    *,
    scope: str,
    request_id: str,
    operation: str,
    request_hash: str,
    result: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    IdempotencyRecord.create(
        scope=scope,
        request_id=request_id,
        operation=operation,
        request_hash=request_hash,
        result=dict(result),
        create_time=now,
    )
