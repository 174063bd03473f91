"""First answers to request_ids (AIP-155)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import peewee

from ..errors import ConcurrentModification
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


# --- AdminService (issue 5) ------------------------------------------------------


def save_first(
    *,
    scope: str,
    request_id: str,
    operation: str,
    request_hash: str,
    result: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    """`save`, where a concurrent call that saved the same request_id first is
    a lost race: its transaction rolls back and a retry replays the winner."""
    try:
        with IdempotencyRecord._meta.database.atomic():
            save(
                scope=scope,
                request_id=request_id,
                operation=operation,
                request_hash=request_hash,
                result=result,
                now=now,
            )
    except peewee.IntegrityError as exc:
        raise ConcurrentModification() from exc
