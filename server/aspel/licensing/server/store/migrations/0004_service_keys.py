"""Service keys: the credentials of internal services on AdminService.

A frozen copy of the model as it was, deliberately independent of
`store/models.py`, so this file creates the same table forever.
"""

from typing import Any

from peewee import CharField

from aspel.licensing.server.store.fields import JsonField, UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import frozen_base


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)

    class ServiceKey(Base):
        name = CharField(unique=True)
        scopes = JsonField()
        key_hash = CharField(unique=True)
        create_time = UtcDateTimeField()
        revoke_time = UtcDateTimeField(null=True)

    db.create_tables([ServiceKey])
