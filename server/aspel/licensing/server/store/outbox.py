"""Emails waiting to be delivered (the transactional outbox)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from .models import OutboxMessage

MESSAGE_ID_DOMAIN = "licensing.aspel.com.mx"


def enqueue(
    *, kind: str, recipient: str, payload: Mapping[str, Any], now: dt.datetime
) -> OutboxMessage:
    """Queues a message inside the caller's transaction; it is sent after commit."""
    return OutboxMessage.create(
        message_id=f"<{uuid.uuid4()}@{MESSAGE_ID_DOMAIN}>",
        kind=kind,
        recipient=recipient,
        payload=dict(payload),
        next_attempt_time=now,
        create_time=now,
    )
