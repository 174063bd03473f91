"""Activations: one row per installation of a product on a machine.

A frozen copy of the model as it was, independent of `store/models.py`. The
two partial unique indexes are the database's own guard for the rules
"one seat per machine" and "no more seats than allowed" (the service counts
inside one write transaction; the indexes catch anything that slips by).
"""

from typing import Any

from peewee import CharField, ForeignKeyField, IntegerField

from aspel.licensing.server.store.fields import UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import (
    add_unique_while_active,
    existing_table,
    frozen_base,
)


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)
    Subscription = existing_table(Base, "Subscription", "subscription")

    class Activation(Base):
        public_id = CharField(unique=True)
        subscription = ForeignKeyField(Subscription, on_delete="RESTRICT")
        machine_fingerprint = CharField()
        hostname = CharField(default="")
        product_code = CharField()
        version = CharField()
        seat = IntegerField()
        create_time = UtcDateTimeField()
        last_validate_time = UtcDateTimeField(null=True)
        deactivate_time = UtcDateTimeField(null=True)

        class Meta:
            indexes = ((("subscription", "deactivate_time"), False),)

    ended = Activation.deactivate_time
    machine = (Activation.subscription, Activation.machine_fingerprint)
    add_unique_while_active(Activation, *machine, name="activation_active_machine", ended=ended)
    seat = (Activation.subscription, Activation.seat)
    add_unique_while_active(Activation, *seat, name="activation_active_seat", ended=ended)
    db.create_tables([Activation])
