"""Activations: one row per installation of a product on a machine.

A frozen copy of the model as it was, independent of `store/models.py`. The
two partial unique indexes are the database's own guard for the rules
"one seat per machine" and "no more seats than allowed" (the service counts
inside one write transaction; the indexes catch anything that slips by).
"""

from typing import Any

from peewee import CharField, ForeignKeyField, IntegerField, Model

from aspel.licensing.server.store.fields import UtcDateTimeField


def up(migrator: Any, db: Any) -> None:
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Subscription(Base):
        class Meta:
            table_name = "subscription"

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

    Activation.add_index(
        Activation.index(
            Activation.subscription,
            Activation.machine_fingerprint,
            unique=True,
            where=Activation.deactivate_time.is_null(),
            name="activation_active_machine",
        )
    )
    Activation.add_index(
        Activation.index(
            Activation.subscription,
            Activation.seat,
            unique=True,
            where=Activation.deactivate_time.is_null(),
            name="activation_active_seat",
        )
    )
    db.create_tables([Activation])
