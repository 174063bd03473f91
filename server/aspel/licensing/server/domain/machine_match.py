"""Whether two sets of machine components are one machine.

An installer sends salted digests of a few components (see the client's
`machine_identity`): the system's own id (MachineGuid, machine-id), the
board's SMBIOS UUID, the system disk's serial, the first network card. A
reinstall changes the first and keeps the rest; a new disk changes one. Two
machines are one when at least `min_matching` of the known kinds carry the
same digest on both sides (2 by default: "2 of 4"). The rule reads only what
both sides have: a machine that sends fewer than `min_matching` components
can never match by components (it still matches by its exact fingerprint, as
before components existed), and kinds this server does not know are stored
but never counted, so a newer installer cannot make up matches with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from ..store.database import Store, retry_on_conflict
from ..store.models import Activation
from ..store.subscriptions import SubscriptionRow
from ..store.unit_of_work import UnitOfWork
from .subscriptions import audit_serial

MACHINE_ID = "machine_id"
SYSTEM_UUID = "system_uuid"
SYSTEM_DISK = "system_disk"
NETWORK_MAC = "network_mac"
#: The kinds that count, in the order they are shown.
KNOWN_KINDS = (MACHINE_ID, SYSTEM_UUID, SYSTEM_DISK, NETWORK_MAC)
#: The most components one request may carry (the known four and room for
#: kinds newer installers add).
MAX_COMPONENTS = 8
DEFAULT_MIN_MATCHING = 2

Components = Mapping[str, str]
T = TypeVar("T")


@dataclass(frozen=True)
class MatchPolicy:
    #: Known kinds that must carry the same digest on both sides.
    min_matching: int = DEFAULT_MIN_MATCHING

    def __post_init__(self) -> None:
        if not 1 <= self.min_matching <= len(KNOWN_KINDS):
            raise ValueError(f"min_matching must be between 1 and {len(KNOWN_KINDS)}")


def shared_kinds(a: Components | None, b: Components | None) -> list[str]:
    """The known kinds whose digests both sides have and agree on."""
    if not a or not b:
        return []
    return [kind for kind in KNOWN_KINDS if kind in a and a.get(kind) == b.get(kind)]


def same_machine(a: Components | None, b: Components | None, policy: MatchPolicy) -> bool:
    return len(shared_kinds(a, b)) >= policy.min_matching


def best_match(
    components: Components | None,
    candidates: Sequence[tuple[T, Components | None]],
    policy: MatchPolicy,
) -> T | None:
    """The candidate that is this machine: the one sharing the most kinds
    (at least `min_matching`), the earliest of equals (candidates come oldest
    first, so a clone never takes the original's place in a tie)."""
    best: T | None = None
    best_count = policy.min_matching - 1
    for item, theirs in candidates:
        count = len(shared_kinds(components, theirs))
        if count > best_count:
            best, best_count = item, count
    return best


def clone_pairs(
    activations: Iterable[tuple[str, Components | None]], policy: MatchPolicy
) -> list[tuple[str, str, list[str]]]:
    """Pairs (older id, newer id, shared kinds) of activations that look like
    one machine: a disk image cloned onto another. Input oldest first."""
    listed = list(activations)
    pairs = []
    for i, (first, first_components) in enumerate(listed):
        for second, second_components in listed[i + 1 :]:
            shared = shared_kinds(first_components, second_components)
            if len(shared) >= policy.min_matching:
                pairs.append((first, second, shared))
    return pairs


# --- what the server keeps of a machine ---------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What an installer says about its machine in one request."""

    machine_fingerprint: str
    machine_components: Components | None = None
    installation_public_key: bytes | None = None
    hostname: str | None = None


class KeyHolder(Protocol):
    """An Activation, or the plain row of a validation (store/activations.py)."""

    @property
    def installation_public_key(self) -> str | None: ...


def public_key_of(row: KeyHolder) -> bytes | None:
    """The activation's installation key as bytes (the store keeps hex)."""
    kept = row.installation_public_key
    return bytes.fromhex(kept) if kept else None


def remember(tx: UnitOfWork, row: Activation, identity: Identity) -> Activation:
    """Stores what the machine sent, when it differs from what is kept: new
    components replace the old ones (a new disk), a new key the former one
    (the product lost its key file and made another). Nothing sent, nothing
    changed: an installer that sends only a fingerprint leaves both alone."""
    components = dict(identity.machine_components or {}) or None
    key = identity.installation_public_key or None
    new_components = components if components and components != row.machine_components else None
    new_key = key if key and key != public_key_of(row) else None
    if new_components is None and new_key is None:
        return row
    return tx.activations.update_identity(
        row.id,
        machine_components=new_components,
        installation_public_key=new_key,
        key_replaced_until=key_replaced_until(row, new_key),
    )


def key_replaced_until(row: Activation, new_key: bytes | None) -> dt.datetime | None:
    """When a stored key gives way to another: until when the licences signed
    under the former one may still run. A key is replaced with no proof (the
    fingerprint is in the `.lic`), so a receipt of the new key must not free
    the seat while a copy under the old key may run (receipts.py)."""
    if new_key is None or row.installation_public_key is None or new_key == public_key_of(row):
        return None
    return row.license_expire_time


def _rebound(
    tx: UnitOfWork,
    row: SubscriptionRow,
    activation: Activation,
    identity: Identity,
    shared: list[str],
    peer: str | None,
    now: dt.datetime,
) -> Activation:
    """Moves an activation to the machine's new fingerprint, audited."""
    previous = activation.machine_fingerprint
    done = tx.activations.update_identity(
        activation.id,
        machine_fingerprint=identity.machine_fingerprint,
        machine_components=dict(identity.machine_components or {}),
        installation_public_key=identity.installation_public_key or None,
        hostname=identity.hostname or None,
        key_replaced_until=key_replaced_until(activation, identity.installation_public_key or None),
    )
    audit_serial(
        tx,
        row,
        "activation.rebound",
        actor=f"installer:{identity.machine_fingerprint[:64]}",
        peer=peer,
        detail={
            "activation_id": activation.public_id,
            "previous_fingerprint": previous[:64],
            "shared_kinds": ",".join(shared),
        },
        now=now,
    )
    return done


def rebind(
    tx: UnitOfWork,
    row: SubscriptionRow,
    identity: Identity,
    policy: MatchPolicy,
    *,
    peer: str | None,
    now: dt.datetime,
) -> Activation | None:
    """The serial's active activation that is this machine under another
    fingerprint (a reinstalled system), rebound to the new fingerprint; None
    when no activation shares enough components. The caller holds the serial's row."""
    if not identity.machine_components:
        return None
    active = tx.activations.active_of_subscription(row.id)
    found = best_match(
        identity.machine_components, [(a, a.machine_components) for a in active], policy
    )
    if found is None:
        return None
    shared = shared_kinds(identity.machine_components, found.machine_components)
    return _rebound(tx, row, found, identity, shared, peer, now)


def refresh_on_validation(
    store: Store,
    serial_number: str,
    activation_id: str,
    identity: Identity,
    policy: MatchPolicy,
    *,
    peer: str | None,
    now: dt.datetime,
    usable: Callable[[SubscriptionRow], bool],
) -> None:
    """Before a validation that carries components: keeps them, and rebinds
    the activation when its fingerprint changed but enough components match.
    Reads first, so the usual validation (nothing changed) writes nothing.
    Leaves every refusal to the validation itself (no rebind: it answers
    ACTIVATION_NOT_FOUND as before), and changes nothing for a serial the
    validation will refuse (`usable`: suspended, retired)."""

    def needed(tx: UnitOfWork) -> bool:
        row = tx.activations.find_subscription(serial_number)
        if row is None or not usable(row):
            return False
        activation = tx.activations.find_active_by_public_id(row.id, activation_id)
        if activation is None:
            return False
        if activation.machine_fingerprint == identity.machine_fingerprint:
            return dict(identity.machine_components or {}) != (activation.machine_components or {})
        return same_machine(identity.machine_components, activation.machine_components, policy)

    with store.read() as tx:
        if not needed(tx):
            return

    @retry_on_conflict()
    def attempt() -> None:
        with store.write() as tx:
            row = tx.activations.find_subscription(serial_number)
            if row is None or not usable(row):
                return
            tx.subscriptions.lock(row.id)
            activation = tx.activations.find_active_by_public_id(row.id, activation_id)
            if activation is None:
                return
            if activation.machine_fingerprint == identity.machine_fingerprint:
                remember(tx, activation, identity)
                return
            shared = shared_kinds(identity.machine_components, activation.machine_components)
            if len(shared) < policy.min_matching:
                return
            if tx.activations.find_active_for_machine(row.id, identity.machine_fingerprint):
                # The new fingerprint already has its own activation: not this one's.
                return
            _rebound(tx, row, activation, identity, shared, peer, now)

    attempt()


def clone_pairs_of(
    activations: Iterable[Activation], policy: MatchPolicy
) -> list[tuple[str, str, list[str]]]:
    """clone_pairs over activation rows (any order; the active ones count)."""
    active = sorted((a for a in activations if a.deactivate_time is None), key=lambda a: a.id)
    return clone_pairs(((a.public_id, a.machine_components) for a in active), policy)


__all__ = [
    "DEFAULT_MIN_MATCHING",
    "KNOWN_KINDS",
    "MAX_COMPONENTS",
    "Identity",
    "MatchPolicy",
    "best_match",
    "clone_pairs",
    "clone_pairs_of",
    "rebind",
    "refresh_on_validation",
    "remember",
    "same_machine",
    "shared_kinds",
]
