"""Service keys of internal callers. Only the SHA-256 of each secret is kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import peewee

from ..errors import ServiceKeyExists
from .models import ServiceKey


class ServiceKeyRepository:
    """The keys of AdminService's callers."""

    def create(
        self, *, name: str, scopes: Sequence[str], key_hash: str, now: dt.datetime
    ) -> ServiceKey:
        try:
            with ServiceKey._meta.database.atomic():
                return ServiceKey.create(
                    name=name, scopes=sorted(scopes), key_hash=key_hash, create_time=now
                )
        except peewee.IntegrityError as exc:
            raise ServiceKeyExists(name) from exc

    def find_by_hash(self, key_hash: str) -> ServiceKey | None:
        return ServiceKey.get_or_none(ServiceKey.key_hash == key_hash)

    def find_by_name(self, name: str) -> ServiceKey | None:
        return ServiceKey.get_or_none(ServiceKey.name == name)

    def list_all(self) -> list[ServiceKey]:
        return list(ServiceKey.select().order_by(ServiceKey.name))

    def revoke(self, key_id: int, now: dt.datetime) -> bool:
        """Revokes a key that is not revoked yet; False when it already was."""
        updated = (
            ServiceKey.update(revoke_time=now)
            .where((ServiceKey.id == key_id) & ServiceKey.revoke_time.is_null())
            .execute()
        )
        return bool(updated == 1)
