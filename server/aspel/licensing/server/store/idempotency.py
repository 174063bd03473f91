"""First answers to request_ids (AIP-155): one row per (scope, request_id).

The domain's `idempotency.once` is the only caller: it claims the row first in
the change's write transaction, and fills in the answer at the end of that
same transaction, so no other transaction ever sees a claim without its answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .models import IdempotencyRecord


class IdempotencyRepository:
    """The first answers to request ids."""

    def claim(
        self, *, scope: str, request_id: str, operation: str, request_hash: str, now: dt.datetime
    ) -> bool:
        """Inserts the row of a request not seen before; False when it already exists.

        `INSERT ... ON CONFLICT DO NOTHING` (SQLite: `INSERT OR IGNORE`). On
        PostgreSQL a second claimer of the same key waits on the unique index until
        the first transaction ends: it inserts if that one rolled back and does
        nothing if it committed, and its next statement (READ COMMITTED) reads the
        committed row. On SQLite the IMMEDIATE write transaction already runs the
        claimers one after another.
        """
        database = IdempotencyRecord._meta.database
        # Outside a transaction the claim would commit alone, with no answer in it.
        if not database.in_transaction():
            raise RuntimeError("claim() belongs inside Store.write()")
        inserted = (
            IdempotencyRecord.insert(
                scope=scope,
                request_id=request_id,
                operation=operation,
                request_hash=request_hash,
                result={},
                create_time=now,
            )
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        return bool(inserted)

    def complete(self, scope: str, request_id: str, result: Mapping[str, Any]) -> None:
        """Stores the answer in the row this transaction claimed."""
        IdempotencyRecord.update(result=dict(result)).where(
            (IdempotencyRecord.scope == scope) & (IdempotencyRecord.request_id == request_id)
        ).execute()

    def find(self, scope: str, request_id: str) -> IdempotencyRecord | None:
        return IdempotencyRecord.get_or_none(
            (IdempotencyRecord.scope == scope) & (IdempotencyRecord.request_id == request_id)
        )
