"""Activations of serials on machines, and the serial lookups installers need.

Installers have no session, so a serial is found by its number alone; the
checks that stand in for a login (the razón social) are the domain's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import peewee

from ..errors import ConcurrentModification
from . import raw
from .models import Activation, Subscription
from .prepared import PreparedSelect
from .shapes import newest
from .subscriptions import BY_SERIAL_NUMBER, SubscriptionRow


@dataclass(frozen=True, slots=True)
class Installation:
    """A product installed on a machine, as it asks for a seat: the
    activation it becomes carries these columns of the same names."""

    machine_fingerprint: str
    #: What the machine calls itself; may be empty.
    hostname: str
    product_code: str
    version: str


@dataclass(frozen=True, slots=True)
class SerialRow:
    """What a validation reads of a serial and its account (a plain row, no model)."""

    id: int
    serial_number: str
    product_code: str
    version: str
    users: int
    modality: str
    next_payment_date: dt.date | None
    status: str
    retire_date: dt.date | None
    razon_social: str


@dataclass(frozen=True, slots=True)
class ActivationRow:
    """What a validation reads of an active activation."""

    id: int
    public_id: str
    machine_fingerprint: str
    last_validate_time: dt.datetime | None
    license_expire_time: dt.datetime | None
    #: Hex, as stored (machine_match.public_key_of reads it).
    installation_public_key: str | None


@dataclass(frozen=True, slots=True)
class ValidationRow:
    serial: SerialRow
    #: None: no active activation with that id on that machine.
    activation: ActivationRow | None


def _validation_row(
    subscription_id: int,
    serial_number: str,
    product_code: str,
    version: str,
    users: int,
    modality: str,
    next_payment_date: Any,
    status: str,
    retire_date: Any,
    razon_social: str,
    activation_id: int | None,
    public_id: str | None,
    machine_fingerprint: str | None,
    last_validate_time: Any,
    license_expire_time: Any,
    installation_public_key: str | None,
) -> ValidationRow:
    serial = SerialRow(
        subscription_id,
        serial_number,
        product_code,
        version,
        users,
        modality,
        raw.date(next_payment_date),
        status,
        raw.date(retire_date),
        razon_social,
    )
    if activation_id is None or public_id is None or machine_fingerprint is None:
        return ValidationRow(serial, None)
    return ValidationRow(
        serial,
        ActivationRow(
            activation_id,
            public_id,
            machine_fingerprint,
            raw.utc_datetime(last_validate_time),
            raw.utc_datetime(license_expire_time),
            installation_public_key,
        ),
    )


# Every ValidateLicense runs this one query: the serial, its account's razón
# social and the activation (LEFT JOIN: a serial without it still answers
# SERIAL_NOT_FOUND vs ACTIVATION_NOT_FOUND apart), as plain rows (raw.py).
# Public for the bench's floor server, which runs the very same SQL.
VALIDATION_SQL = """SELECT s.id, s.serial_number, s.product_code, s.version, s.users, s.modality,
              s.next_payment_date, s.status, s.retire_date, acc.razon_social,
              a.id, a.public_id, a.machine_fingerprint, a.last_validate_time,
              a.license_expire_time, a.installation_public_key
         FROM subscription s
         JOIN account acc ON acc.id = s.account_id
         LEFT JOIN activation a
           ON a.subscription_id = s.id AND a.public_id = ? AND a.machine_fingerprint = ?
              AND a.deactivate_time IS NULL
        WHERE s.serial_number = ?
        LIMIT 1"""
_FOR_VALIDATION = raw.RawSelect(VALIDATION_SQL, _validation_row)

# The portal's and installers' other lookups: their SQL is built once (see prepared.py).
_ACTIVE = PreparedSelect(
    lambda subscription_id, public_id, machine_fingerprint: (
        Activation.select()
        .where(
            (Activation.subscription == subscription_id)
            & (Activation.public_id == public_id)
            & (Activation.machine_fingerprint == machine_fingerprint)
            & Activation.deactivate_time.is_null()
        )
        .limit(1)
    )
)


# The activation write path's reads (ActivateInstallation runs both in its
# transaction, which holds SQLite's write lock): built once, see prepared.py.
_ACTIVE_ON_MACHINE = PreparedSelect(
    lambda subscription_id, machine_fingerprint: (
        Activation.select()
        .where(
            (Activation.subscription == subscription_id)
            & (Activation.machine_fingerprint == machine_fingerprint)
            & Activation.deactivate_time.is_null()
        )
        .limit(1)
    )
)
_SEATS_NOT_FREED = PreparedSelect(
    lambda subscription_id: Activation.select(Activation.seat).where(
        (Activation.subscription == subscription_id) & Activation.seat_freed_time.is_null()
    )
)


# Every new activation runs it first (domain/seats.py `held_seats`), in the
# transaction that holds the write lock: SQL written once (raw.py).
_FREE_SEATS_FOR_MACHINE = raw.RawWrite(
    """UPDATE activation
          SET seat_freed_time = CASE WHEN license_expire_time <= ? THEN license_expire_time
                                     ELSE ? END
        WHERE subscription_id = ? AND deactivate_time IS NOT NULL AND seat_freed_time IS NULL
          AND (license_expire_time <= ? OR machine_fingerprint = ?)"""
)
# And then inserts the new activation: SQL written once, without the savepoint
# SQLite does not need (raw.py).
_NEW_ACTIVATION = raw.RawInsert(
    Activation,
    "public_id",
    "subscription",
    "machine_fingerprint",
    "hostname",
    "product_code",
    "version",
    "seat",
    "create_time",
    "last_validate_time",
    "license_expire_time",
    "machine_components",
    "installation_public_key",
)


def _raised_to(bound: dt.datetime) -> peewee.Node:
    """The column's new value: `bound`, unless it already holds a later one."""
    column = Activation.license_expire_time
    value = peewee.Value(bound, converter=column.db_value)
    return peewee.Case(None, [((column.is_null()) | (column < bound), value)], column)


class ActivationRepository:
    """Installations activated on a serial."""

    def for_validation(
        self, serial_number: str, public_id: str, machine_fingerprint: str
    ) -> ValidationRow | None:
        """The serial, its account's razón social and its active activation with
        that id on that machine, in one query; None: no such serial."""
        return _FOR_VALIDATION.first(public_id, machine_fingerprint, serial_number)

    def find_subscription(self, serial_number: str) -> SubscriptionRow | None:
        """The serial and its account, in one query, as a plain row (raw.py):
        every ActivateInstallation reads it twice."""
        return BY_SERIAL_NUMBER.first(serial_number)

    def serials_of_account(
        self, account_id: int, product_code: str, version: str
    ) -> list[Subscription]:
        """The account's serials of one product and version, newest first."""
        return list(
            Subscription.select()
            .where(
                (Subscription.account == account_id)
                & (Subscription.product_code == product_code)
                & (Subscription.version == version)
            )
            .order_by(Subscription.id.desc())
        )

    def find_active(
        self, subscription_id: int, public_id: str, machine_fingerprint: str
    ) -> Activation | None:
        """The active activation with that id on that machine; None for any mismatch."""
        found: Activation | None = _ACTIVE.first(subscription_id, public_id, machine_fingerprint)
        return found

    def find_active_for_machine(
        self, subscription_id: int, machine_fingerprint: str
    ) -> Activation | None:
        # At most one: a partial unique index holds one active activation per machine.
        found: Activation | None = _ACTIVE_ON_MACHINE.first(subscription_id, machine_fingerprint)
        return found

    def find_by_id(self, activation_id: int) -> Activation | None:
        return Activation.get_or_none(Activation.id == activation_id)

    def find_by_public_id(self, public_id: str) -> Activation | None:
        return Activation.get_or_none(Activation.public_id == public_id)

    def seats_in_use(self, subscription_id: int) -> set[int]:
        """The seat numbers not freed: active activations and released ones
        whose seat still counts (see `free_expired_seats`)."""
        return {row.seat for row in _SEATS_NOT_FREED.rows(subscription_id)}

    def free_expired_seats(self, subscription_id: int, now: dt.datetime) -> int:
        """Frees the seats of released activations whose licence has expired
        (their RELEASE_PENDING is over), as of that expiry. The state was
        already RELEASED by the clock; this writes it down so the partial
        unique index on held seats agrees with the count."""
        return int(
            Activation.update(seat_freed_time=Activation.license_expire_time)
            .where(
                (Activation.subscription == subscription_id)
                & Activation.deactivate_time.is_null(False)
                & Activation.seat_freed_time.is_null()
                & (Activation.license_expire_time <= now)
            )
            .execute()
        )

    def free_pending_seats_of_machine(
        self, subscription_id: int, machine_fingerprint: str, now: dt.datetime
    ) -> int:
        """Frees, as of now, the seats still held by released activations of this machine."""
        return int(
            Activation.update(seat_freed_time=now)
            .where(
                (Activation.subscription == subscription_id)
                & (Activation.machine_fingerprint == machine_fingerprint)
                & Activation.deactivate_time.is_null(False)
                & Activation.seat_freed_time.is_null()
            )
            .execute()
        )

    def free_seats_for_machine(
        self, subscription_id: int, machine_fingerprint: str, now: dt.datetime
    ) -> int:
        """`free_expired_seats` and `free_pending_seats_of_machine` in one
        UPDATE: an expired seat freed as of its expiry, a pending one of this
        machine as of now."""
        at = raw.db_datetime(now)
        return _FREE_SEATS_FOR_MACHINE.execute(at, at, subscription_id, at, machine_fingerprint)

    def next_seat_free_time(self, subscription_id: int) -> dt.datetime | None:
        """When the first seat still held by a released activation frees."""
        row = (
            Activation.select(Activation.license_expire_time)
            .where(
                (Activation.subscription == subscription_id)
                & Activation.deactivate_time.is_null(False)
                & Activation.seat_freed_time.is_null()
            )
            .order_by(Activation.license_expire_time)
            .first()
        )
        return row.license_expire_time if row is not None else None

    def transfers_since(self, subscription_id: int, since: dt.datetime, kind: str) -> int:
        """Releases of the serial of `kind` (immediate transfers) since `since`."""
        return int(
            Activation.select()
            .where(
                (Activation.subscription == subscription_id)
                & (Activation.release_kind == kind)
                & (Activation.deactivate_time > since)
            )
            .count()
        )

    def release(
        self, activation_id: int, now: dt.datetime, *, kind: str, seat_freed: dt.datetime | None
    ) -> Activation:
        """Ends an active activation: `seat_freed` set frees its seat now,
        None keeps it counted until its licence expires. Conditional: of two
        concurrent releases one wins, the other is CONCURRENT_MODIFICATION."""
        return self._end(
            activation_id,
            now,
            kind=kind,
            seat_freed=seat_freed,
            still=Activation.deactivate_time.is_null(),
        )

    def reclaim(
        self, activation_id: int, now: dt.datetime, *, kind: str, expired_before: dt.datetime
    ) -> bool:
        """Releases (seat freed) an activation that is still active and whose
        licence expired before `expired_before`; False when it no longer is
        (validated meanwhile, or reclaimed by another process)."""
        try:
            self._end(
                activation_id,
                now,
                kind=kind,
                seat_freed=now,
                still=Activation.deactivate_time.is_null()
                & (Activation.license_expire_time < expired_before),
            )
        except ConcurrentModification:
            return False
        return True

    def _end(
        self,
        activation_id: int,
        now: dt.datetime,
        *,
        kind: str,
        seat_freed: dt.datetime | None,
        still: peewee.Expression,
    ) -> Activation:
        updated = (
            Activation.update(deactivate_time=now, release_kind=kind, seat_freed_time=seat_freed)
            .where((Activation.id == activation_id) & still)
            .execute()
        )
        if updated != 1:
            raise ConcurrentModification()
        return Activation.get_by_id(activation_id)

    def reclaim_candidates(self, expired_before: dt.datetime, limit: int) -> list[Activation]:
        """Active activations whose licence expired before `expired_before`, oldest first."""
        return list(
            Activation.select()
            .where(
                Activation.deactivate_time.is_null()
                & (Activation.license_expire_time < expired_before)
            )
            .order_by(Activation.id)
            .limit(limit)
        )

    def page_of_subscription(
        self, subscription_id: int, after_id: int, limit: int
    ) -> list[Activation]:
        """A serial's activations, released ones included, oldest first, by id."""
        return list(
            Activation.select()
            .where((Activation.subscription == subscription_id) & (Activation.id > after_id))
            .order_by(Activation.id)
            .limit(limit)
        )

    def find_of_subscription(self, subscription_id: int, public_id: str) -> Activation | None:
        """The serial's activation with that id, released or not."""
        return Activation.get_or_none(
            (Activation.subscription == subscription_id) & (Activation.public_id == public_id)
        )

    def extend_license_bound(self, activation_id: int, bound: dt.datetime) -> None:
        """Raises the recorded licence expiry bound to `bound` (never lowers it)."""
        Activation.update(license_expire_time=_raised_to(bound)).where(
            Activation.id == activation_id
        ).execute()

    def count_seats_held(self, subscription_id: int, now: dt.datetime) -> int:
        """Seats in use as of `now`: active, or released with a licence still
        valid (whether or not `free_expired_seats` has written it down yet)."""
        return int(
            Activation.select()
            .where(
                (Activation.subscription == subscription_id)
                & Activation.seat_freed_time.is_null()
                & (Activation.deactivate_time.is_null() | (Activation.license_expire_time > now))
            )
            .count()
        )

    def count_active(self, subscription_id: int) -> int:
        return int(
            Activation.select()
            .where(
                (Activation.subscription == subscription_id) & Activation.deactivate_time.is_null()
            )
            .count()
        )

    def create_activation(
        self,
        *,
        public_id: str,
        subscription_id: int,
        installation: Installation,
        seat: int,
        now: dt.datetime,
        license_expire_bound: dt.datetime,
        machine_components: dict[str, str] | None = None,
        installation_public_key: bytes | None = None,
        last_validate_time: dt.datetime | None = None,
    ) -> Activation:
        """Inserts an active activation, and answers it as `Activation.create`
        would (the values given, and the new id). A concurrent one that took
        the same machine or seat (the partial unique indexes) ends in
        CONCURRENT_MODIFICATION, the caller's transaction still usable."""
        columns: dict[str, Any] = {
            "public_id": public_id,
            "subscription": subscription_id,
            **asdict(installation),
            "seat": seat,
            "create_time": now,
            "last_validate_time": last_validate_time or now,
            "license_expire_time": license_expire_bound,
            "machine_components": machine_components,
            "installation_public_key": (
                installation_public_key.hex() if installation_public_key else None
            ),
        }
        new_id = _NEW_ACTIVATION.execute_or_raise(ConcurrentModification, **columns)
        return Activation(id=new_id, **columns)

    def active_of_subscription(self, subscription_id: int) -> list[Activation]:
        """The subscription's active activations, oldest first (a few: one per seat)."""
        return list(
            Activation.select()
            .where(
                (Activation.subscription == subscription_id) & Activation.deactivate_time.is_null()
            )
            .order_by(Activation.id)
        )

    def find_active_by_public_id(self, subscription_id: int, public_id: str) -> Activation | None:
        """The active activation with that id, whatever its machine."""
        return Activation.get_or_none(
            (Activation.subscription == subscription_id)
            & (Activation.public_id == public_id)
            & Activation.deactivate_time.is_null()
        )

    def update_identity(
        self,
        activation_id: int,
        *,
        machine_fingerprint: str | None = None,
        machine_components: dict[str, str] | None = None,
        installation_public_key: bytes | None = None,
        hostname: str | None = None,
        key_replaced_until: dt.datetime | None = None,
    ) -> Activation:
        """Sets what identifies an active activation's machine (the arguments
        given); a concurrent deactivation, or another activation that took the
        fingerprint (the partial unique index), is CONCURRENT_MODIFICATION."""
        changes: dict[Any, Any] = {}
        if machine_fingerprint is not None:
            changes[Activation.machine_fingerprint] = machine_fingerprint
        if machine_components is not None:
            changes[Activation.machine_components] = machine_components
        if installation_public_key is not None:
            changes[Activation.installation_public_key] = installation_public_key.hex()
        if hostname is not None:
            changes[Activation.hostname] = hostname
        if key_replaced_until is not None:
            changes[Activation.key_replaced_until] = key_replaced_until
        if changes:
            try:
                updated = (
                    Activation.update(changes)
                    .where((Activation.id == activation_id) & Activation.deactivate_time.is_null())
                    .execute()
                )
            except peewee.IntegrityError as error:
                raise ConcurrentModification() from error
            if updated != 1:
                raise ConcurrentModification()
        return Activation.get_by_id(activation_id)

    def record_validations(
        self, records: Iterable[tuple[int, dt.datetime | None, dt.datetime]]
    ) -> None:
        """For each (activation id, time or None, bound): raises the recorded
        last validation to the time and the licence expiry bound to the bound,
        never lowering either (batches from several processes may land in any
        order). One UPDATE per activation, all in the caller's transaction."""
        column = Activation.last_validate_time
        for activation_id, now, bound in records:
            changes: dict[Any, Any] = {Activation.license_expire_time: _raised_to(bound)}
            if now is not None:
                value = peewee.Value(now, converter=column.db_value)
                changes[column] = peewee.Case(
                    None, [((column.is_null()) | (column < now), value)], column
                )
            Activation.update(changes).where(Activation.id == activation_id).execute()

    def latest_of_subscription(self, subscription_id: int, limit: int) -> list[Activation]:
        """A serial's activations, deactivated ones included, newest first."""
        return newest(Activation, Activation.subscription == subscription_id, limit)
