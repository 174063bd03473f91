"""The append-only audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from peewee import fn

from .. import request_context
from ..domain import events
from . import raw
from .models import AuditEvent
from .outbox import OutboxRepository
from .shapes import newest
from .webhooks import WebhookRepository

# Every audited change writes one, ActivateInstallation on each new seat: SQL
# written once (raw.py).
_EVENT = raw.RawInsert(
    AuditEvent,
    "time",
    "kind",
    "actor",
    "peer",
    "account_public_id",
    "serial_number",
    "detail",
    "request_id",
)


class AuditRepository:
    """The append-only audit log. Every event recorded is also queued, in the
    same transaction, as one webhook delivery per endpoint that wants its type
    (domain/events.py), so no audited change can reach the log without
    reaching its subscribers, nor the other way round."""

    def record(
        self,
        *,
        kind: str,
        actor: str,
        now: dt.datetime,
        peer: str | None = None,
        account_public_id: str | None = None,
        serial_number: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        _EVENT.execute(
            time=now,
            kind=kind,
            actor=actor,
            peer=peer,
            account_public_id=account_public_id,
            serial_number=serial_number,
            detail=dict(detail or {}),
            # The id of the RPC that wrote it, as in its request log line.
            request_id=request_context.current_request_id(),
        )
        self._queue_webhooks(kind, now, account_public_id, serial_number, detail or {})

    def _queue_webhooks(
        self,
        kind: str,
        now: dt.datetime,
        account_public_id: str | None,
        serial_number: str | None,
        detail: Mapping[str, Any],
    ) -> None:
        wanted = events.endpoints_for(
            ((e.public_id, e.event_types) for e in WebhookRepository().active()), kind
        )
        if not wanted:
            return
        event_id = events.new_event_id()
        body = events.event_body(
            event_id=event_id,
            kind=kind,
            time=now,
            account_id=account_public_id,
            serial_number=serial_number,
            detail=detail,
        )
        outbox = OutboxRepository()
        for endpoint_id in wanted:
            outbox.enqueue_webhook(
                endpoint_id=endpoint_id, event_id=event_id, kind=kind, body=body, now=now
            )

    def find_events(
        self,
        *,
        after_id: int,
        limit: int,
        account_public_id: str | None = None,
        serial_number: str | None = None,
        kind: str | None = None,
        kind_prefix: str | None = None,
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
    ) -> list[AuditEvent]:
        """One page of events in the order they were written (keyset on the id)."""
        query = AuditEvent.select().where(AuditEvent.id > after_id)
        if account_public_id is not None:
            query = query.where(AuditEvent.account_public_id == account_public_id)
        if serial_number is not None:
            query = query.where(AuditEvent.serial_number == serial_number)
        if kind is not None:
            query = query.where(AuditEvent.kind == kind)
        if kind_prefix is not None:
            # An exact prefix on every engine: no LIKE wildcards, no collation.
            query = query.where(fn.SUBSTR(AuditEvent.kind, 1, len(kind_prefix)) == kind_prefix)
        if start_time is not None:
            query = query.where(AuditEvent.time >= start_time)
        if end_time is not None:
            query = query.where(AuditEvent.time < end_time)
        return list(query.order_by(AuditEvent.id).limit(limit))

    def latest_for_serial(self, serial_number: str, limit: int) -> list[AuditEvent]:
        return newest(AuditEvent, AuditEvent.serial_number == serial_number, limit)
