"""Random secrets of the deployment, kept in the database so that every worker
process and every machine of one deployment uses the same ones."""

from __future__ import annotations

import datetime as dt
import secrets

from .database import Store
from .models import ServerSecret


def get_or_create(store: Store, name: str, size: int, now: dt.datetime) -> bytes:
    """The secret called `name`, made of `size` random bytes the first time.

    Race-free: concurrent first callers each try an insert that ignores a
    conflict on the unique name, then all read back the one row that won.
    """
    with store.connection():
        row = ServerSecret.get_or_none(ServerSecret.name == name)
        if row is None:
            with store.write():
                ServerSecret.insert(
                    name=name, value=secrets.token_hex(size), create_time=now
                ).on_conflict_ignore().execute()
            row = ServerSecret.get(ServerSecret.name == name)
    return bytes.fromhex(row.value)
