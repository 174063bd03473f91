"""Seats that hold after a release: when the latest licence of an activation
expires at the latest, how it was released, and when its seat stopped counting.

- `license_expire_time`: an upper bound of the expire_time of every licence
  handed out for the activation (see domain/activation.py). Backfilled for the
  active rows with the policy in force when this migration was written: a
  licence lasts at most 30 days and a validation is recorded at most hourly,
  so no licence issued before can outlive last validation + 30 days + 1 hour.
- `release_kind`: TRANSFER, RECEIPT, EXPIRED, PENDING or RECLAIMED (domain/seats.py).
- `seat_freed_time`: set when the seat stops counting. A released activation
  whose licence is still valid keeps it null (RELEASE_PENDING): it still holds
  its seat number, so the partial unique index on the seat now covers the rows
  whose seat is not freed, instead of the active rows only.
"""

import datetime as dt
from typing import Any

from peewee import CharField

from aspel.licensing.server.store.fields import UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import frozen_base

_LONGEST_LICENCE_THEN = dt.timedelta(days=30, hours=1)


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("activation", "license_expire_time", UtcDateTimeField(null=True)),
        migrator.add_column("activation", "release_kind", CharField(null=True)),
        migrator.add_column("activation", "seat_freed_time", UtcDateTimeField(null=True)),
    )
    Base: Any = frozen_base(db)

    class Activation(Base):
        create_time = UtcDateTimeField()
        last_validate_time = UtcDateTimeField(null=True)
        deactivate_time = UtcDateTimeField(null=True)
        license_expire_time = UtcDateTimeField(null=True)
        seat_freed_time = UtcDateTimeField(null=True)

    model: Any = Activation
    # A deactivated seat was free at once, as the rule was then.
    model.update(seat_freed_time=model.deactivate_time).where(
        model.deactivate_time.is_null(False)
    ).execute()
    for row in model.select().where(model.deactivate_time.is_null()):
        last = row.last_validate_time or row.create_time
        model.update(license_expire_time=last + _LONGEST_LICENCE_THEN).where(
            model.id == row.id
        ).execute()
    db.execute_sql("DROP INDEX activation_active_seat")
    db.execute_sql(
        "CREATE UNIQUE INDEX activation_held_seat ON activation (subscription_id, seat) "
        "WHERE seat_freed_time IS NULL"
    )
