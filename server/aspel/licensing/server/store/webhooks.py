"""Webhook endpoints: where audited changes are delivered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .models import WebhookEndpoint
from .prepared import PreparedSelect

# Read by every audited change (store/audit.py): built once, see prepared.py.
_ACTIVE = PreparedSelect(
    lambda: (
        WebhookEndpoint.select(WebhookEndpoint.public_id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.delete_time.is_null())
        .order_by(WebhookEndpoint.id)
    )
)


class WebhookRepository:
    """The endpoints that receive audited changes (domain/events.py)."""

    def add(
        self,
        *,
        public_id: str,
        url: str,
        event_types: Sequence[str],
        description: str,
        secret_sealed: str,
        created_by: str,
        now: dt.datetime,
    ) -> WebhookEndpoint:
        return WebhookEndpoint.create(
            public_id=public_id,
            url=url,
            event_types=sorted(set(event_types)),
            description=description,
            secret_sealed=secret_sealed,
            created_by=created_by,
            create_time=now,
        )

    def find(self, public_id: str) -> WebhookEndpoint | None:
        row: WebhookEndpoint | None = WebhookEndpoint.get_or_none(
            WebhookEndpoint.public_id == public_id
        )
        return row

    def find_active(self, public_id: str) -> WebhookEndpoint | None:
        row: WebhookEndpoint | None = WebhookEndpoint.get_or_none(
            (WebhookEndpoint.public_id == public_id) & WebhookEndpoint.delete_time.is_null()
        )
        return row

    def active(self) -> list[WebhookEndpoint]:
        """Every endpoint still receiving (a handful: read whole per audited change)."""
        return _ACTIVE.rows()

    def count_active(self) -> int:
        return int(WebhookEndpoint.select().where(WebhookEndpoint.delete_time.is_null()).count())

    def page(self, *, after_id: int, limit: int) -> list[WebhookEndpoint]:
        """Active endpoints in creation order (keyset on the id)."""
        return list(
            WebhookEndpoint.select()
            .where(WebhookEndpoint.delete_time.is_null() & (WebhookEndpoint.id > after_id))
            .order_by(WebhookEndpoint.id)
            .limit(limit)
        )

    def end(self, public_id: str, *, reason: str, now: dt.datetime) -> bool:
        """Stops deliveries to an endpoint; False when it was already stopped."""
        changed = (
            WebhookEndpoint.update(delete_time=now, disable_reason=reason)
            .where((WebhookEndpoint.public_id == public_id) & WebhookEndpoint.delete_time.is_null())
            .execute()
        )
        return bool(changed == 1)
