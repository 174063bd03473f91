"""Random secrets of the deployment, kept in the database so that every worker
process and every machine of one deployment uses the same ones."""

from __future__ import annotations

import datetime as dt
import secrets

from .models import ServerSecret


class ServerSecretRepository:
    """The deployment's random secrets, one row per name."""

    def find(self, name: str) -> bytes | None:
        row = ServerSecret.get_or_none(ServerSecret.name == name)
        return None if row is None else bytes.fromhex(row.value)

    def create_once(self, name: str, size: int, now: dt.datetime) -> bytes:
        """Race-free: concurrent first callers each try an insert that ignores
        a conflict on the unique name, then all read back the one row that won."""
        ServerSecret.insert(
            name=name, value=secrets.token_hex(size), create_time=now
        ).on_conflict_ignore().execute()
        return bytes.fromhex(ServerSecret.get(ServerSecret.name == name).value)
