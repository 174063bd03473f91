"""Machine components and installation keys for the machine identity tests."""

from __future__ import annotations

from aspel.licensing.client.machine_identity import KINDS, MachineComponent, component_digest
from aspel.licensing.v1 import activation_pb2


def components(serial: str, *raw: str) -> list[activation_pb2.MachineComponent]:
    """One component per raw value, in KINDS order (machine_id, system_uuid,
    system_disk, network_mac), salted with the serial as the client does."""
    return [
        activation_pb2.MachineComponent(kind=kind, digest=component_digest(kind, value, serial))
        for kind, value in zip(KINDS, raw, strict=False)
    ]


def as_client(items: list[activation_pb2.MachineComponent]) -> list[MachineComponent]:
    return [MachineComponent(c.kind, c.digest) for c in items]
