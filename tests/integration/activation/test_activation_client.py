"""ActivationClient (client library) against the real server."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from aspel.licensing.client.activation import (
    ActivationClient,
    machine_fingerprint,
    read_license_file,
    save_license,
)
from aspel.licensing.client.errors import (
    FailedPreconditionError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
)
from aspel.licensing.client.license_verification import PinnedKeys, verify_license
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.signing import rotate_key_file
from aspel.licensing.server.settings import Settings
from tests.conftest import RunningServer

from .conftest import MACHINE, OTHER_MACHINE, DemoSerial


@pytest.fixture
def engine() -> str:
    """The client sees the same answers on either engine: SQLite only."""
    return "sqlite"


@pytest.fixture
def client(server: RunningServer) -> ActivationClient:
    return ActivationClient(channel=server.channel)


def test_activate_validate_deactivate(
    client: ActivationClient, sae: DemoSerial, pinned: PinnedKeys, clock: FixedClock
) -> None:
    activated = client.activate_installation(
        sae.serial_number, sae.razon_social, "SAE", "7.0", MACHINE, hostname="caja-01"
    )
    clock.advance(dt.timedelta(days=1))
    validated = client.validate_license(
        sae.serial_number, activated.activation.activation_id, MACHINE
    )
    verified = verify_license(
        validated.signed_license,
        pinned_keys=pinned,
        product_code="SAE",
        version="7.0",
        machine_fingerprint=MACHINE,
        now=clock.now(),
    )
    done = client.deactivate_installation(
        sae.serial_number, activated.activation.activation_id, MACHINE
    )

    assert verified.issue_time == clock.now()
    assert done.HasField("deactivate_time")
    with pytest.raises(NotFoundError) as caught:
        client.validate_license(sae.serial_number, activated.activation.activation_id, MACHINE)
    assert caught.value.reason == "ACTIVATION_NOT_FOUND"


def test_errors_are_typed_with_their_reason(client: ActivationClient, sae: DemoSerial) -> None:
    with pytest.raises(PermissionDeniedError) as mismatch:
        client.activate_installation(sae.serial_number, "Otra, S.C.", "SAE", "7.0", MACHINE)
    client.activate_installation(sae.serial_number, sae.razon_social, "SAE", "7.0", MACHINE)
    with pytest.raises(ResourceExhaustedError) as limit:
        client.activate_installation(
            sae.serial_number, sae.razon_social, "SAE", "7.0", OTHER_MACHINE
        )
    with pytest.raises(FailedPreconditionError) as version:
        client.activate_installation(sae.serial_number, sae.razon_social, "SAE", "8.0", MACHINE)

    assert mismatch.value.reason == "RAZON_SOCIAL_MISMATCH"
    assert limit.value.reason == "ACTIVATION_LIMIT_REACHED"
    assert version.value.reason == "VERSION_MISMATCH"


def test_list_signing_keys_follows_every_page(
    client: ActivationClient, settings: Settings, clock: FixedClock
) -> None:
    for days in (1, 2):
        rotate_key_file(
            pathlib.Path(settings.signing_key_file), clock.now() + dt.timedelta(days=days)
        )

    keys = list(client.list_signing_keys(page_size=1))

    assert len(keys) == 3 and len({k.key_id for k in keys}) == 3


def test_a_licence_file_round_trips(
    client: ActivationClient, sae: DemoSerial, tmp_path: pathlib.Path
) -> None:
    signed = client.activate_installation(
        sae.serial_number, sae.razon_social, "SAE", "7.0", MACHINE
    ).signed_license
    path = tmp_path / "nested" / "x.lic"

    save_license(path, signed)

    assert read_license_file(path) == signed.SerializeToString()


def test_the_machine_fingerprint_is_stable_and_hides_the_machine_id() -> None:
    machine_id = "3d1219c7c4c5404aaa1f6d2a48adfda4"
    fingerprint = machine_fingerprint(machine_id)

    assert fingerprint == machine_fingerprint(machine_id)
    assert fingerprint != machine_fingerprint(machine_id + "0")
    assert machine_id not in fingerprint and len(fingerprint) <= 128
    assert machine_fingerprint() == machine_fingerprint()


def test_the_client_sends_components_and_its_key_and_proves_its_deactivation(
    client: ActivationClient, sae: DemoSerial, clock: FixedClock, tmp_path: pathlib.Path
) -> None:
    from aspel.licensing.client.activation import unverified_certificate
    from aspel.licensing.client.installation_key import InstallationKey, key_path_for
    from aspel.licensing.client.machine_identity import digest_components

    raw = {"machine_id": "g1", "system_uuid": "u1", "system_disk": "d1", "network_mac": "m1"}
    key = InstallationKey.load_or_create(key_path_for(tmp_path / "sae.lic"))
    assert key_path_for(tmp_path / "sae.lic").stat().st_mode & 0o777 == 0o600
    first = client.activate_installation(
        sae.serial_number,
        sae.razon_social,
        "SAE",
        "7.0",
        MACHINE,
        machine_components=digest_components(raw, sae.serial_number),
        installation_public_key=key.public_key_bytes(),
    )
    assert unverified_certificate(first.signed_license).installation_public_key == (
        key.public_key_bytes()
    )
    # Reinstalled: a new MachineGuid, so a new fingerprint; the rest is the same.
    reinstalled = digest_components({**raw, "machine_id": "g2"}, sae.serial_number)
    fresh = client.validate_license(
        sae.serial_number,
        first.activation.activation_id,
        OTHER_MACHINE,
        machine_components=reinstalled,
    )
    assert unverified_certificate(fresh.signed_license).machine_fingerprint == OTHER_MACHINE

    done = client.deactivate_installation(
        sae.serial_number,
        first.activation.activation_id,
        OTHER_MACHINE,
        installation_key=key,
        sign_time=clock.now(),
    )
    assert done.HasField("deactivate_time")
    # The seat is free at once.
    client.activate_installation(sae.serial_number, sae.razon_social, "SAE", "7.0", "fp-next")
