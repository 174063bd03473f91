"""Support: a serial on one screen, and the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ...store.database import Store
from ...store.models import AuditEvent
from .. import seats
from ..activation import ActivationView, activation_view
from ..auth import AccountView, account_view
from ..clock import BusinessCalendar
from ..machine_match import MatchPolicy, clone_pairs_of
from ..paging import Page, page_of_rows
from ..subscriptions import SubscriptionView, views_of
from ..views import view_of
from .billing import find_serial

RECENT_EVENTS = 20
ACTIVATIONS_SHOWN = 50


@dataclass(frozen=True)
class AuditEventView:
    event_id: int
    time: dt.datetime
    kind: str
    actor: str
    peer: str | None
    account_id: str | None
    serial_number: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SerialLookup:
    subscription: SubscriptionView
    account: AccountView
    predecessors: list[SubscriptionView]
    successors: list[SubscriptionView]
    recent_events: list[AuditEventView]
    accepted_terms_id: str | None
    activations: list[ActivationView]
    #: ACTIVE + RELEASE_PENDING (not yet expired) now.
    seats_in_use: int = 0
    transfers_remaining: int = 0
    #: (older, newer, shared kinds): active installations that look like one
    #: machine (a cloned disk image), among the activations shown.
    cloned_activations: list[tuple[str, str, list[str]]] = field(default_factory=list)


@dataclass(frozen=True)
class AuditFilter:
    account_id: str | None = None
    serial_number: str | None = None
    #: An exact kind, or a prefix when it ends in ".".
    kind: str | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None


def event_view(row: AuditEvent) -> AuditEventView:
    return view_of(
        AuditEventView,
        row,
        event_id=row.id,
        account_id=row.account_public_id,
        detail=dict(row.detail or {}),
    )


class SupportAdmin:
    def __init__(
        self,
        store: Store,
        calendar: BusinessCalendar,
        seat_policy: seats.SeatPolicy | None = None,
        match_policy: MatchPolicy | None = None,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.seat_policy = seat_policy or seats.SeatPolicy()
        self.match_policy = match_policy or MatchPolicy()

    def lookup_serial(self, serial_number: str) -> SerialLookup:
        now = self.calendar.now()
        with self.store.read() as tx:
            row = find_serial(tx, serial_number)
            # The whole line in one query (LookupSerial pins the count in its tests).
            line = tx.subscriptions.lineage(row.id)
            place = next(i for i, r in enumerate(line) if r.id == row.id)
            before, after = line[:place], line[place + 1 :]
            views = views_of(tx, [*before, row, *after], self.calendar.today())
            installations = tx.activations.latest_of_subscription(row.id, ACTIVATIONS_SHOWN)
            return SerialLookup(
                subscription=views[len(before)],
                account=account_view(row.account),
                predecessors=views[: len(before)],
                successors=views[len(before) + 1 :],
                recent_events=[
                    event_view(e)
                    for e in tx.audit.latest_for_serial(row.serial_number, RECENT_EVENTS)
                ],
                accepted_terms_id=row.accepted_terms_id,
                activations=[activation_view(a, row.serial_number, now) for a in installations],
                seats_in_use=tx.activations.count_seats_held(row.id, now),
                transfers_remaining=seats.transfers_left(tx, row.id, now, self.seat_policy),
                cloned_activations=clone_pairs_of(installations, self.match_policy),
            )

    def list_audit_events(
        self, where: AuditFilter, size: int, after_id: int
    ) -> Page[AuditEventView]:
        """`size` events after `after_id` (the transport chose the size, see pagination.py)."""
        prefix = where.kind if where.kind and where.kind.endswith(".") else None
        with self.store.read() as tx:
            rows = tx.audit.find_events(
                after_id=after_id,
                limit=size + 1,
                account_public_id=where.account_id,
                serial_number=where.serial_number,
                kind=where.kind if where.kind and prefix is None else None,
                kind_prefix=prefix,
                start_time=where.start_time,
                end_time=where.end_time,
            )
        return page_of_rows(rows, size, event_view)
