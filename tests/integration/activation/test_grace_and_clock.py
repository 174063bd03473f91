"""The verifier's states at fixed clocks (FULL, GRACE with the days left,
READ_ONLY) on licences the real server signs, and the clock rules: a clock set
back inside the validity window, the trusted-time file edited, deleted or
shared, a clock that ran ahead."""

from __future__ import annotations

import base64
import datetime as dt
import json
import pathlib
from typing import Any

import pytest

from aspel.licensing.client import license_verification as lv
from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.client.license_verification import (
    LicenseVerificationError,
    PinnedKeys,
    TrustedTime,
    license_status,
    verify_license,
)
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.signing import read_key_file
from aspel.licensing.v1 import activation_pb2, activation_service_pb2

from .conftest import MACHINE, DemoSerial, activate_request, demo_serial, local, upgrade

DAY = dt.timedelta(days=1)


@pytest.fixture
def engine() -> str:
    """The server only signs here; the rules are the client's: SQLite only."""
    return "sqlite"


@pytest.fixture
def signed(stub: Any, sae: DemoSerial) -> activation_pb2.SignedLicense:
    licence: activation_pb2.SignedLicense = stub.ActivateInstallation(
        activate_request(sae)
    ).signed_license
    return licence


def certificate(signed: activation_pb2.SignedLicense) -> activation_pb2.LicenseCertificate:
    return activation_pb2.LicenseCertificate.FromString(signed.certificate)


def times(signed: activation_pb2.SignedLicense) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    c = certificate(signed)
    return (
        c.issue_time.ToDatetime(tzinfo=dt.UTC),
        c.expire_time.ToDatetime(tzinfo=dt.UTC),
        c.grace_end_time.ToDatetime(tzinfo=dt.UTC),
    )


def status(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    now: dt.datetime,
    product: str = "SAE",
    version: str = "7.0",
    trusted_time: TrustedTime | None = None,
) -> lv.LicenseStatus:
    return license_status(
        signed,
        pinned_keys=pinned,
        product_code=product,
        version=version,
        machine_fingerprint=MACHINE,
        now=now,
        trusted_time=trusted_time,
    )


@pytest.fixture
def key() -> InstallationKey:
    return InstallationKey.generate()


# --- grace and read-only -----------------------------------------------------------


def test_a_subscription_licence_is_full_then_seven_days_of_grace_then_read_only(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys
) -> None:
    _, expire, grace_end = times(signed)
    assert grace_end == expire + 7 * DAY
    assert certificate(signed).read_only_access

    assert status(signed, pinned, expire - dt.timedelta(seconds=1)).state == lv.FULL
    at_expiry = status(signed, pinned, expire)
    assert (at_expiry.state, at_expiry.grace_days_left) == (lv.GRACE, 7)
    assert at_expiry.message_es.startswith("Periodo de gracia: quedan 7 días")
    last_day = status(signed, pinned, grace_end - dt.timedelta(hours=1))
    assert (last_day.state, last_day.grace_days_left) == (lv.GRACE, 1)
    assert "queda 1 día" in last_day.message_es
    read_only = status(signed, pinned, grace_end)
    assert read_only.state == lv.READ_ONLY
    assert read_only.message_es.startswith("Modo consulta (solo lectura)")
    assert read_only.can_read and not read_only.can_write


def test_verify_license_never_lets_a_read_only_licence_pass_unless_asked(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys
) -> None:
    _, _, grace_end = times(signed)
    fields: dict[str, Any] = {
        "pinned_keys": pinned,
        "product_code": "SAE",
        "version": "7.0",
        "machine_fingerprint": MACHINE,
        "now": grace_end,
    }
    with pytest.raises(LicenseVerificationError) as caught:
        verify_license(signed, **fields)
    assert caught.value.reason == lv.LICENSE_EXPIRED
    assert verify_license(signed, allow_read_only=True, **fields).state == lv.READ_ONLY


def test_a_licence_without_read_only_access_is_expired_after_its_grace(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, settings: Any
) -> None:
    # A licence as a server before grace signed it: no grace_end_time, no read-only.
    old = certificate(signed)
    old.ClearField("grace_end_time")
    old.read_only_access = False
    ring = read_key_file(pathlib.Path(settings.signing_key_file))
    body = old.SerializeToString(deterministic=True)
    resigned = activation_pb2.SignedLicense(
        certificate=body, signature=ring.sign(body).signature, key_id=ring.active_key_id
    )
    _, expire, _ = times(signed)

    refused = status(resigned, pinned, expire)
    assert (refused.state, refused.reason) == (lv.REFUSED, lv.LICENSE_EXPIRED)
    assert not refused.can_read


def test_a_perpetual_licence_has_thirty_days_of_grace(
    server: Any, stub: Any, pinned: PinnedKeys
) -> None:
    coi = demo_serial(server, "demo", "COI")
    signed = stub.ActivateInstallation(activate_request(coi)).signed_license
    _, expire, grace_end = times(signed)

    assert grace_end == expire + 30 * DAY
    assert status(signed, pinned, grace_end - DAY, "COI", coi.version).state == lv.GRACE


def test_a_superseded_serial_gets_no_grace_past_its_retire_date(
    server: Any, stub: Any, portal: Any, sae: DemoSerial, pinned: PinnedKeys
) -> None:
    activation = stub.ActivateInstallation(activate_request(sae)).activation
    upgrade(server, portal, sae.serial_number)

    response = stub.ValidateLicense(
        activation_service_pb2.ValidateLicenseRequest(
            serial_number=sae.serial_number,
            activation_id=activation.activation_id,
            machine_fingerprint=MACHINE,
        )
    )

    _, expire, grace_end = times(response.signed_license)
    retire = dt.date(
        response.retire_date.year, response.retire_date.month, response.retire_date.day
    )
    after_retire = retire + DAY
    retire_end = local(after_retire.year, after_retire.month, after_retire.day, 0, 0)
    assert expire < retire_end  # the licence's own 30 days end first
    assert grace_end == retire_end  # seven more days would pass the retire date
    assert status(response.signed_license, pinned, retire_end).state == lv.READ_ONLY


# --- the clock ---------------------------------------------------------------------


def test_a_clock_set_back_inside_the_validity_window_is_refused(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "sae.lic.time"
    now = clock.now()
    assert status(signed, pinned, now + 5 * DAY, trusted_time=TrustedTime(path, key=key)).state == (
        lv.FULL
    )

    # Two days back: still inside the licence's window, so the window alone passes it.
    back = now + 3 * DAY
    assert status(signed, pinned, back).state == lv.FULL
    refused = status(signed, pinned, back, trusted_time=TrustedTime(path, key=key))
    assert (refused.state, refused.reason) == (lv.REFUSED, lv.CLOCK_SET_BACK)
    # Within the tolerance (24 hours by default) a correction is no tampering.
    slightly = now + 4 * DAY + dt.timedelta(hours=1)
    assert status(signed, pinned, slightly, trusted_time=TrustedTime(path, key=key)).can_write


def test_the_set_back_tolerance_is_configurable(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "t.time"
    later = clock.now() + 2 * DAY
    status(signed, pinned, later, trusted_time=TrustedTime(path, key=key))

    strict = TrustedTime(path, dt.timedelta(hours=1), key=key)
    refused = status(signed, pinned, later - dt.timedelta(hours=2), trusted_time=strict)
    assert refused.reason == lv.CLOCK_SET_BACK


def test_an_edited_trusted_time_file_is_tampering_not_a_reset(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "t.time"
    status(signed, pinned, clock.now() + 5 * DAY, trusted_time=TrustedTime(path, key=key))
    document = json.loads(path.read_text())
    (record,) = document["installations"].values()
    # Moving the mark back to the licence's issue time, to reopen the window.
    record["high_water_time"] = record["latest_server_time"]
    path.write_text(json.dumps(document))

    refused = status(signed, pinned, clock.now() + DAY, trusted_time=TrustedTime(path, key=key))

    assert (refused.state, refused.reason) == (lv.REFUSED, lv.TRUSTED_TIME_TAMPERED)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\xff", b"[]", b'{"format": "aspel-licensing-trusted-time/2"}', b"null"],
)
def test_a_garbled_trusted_time_file_is_tampering(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
    content: bytes,
) -> None:
    path = tmp_path / "t.time"
    path.write_bytes(content)

    refused = status(signed, pinned, clock.now(), trusted_time=TrustedTime(path, key=key))

    assert refused.reason == lv.TRUSTED_TIME_TAMPERED


def test_a_record_signed_by_another_installation_key_is_tampering(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "t.time"
    other = InstallationKey.generate()
    status(signed, pinned, clock.now(), trusted_time=TrustedTime(path, key=other))
    document = json.loads(path.read_text())
    # The other installation's record, filed under this installation's name.
    (record,) = document["installations"].values()
    document["installations"] = {base64.b64encode(key.public_key_bytes()).decode(): record}
    path.write_text(json.dumps(document))

    refused = status(signed, pinned, clock.now(), trusted_time=TrustedTime(path, key=key))
    assert refused.reason == lv.TRUSTED_TIME_TAMPERED


def test_a_deleted_file_falls_back_to_the_licence_issue_time(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "t.time"
    issue, _, _ = times(signed)
    status(signed, pinned, issue + 5 * DAY, trusted_time=TrustedTime(path, key=key))
    path.unlink()

    fresh = TrustedTime(path, key=key)
    assert fresh.high_water is None and not fresh.tampered
    # What is lost is only the local mark: the server's issue time still holds.
    before = status(signed, pinned, issue - DAY, trusted_time=fresh)
    assert before.reason == lv.CLOCK_SET_BACK
    assert status(signed, pinned, issue + DAY, trusted_time=fresh).can_write
    assert path.exists()


def test_the_unsigned_file_of_earlier_versions_counts_as_none(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "trusted-time.json"
    path.write_text(json.dumps({"latest_server_time": "2030-01-01T00:00:00+00:00"}))

    assert status(signed, pinned, clock.now(), trusted_time=TrustedTime(path, key=key)).can_write
    assert json.loads(path.read_text())["format"] == TrustedTime.FORMAT


def test_a_clock_that_ran_ahead_is_remembered_only_to_the_grace_end_and_a_reset_cures_it(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "t.time"
    issue, _, grace_end = times(signed)
    ahead = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)  # a BIOS battery, a typo
    trusted = TrustedTime(path, key=key)
    assert status(signed, pinned, ahead, trusted_time=trusted).state == lv.READ_ONLY
    assert trusted.high_water == grace_end

    # The clock put right: set back from the mark, until a validation vouches.
    assert status(signed, pinned, issue + DAY, trusted_time=trusted).reason == lv.CLOCK_SET_BACK
    TrustedTime(path, key=key).reset(issue)
    assert status(signed, pinned, issue + DAY, trusted_time=TrustedTime(path, key=key)).can_write


def test_a_reset_also_cures_a_damaged_file(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "t.time"
    path.write_bytes(b"garbage")
    trusted = TrustedTime(path, key=key)
    assert trusted.tampered

    trusted.reset(clock.now())

    assert status(signed, pinned, clock.now(), trusted_time=TrustedTime(path, key=key)).can_write


def test_two_installations_share_one_file_each_with_its_own_record(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
    key: InstallationKey,
) -> None:
    path = tmp_path / "shared.time"
    other = InstallationKey.generate()
    later = clock.now() + 5 * DAY
    status(signed, pinned, later, trusted_time=TrustedTime(path, key=key))
    status(signed, pinned, clock.now(), trusted_time=TrustedTime(path, key=other))

    assert len(json.loads(path.read_text())["installations"]) == 2
    back = clock.now() + DAY
    assert status(signed, pinned, back, trusted_time=TrustedTime(path, key=key)).reason == (
        lv.CLOCK_SET_BACK
    )
    assert status(signed, pinned, back, trusted_time=TrustedTime(path, key=other)).can_write


def test_a_trusted_time_file_needs_the_installation_key(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError):
        TrustedTime(tmp_path / "t.time")
