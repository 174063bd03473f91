"""First answers to request_ids (AIP-155): one row per (scope, request_id).

The domain's `idempotency.once` is the only caller: it claims the row first in
the change's write transaction, and fills in the answer at the end of that
same transaction, so no other transaction ever sees a claim without its answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import raw
from .models import IdempotencyRecord
from .prepared import PreparedSelect

# Every retryable mutation looks its request_id up first: built once, see prepared.py.
_RECORD = PreparedSelect(
    lambda scope, request_id: (
        IdempotencyRecord.select()
        .where((IdempotencyRecord.scope == scope) & (IdempotencyRecord.request_id == request_id))
        .limit(1)
    )
)


# Claimed and completed inside every retryable mutation's write transaction:
# SQL written once (raw.py). ON CONFLICT DO NOTHING yields to the unique
# (scope, request_id) only; a NOT NULL or CHECK failure still raises.
_CLAIM = raw.RawWrite(
    """INSERT INTO idempotency_record
              (scope, request_id, operation, request_hash, result, create_time)
       VALUES (?, ?, ?, ?, '{}', ?)
       ON CONFLICT DO NOTHING"""
)
_COMPLETE = raw.RawWrite(
    "UPDATE idempotency_record SET result = ? WHERE scope = ? AND request_id = ?"
)


class IdempotencyRepository:
    """The first answers to request ids."""

    def claim(
        self, *, scope: str, request_id: str, operation: str, request_hash: str, now: dt.datetime
    ) -> bool:
        """Inserts the row of a request not seen before; False when it already exists.

        `INSERT ... ON CONFLICT DO NOTHING` (on both engines). On
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
        return bool(
            _CLAIM.execute(scope, request_id, operation, request_hash, raw.db_datetime(now))
        )

    def complete(self, scope: str, request_id: str, result: Mapping[str, Any]) -> None:
        """Stores the answer in the row this transaction claimed."""
        _COMPLETE.execute(IdempotencyRecord.result.db_value(dict(result)), scope, request_id)

    def find(self, scope: str, request_id: str) -> IdempotencyRecord | None:
        found: IdempotencyRecord | None = _RECORD.first(scope, request_id)
        return found
