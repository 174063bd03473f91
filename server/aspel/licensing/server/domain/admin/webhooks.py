"""Webhook endpoints: where billing and CRM receive every audited change
(domain/events.py says what they receive and how it is signed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ... import errors
from ...store.database import Store, retry_on_conflict
from ...store.models import WebhookEndpoint
from ...store.unit_of_work import UnitOfWork
from .. import events
from ..clock import BusinessCalendar
from ..idempotency import RequestKey, Result, once
from ..paging import Page, page_of_rows
from ..service_keys import Actor
from ..views import view_of
from .common import record

#: Every audited change fans out to each endpoint in its transaction: a few.
MAX_ENDPOINTS = 20


@dataclass(frozen=True)
class EndpointView:
    endpoint_id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    create_time: dt.datetime
    created_by: str


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: EndpointView
    #: The signing secret in clear: only in the answer to the creation (and to
    #: its retries with the same request_id), never stored unsealed.
    secret: str


def endpoint_view(row: WebhookEndpoint) -> EndpointView:
    return view_of(EndpointView, row, endpoint_id=row.public_id, event_types=tuple(row.event_types))


class WebhookAdmin:
    def __init__(
        self, store: Store, calendar: BusinessCalendar, *, allow_loopback_http: bool = False
    ) -> None:
        self.store = store
        self.calendar = calendar
        #: Read by the transport's URL check (settings.webhook_allow_loopback_http).
        self.allow_loopback_http = allow_loopback_http
        self._secrets = events.SealingKey(store.secret, calendar.now)

    @retry_on_conflict()
    def create(
        self,
        actor: Actor,
        *,
        url: str,
        event_types: Sequence[str],
        description: str,
        key: RequestKey | None,
    ) -> CreatedEndpoint:
        sealed_secrets = self._secrets()
        now = self.calendar.now()

        def create(tx: UnitOfWork) -> Result:
            if tx.webhooks.count_active() >= MAX_ENDPOINTS:
                raise errors.WebhookEndpointLimit(MAX_ENDPOINTS)
            endpoint_id = events.new_endpoint_id()
            secret = events.new_signing_secret()
            row = tx.webhooks.add(
                public_id=endpoint_id,
                url=url,
                event_types=event_types,
                description=description,
                secret_sealed=sealed_secrets.seal(endpoint_id, secret),
                created_by=actor.audit_name,
                now=now,
            )
            # The secret is not in the audit detail, nor in the stored answer.
            record(
                tx,
                actor,
                "webhook_endpoint.created",
                now,
                detail={
                    "endpoint_id": endpoint_id,
                    "event_types": list(row.event_types),
                    "description": description,
                },
            )
            return {"endpoint_id": endpoint_id}

        with self.store.write() as tx:
            result = once(tx, actor.idempotency_scope, key, now, create)
            row = tx.webhooks.find(result["endpoint_id"])
            if row is None:  # pragma: no cover - created above or by the first request
                raise errors.WebhookEndpointNotFound(result["endpoint_id"])
            return CreatedEndpoint(
                endpoint_view(row), sealed_secrets.open(row.public_id, row.secret_sealed)
            )

    def list(self, size: int, after_id: int) -> Page[EndpointView]:
        with self.store.read() as tx:
            rows = tx.webhooks.page(after_id=after_id, limit=size + 1)
        return page_of_rows(rows, size, endpoint_view)

    @retry_on_conflict()
    def delete(self, actor: Actor, endpoint_id: str, *, key: RequestKey | None) -> None:
        """Stops deliveries at once: queued ones of this endpoint fail unsent."""
        now = self.calendar.now()

        def delete(tx: UnitOfWork) -> Result:
            if not tx.webhooks.end(endpoint_id, reason="deleted", now=now):
                raise errors.WebhookEndpointNotFound(endpoint_id)
            record(tx, actor, "webhook_endpoint.deleted", now, detail={"endpoint_id": endpoint_id})
            return {}

        with self.store.write() as tx:
            once(tx, actor.idempotency_scope, key, now, delete)
