"""Server secrets: the `server_secret` table (random keys of the deployment).

A frozen copy of the model as it was, independent of `store/models.py`. The
rows are created on first use (`store/server_secrets.py`), not here.
"""

from typing import Any

from peewee import CharField

from aspel.licensing.server.store.fields import UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import frozen_base


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)

    class ServerSecret(Base):
        name = CharField(unique=True)
        value = CharField()
        create_time = UtcDateTimeField()

    db.create_tables([ServerSecret])
