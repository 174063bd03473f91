"""Emails waiting to be delivered (the transactional outbox)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import peewee

from ..domain.events import WEBHOOK_KIND
from ..domain.states import FAILED, PENDING, SENDING, SENT
from . import raw
from .models import OutboxMessage

MESSAGE_ID_DOMAIN = "licensing.aspel.com.mx"

# Emails (AcceptUpgrade's upgrade email among them) and one webhook delivery per
# endpoint that wants the event, in the transaction of every audited change
# (ActivateInstallation's included): SQL written once (raw.py).
_MESSAGE = raw.RawInsert(
    OutboxMessage,
    "message_id",
    "kind",
    "recipient",
    "payload",
    "state",
    "attempts",
    "next_attempt_time",
    "create_time",
)


# --- delivery (mail/worker.py) ------------------------------------------------


# Candidates looked at per claim; on engines where another process may win a
# row between the SELECT and the UPDATE, the next candidate is tried.
_CLAIM_CANDIDATES = 5


def _due(now: dt.datetime) -> Any:
    """Waiting and due, or claimed by a worker whose claim ran out (it died)."""
    return ((OutboxMessage.state == PENDING) & (OutboxMessage.next_attempt_time <= now)) | (
        (OutboxMessage.state == SENDING) & (OutboxMessage.claimed_until <= now)
    )


def _update_if_still_claimed(message_id: int, held_until: dt.datetime, /, **changes: Any) -> bool:
    """Applies `changes` (column values) only while this worker still holds the
    claim it took until `held_until`; False when the claim was lost meanwhile."""
    changed = (
        OutboxMessage.update(**changes)
        .where(
            (OutboxMessage.id == message_id)
            & (OutboxMessage.state == SENDING)
            & (OutboxMessage.claimed_until == held_until)
        )
        .execute()
    )
    return bool(changed == 1)


class OutboxRepository:
    """The transactional outbox of emails."""

    def enqueue(
        self, *, kind: str, recipient: str, payload: Mapping[str, Any], now: dt.datetime
    ) -> OutboxMessage:
        """Queues a message (PENDING, the model's default) inside the caller's
        transaction; it is sent after commit. Answers it as `OutboxMessage.create`
        would."""
        message = OutboxMessage(
            message_id=f"<{uuid.uuid4()}@{MESSAGE_ID_DOMAIN}>",
            kind=kind,
            recipient=recipient,
            payload=dict(payload),
            next_attempt_time=now,
            create_time=now,
        )
        return _MESSAGE.insert(message)

    def enqueue_webhook(
        self, *, endpoint_id: str, event_id: str, kind: str, body: str, now: dt.datetime
    ) -> None:
        """Queues one event for one endpoint (the audit repository calls it, in
        the transaction of the audited change). The body is fixed here, so
        every attempt sends the same bytes; only the timestamp and signature
        headers change from one attempt to the next."""
        _MESSAGE.execute(
            message_id=f"<{event_id}.{endpoint_id}@{MESSAGE_ID_DOMAIN}>",
            kind=WEBHOOK_KIND,
            recipient=endpoint_id,
            payload={"endpoint_id": endpoint_id, "event_id": event_id, "type": kind, "body": body},
            state=PENDING,
            attempts=0,
            next_attempt_time=now,
            create_time=now,
        )

    def claim_next(self, *, now: dt.datetime, claim_for: dt.timedelta) -> OutboxMessage | None:
        """Reserves the oldest due message for the calling worker and counts the attempt.

        Call inside `store.write()`. The UPDATE repeats the due condition, so of two
        workers racing for one row exactly one gets it; the other sees 0 rows
        changed. The returned row's `claimed_until` identifies this claim.
        """
        candidates = (
            OutboxMessage.select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_time, OutboxMessage.id)
            .limit(_CLAIM_CANDIDATES)
        )
        claimed_until = now + claim_for
        for candidate in list(candidates):
            changed = (
                OutboxMessage.update(
                    state=SENDING,
                    claimed_until=claimed_until,
                    attempts=OutboxMessage.attempts + 1,
                )
                .where((OutboxMessage.id == candidate.id) & _due(now))
                .execute()
            )
            if changed == 1:
                row: OutboxMessage = OutboxMessage.get_by_id(candidate.id)
                return row
        return None

    def mark_sent(self, *, message_id: int, now: dt.datetime, payload: Mapping[str, Any]) -> None:
        """Records a delivery. Unconditional but for SENT: the mail went out, even if
        this worker's claim had run out meanwhile."""
        OutboxMessage.update(
            state=SENT,
            sent_time=now,
            claimed_until=None,
            last_error=None,
            payload=dict(payload),
        ).where((OutboxMessage.id == message_id) & (OutboxMessage.state != SENT)).execute()

    def retry_later(
        self,
        *,
        message_id: int,
        claimed_until: dt.datetime,
        next_attempt_time: dt.datetime,
        error: str,
    ) -> bool:
        """Puts a message back to wait; False when this worker no longer held the claim."""
        return _update_if_still_claimed(
            message_id,
            claimed_until,
            state=PENDING,
            next_attempt_time=next_attempt_time,
            claimed_until=None,
            last_error=error,
        )

    def mark_failed(
        self,
        *,
        message_id: int,
        claimed_until: dt.datetime,
        error: str,
        payload: Mapping[str, Any],
    ) -> bool:
        """Gives up on a message (kept, visible, FAILED); False when the claim was lost."""
        return _update_if_still_claimed(
            message_id,
            claimed_until,
            state=FAILED,
            claimed_until=None,
            last_error=error,
            payload=dict(payload),
        )

    def flush_erased_secrets(self) -> None:
        """Makes an erasure (mark_sent / mark_failed with a scrubbed payload) final
        on disk. Call outside any transaction, after the erasing one committed.

        SQLite: `secure_delete` (SQLITE_PRAGMAS) zeroes the old bytes in the
        page, but the page as it was before, token included, is still a frame of
        the WAL until a checkpoint copies the new page into the database file and
        TRUNCATE empties the WAL. The checkpoint waits (busy_timeout) for readers
        of older snapshots; one that cannot finish leaves the frames to the next
        erasure or the next automatic checkpoint, never an error for the worker.

        PostgreSQL needs no equivalent here: its files belong to the database
        server's account, not to one a local user or a copied folder exposes as a
        SQLite file is; a dead row version is reclaimed by (auto)vacuum, and the
        protection of its files and WAL archive is the database server's.
        """
        database = OutboxMessage._meta.database
        if isinstance(getattr(database, "obj", database), peewee.SqliteDatabase):
            database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- for the operator: metrics and `aspel-licensing-server outbox` ----------

    def count_by_state(self) -> dict[str, int]:
        rows: Any = (
            OutboxMessage.select(OutboxMessage.state, peewee.fn.COUNT(OutboxMessage.id))
            .group_by(OutboxMessage.state)
            .tuples()
        )
        return {str(row[0]): int(row[1]) for row in rows}

    def oldest_unsent_time(self) -> dt.datetime | None:
        """When the oldest message not yet sent (PENDING or SENDING) was queued."""
        value: Any = (
            OutboxMessage.select(peewee.fn.MIN(OutboxMessage.create_time))
            .where(OutboxMessage.state.in_([PENDING, SENDING]))
            .scalar()
        )
        return value

    def find_messages(self, *, state: str | None, limit: int) -> list[OutboxMessage]:
        query = OutboxMessage.select()
        if state is not None:
            query = query.where(OutboxMessage.state == state)
        return list(query.order_by(OutboxMessage.id).limit(limit))

    def retry_now(self, *, message_id: int, now: dt.datetime) -> bool:
        """A FAILED (or waiting PENDING) message due at once, its attempts counted
        anew; False when there is no such message or it is SENT or being sent."""
        updated = (
            OutboxMessage.update(
                state=PENDING, attempts=0, next_attempt_time=now, claimed_until=None
            )
            .where((OutboxMessage.id == message_id) & OutboxMessage.state.in_([FAILED, PENDING]))
            .execute()
        )
        return bool(updated)
