"""Offline verification of signed licences by the client library."""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aspel.licensing.client import license_verification as lv
from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.client.license_verification import (
    LicenseVerificationError,
    PinnedKeys,
    TrustedTime,
    key_id_of,
    verify_license,
)
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.v1 import activation_pb2

from .conftest import MACHINE, DemoSerial, activate_request


@pytest.fixture
def engine() -> str:
    """Keys and offline checks do not depend on the database engine: SQLite only."""
    return "sqlite"


@pytest.fixture
def signed(stub: Any, sae: DemoSerial) -> activation_pb2.SignedLicense:
    license_: activation_pb2.SignedLicense = stub.ActivateInstallation(
        activate_request(sae)
    ).signed_license
    return license_


def check(
    signed: activation_pb2.SignedLicense | bytes,
    pinned: PinnedKeys,
    now: dt.datetime,
    **overrides: Any,
) -> lv.VerifiedLicense:
    fields: dict[str, Any] = {
        "pinned_keys": pinned,
        "product_code": "SAE",
        "version": "7.0",
        "machine_fingerprint": MACHINE,
        "now": now,
        **overrides,
    }
    return verify_license(signed, **fields)


def reason_of(call: Any) -> str:
    with pytest.raises(LicenseVerificationError) as caught:
        call()
    return caught.value.reason


def flipped(data: bytes, index: int, mask: int) -> bytes:
    return data[:index] + bytes([data[index] ^ mask]) + data[index + 1 :]


def test_a_licence_as_issued_verifies(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock
) -> None:
    assert check(signed, pinned, clock.now()).product_code == "SAE"


@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_flipping_any_byte_of_the_certificate_or_signature_fails(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock, mask: int
) -> None:
    for part in ("certificate", "signature"):
        original = getattr(signed, part)
        for index in range(len(original)):
            tampered = activation_pb2.SignedLicense()
            tampered.CopyFrom(signed)
            setattr(tampered, part, flipped(original, index, mask))
            reason = reason_of(lambda t=tampered: check(t, pinned, clock.now()))
            assert reason == lv.SIGNATURE_INVALID, (part, index)


def test_flipping_any_byte_of_the_licence_file_fails(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock
) -> None:
    data = signed.SerializeToString()
    for index in range(len(data)):
        with pytest.raises(LicenseVerificationError):
            check(flipped(data, index, 0xFF), pinned, clock.now())


def test_a_truncated_or_extended_signature_fails(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock
) -> None:
    for signature in (signed.signature[:-1], signed.signature + b"\0", b""):
        tampered = activation_pb2.SignedLicense()
        tampered.CopyFrom(signed)
        tampered.signature = signature
        assert reason_of(lambda t=tampered: check(t, pinned, clock.now())) == lv.SIGNATURE_INVALID


def test_a_key_that_is_not_pinned_is_never_used(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock
) -> None:
    # An attacker signs a certificate of their own with their own key...
    forger = Ed25519PrivateKey.generate()
    forger_public = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    certificate = activation_pb2.LicenseCertificate.FromString(signed.certificate)
    certificate.users = 100
    body = certificate.SerializeToString()
    forged = activation_pb2.SignedLicense(certificate=body, signature=forger.sign(body))

    # ...naming their key: unknown. Naming the pinned key: the signature fails.
    forged.key_id = key_id_of(forger_public)
    assert reason_of(lambda: check(forged, pinned, clock.now())) == lv.UNKNOWN_SIGNING_KEY
    forged.key_id = signed.key_id
    assert reason_of(lambda: check(forged, pinned, clock.now())) == lv.SIGNATURE_INVALID


def test_a_pinned_key_under_another_keys_id_is_refused() -> None:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with pytest.raises(ValueError, match="does not match"):
        PinnedKeys({"ed25519-0000000000000000": raw})


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"product_code": "COI"}, lv.PRODUCT_MISMATCH),
        ({"version": "8.0"}, lv.VERSION_MISMATCH),
        ({"machine_fingerprint": "another-machine"}, lv.FINGERPRINT_MISMATCH),
    ],
)
def test_a_licence_for_another_product_version_or_machine_fails(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    override: dict[str, str],
    reason: str,
) -> None:
    assert reason_of(lambda: check(signed, pinned, clock.now(), **override)) == reason


def test_a_licence_is_full_until_expire_time_then_grace_then_expired(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock
) -> None:
    expire = activation_pb2.LicenseCertificate.FromString(signed.certificate).expire_time
    end = expire.ToDatetime(tzinfo=dt.UTC)

    assert check(signed, pinned, end - dt.timedelta(seconds=1)).state == lv.FULL
    # Past expire_time comes the grace, then read-only access (test_grace.py);
    # a caller that knows only pass or fail gets LICENSE_EXPIRED after the grace.
    assert check(signed, pinned, end).state == lv.GRACE
    grace_end = activation_pb2.LicenseCertificate.FromString(signed.certificate).grace_end_time
    after = grace_end.ToDatetime(tzinfo=dt.UTC)
    assert reason_of(lambda: check(signed, pinned, after)) == lv.LICENSE_EXPIRED


def test_a_clock_behind_the_licence_issue_time_is_set_back(
    signed: activation_pb2.SignedLicense, pinned: PinnedKeys, clock: FixedClock
) -> None:
    earlier = clock.now() - dt.timedelta(days=2)
    assert reason_of(lambda: check(signed, pinned, earlier)) == lv.CLOCK_SET_BACK


def test_the_latest_server_time_is_remembered_across_runs(
    stub: Any,
    sae: DemoSerial,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    state = tmp_path / "trusted-time.json"
    first = stub.ActivateInstallation(activate_request(sae)).signed_license
    clock.advance(dt.timedelta(days=10))
    second = stub.ActivateInstallation(activate_request(sae)).signed_license
    key = InstallationKey.generate()
    check(second, pinned, clock.now(), trusted_time=TrustedTime(state, key=key))

    # Next start: the clock was turned back to when the first licence was valid.
    back = clock.now() - dt.timedelta(days=9)
    check(first, pinned, back)  # without the remembered time this would pass
    reason = reason_of(lambda: check(first, pinned, back, trusted_time=TrustedTime(state, key=key)))
    assert reason == lv.CLOCK_SET_BACK


def test_unverified_licences_do_not_move_the_trusted_time(
    signed: activation_pb2.SignedLicense,
    pinned: PinnedKeys,
    clock: FixedClock,
    tmp_path: pathlib.Path,
) -> None:
    trusted = TrustedTime(tmp_path / "t.json", key=InstallationKey.generate())
    tampered = activation_pb2.SignedLicense()
    tampered.CopyFrom(signed)
    tampered.signature = flipped(signed.signature, 0, 1)

    reason_of(lambda: check(tampered, pinned, clock.now(), trusted_time=trusted))

    assert trusted.latest is None
    check(signed, pinned, clock.now(), trusted_time=trusted)
    assert trusted.latest == clock.now()


def test_a_garbled_licence_file_is_malformed(pinned: PinnedKeys, clock: FixedClock) -> None:
    assert reason_of(lambda: check(b"\xff\xff\xff", pinned, clock.now())) == lv.LICENSE_MALFORMED
