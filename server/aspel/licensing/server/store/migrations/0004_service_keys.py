"""Service keys: the credentials of internal services on AdminService.

A frozen copy of the model as it was, deliberately independent of
`store/models.py`, so this file creates the same table forever.
"""

from typing import Any

from peewee import CharField, Model

from aspel.licensing.server.store.fields import JsonField, UtcDateTimeField


def up(migrator: Any, db: Any) -> None:
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class ServiceKey(Base):
        name = CharField(unique=True)
        scopes = JsonField()
        key_hash = CharField(unique=True)
        create_time = UtcDateTimeField()
        revoke_time = UtcDateTimeField(null=True)

    db.create_tables([ServiceKey])
