"""The `cache_version` table: one row per cache a server process keeps of data
that changes rarely (`catalog`: the releases and the upgrade terms in force).

Every write that changes what a cache holds adds one to its row in the same
transaction, and a process compares its copy's version with the row's before
serving it (store/catalog.py), so a change committed by any process, on any
machine, is seen by every other one on its next call. The row exists from
this migration on, so a bump is a plain UPDATE and never an insert race.

A frozen copy of the model as it was, independent of `store/models.py`.
"""

from typing import Any

from peewee import BigIntegerField, CharField

from aspel.licensing.server.store.migrations.frozen import frozen_base


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)

    class CacheVersion(Base):
        name = CharField(unique=True)
        version = BigIntegerField(default=1)

    db.create_tables([CacheVersion])
    CacheVersion.insert(name="catalog", version=1).execute()
