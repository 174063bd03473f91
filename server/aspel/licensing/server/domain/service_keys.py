"""Service keys: how internal services (billing, catalog, support) prove who
they are on AdminService.

A key is 256 random bits with the prefix `alsvc_`, shown once when created;
the store keeps only its SHA-256. Customer session tokens (`als_`) are a
different kind of credential and never resolve here, just as a service key
never resolves as a customer session.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .. import errors
from ..store.database import Store
from ..store.models import ServiceKey
from .clock import BusinessCalendar
from .credentials import new_token, token_hash
from .views import view_of

SERVICE_KEY_PREFIX = "alsvc_"
SCOPES = ("billing", "catalog", "support")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Actor:
    """An authenticated internal caller: a service key, and where it called from."""

    key_name: str
    scopes: frozenset[str]
    peer: str | None = None

    @property
    def audit_name(self) -> str:
        return f"service:{self.key_name}"

    @property
    def idempotency_scope(self) -> str:
        return f"service_key:{self.key_name}"


@dataclass(frozen=True)
class ServiceKeyView:
    name: str
    scopes: tuple[str, ...]
    create_time: dt.datetime
    revoke_time: dt.datetime | None


@dataclass(frozen=True)
class CreatedKey:
    """The secret is here and nowhere else: show it once, then drop it."""

    secret: str
    key: ServiceKeyView


def _view(row: ServiceKey) -> ServiceKeyView:
    return view_of(ServiceKeyView, row, scopes=tuple(row.scopes))


def validate_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise errors.InvalidArgument(
            field_violations=[
                (
                    "name",
                    "El nombre de la llave admite de 1 a 63 caracteres: minúsculas, dígitos, "
                    "punto, guion y guion bajo, y empieza con minúscula o dígito.",
                )
            ]
        )
    return name


def validate_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if not wanted or unknown:
        raise errors.InvalidArgument(
            field_violations=[("scopes", f"Indica uno o más alcances entre: {', '.join(SCOPES)}.")]
        )
    return tuple(wanted)


@dataclass(eq=False)
class ServiceKeyService:
    store: Store
    calendar: BusinessCalendar

    # --- administration (the server's console) -------------------------------

    def create(self, name: str, scopes: Iterable[str], operator: str) -> CreatedKey:
        name = validate_name(name)
        wanted = validate_scopes(scopes)
        secret = new_token(SERVICE_KEY_PREFIX)
        now = self.calendar.now()
        with self.store.write() as tx:
            row = tx.service_keys.create(
                name=name, scopes=wanted, key_hash=token_hash(secret), now=now
            )
            tx.audit.record(
                kind="service_key.created",
                actor=f"cli:{operator}",
                now=now,
                detail={"name": name, "scopes": list(wanted)},
            )
        return CreatedKey(secret, _view(row))

    def list(self) -> list[ServiceKeyView]:
        with self.store.read() as tx:
            return [_view(row) for row in tx.service_keys.list_all()]

    def revoke(self, name: str, operator: str) -> ServiceKeyView:
        now = self.calendar.now()
        with self.store.write() as tx:
            row = tx.service_keys.find_by_name(name)
            if row is None or not tx.service_keys.revoke(row.id, now):
                raise errors.ServiceKeyNotFound(name)
            tx.audit.record(
                kind="service_key.revoked",
                actor=f"cli:{operator}",
                now=now,
                detail={"name": name, "scopes": list(row.scopes)},
            )
            row.revoke_time = now
        return _view(row)

    # --- authentication (every AdminService call) ------------------------------

    def authenticate(self, key: str | None, peer: str | None) -> Actor:
        """The internal caller behind a bearer key, or SERVICE_KEY_INVALID."""
        if not key or not key.startswith(SERVICE_KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
            raise errors.ServiceKeyInvalid()
        with self.store.read() as tx:
            row = tx.service_keys.find_by_hash(token_hash(key))
        if row is None or row.revoke_time is not None:
            raise errors.ServiceKeyInvalid()
        return Actor(key_name=row.name, scopes=frozenset(row.scopes), peer=peer)


def require_scope(actor: Actor, accepted: Iterable[str]) -> None:
    """PERMISSION_DENIED (SCOPE_MISSING) unless the key holds one of `accepted`."""
    wanted = set(accepted)
    if not wanted & actor.scopes:
        raise errors.ScopeMissing(wanted)
