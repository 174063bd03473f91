"""The installation key pair and the machine component digests every
installer-side feature builds on (receipts, offline requests, trusted time)."""

from __future__ import annotations

import os
import stat

import pytest

from aspel.licensing.client import installation_key, machine_identity
from aspel.licensing.client.installation_key import InstallationKey


def test_a_saved_key_loads_back_and_is_private(tmp_path):
    path = installation_key.key_path_for(tmp_path / "SAE.lic")
    assert path.name == "SAE.lic.key"
    key = InstallationKey.load_or_create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = InstallationKey.load_or_create(path)
    assert again.public_key_bytes() == key.public_key_bytes()
    assert len(key.public_key_bytes()) == installation_key.PUBLIC_KEY_BYTES


def test_a_signature_verifies_only_for_its_purpose_message_and_key(tmp_path):
    key = InstallationKey.generate()
    other = InstallationKey.generate()
    signature = key.sign("deactivation-receipt", b"act_1")
    public = key.public_key_bytes()
    assert installation_key.verify(public, "deactivation-receipt", b"act_1", signature)
    assert not installation_key.verify(public, "trusted-time", b"act_1", signature)
    assert not installation_key.verify(public, "deactivation-receipt", b"act_2", signature)
    assert not installation_key.verify(
        other.public_key_bytes(), "deactivation-receipt", b"act_1", signature
    )
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not installation_key.verify(public, "deactivation-receipt", b"act_1", flipped)
    assert not installation_key.verify(b"short", "deactivation-receipt", b"act_1", signature)
    assert not installation_key.verify(public, "deactivation-receipt", b"act_1", b"")


def test_a_file_without_an_ed25519_key_is_refused(tmp_path):
    path = tmp_path / "broken.key"
    path.write_text("not a key")
    with pytest.raises(ValueError):
        InstallationKey.load(path)


def test_a_purpose_cannot_smuggle_a_separator():
    with pytest.raises(ValueError):
        installation_key.signed_payload("a\0b", b"")
    with pytest.raises(ValueError):
        installation_key.signed_payload("", b"")


RAW = {
    machine_identity.MACHINE_ID: "4c4c4544-0042-3510-8051-c4c04f4d4e31",
    machine_identity.SYSTEM_UUID: "03AA02FC-0414-0507-BC06-B00700080009",
    machine_identity.SYSTEM_DISK: "S3Z9NB0K123456",
    machine_identity.NETWORK_MAC: "3c:52:82:aa:bb:cc",
}


def test_digests_hide_the_raw_ids_and_are_salted_by_serial():
    one = machine_identity.digest_components(RAW, "ABCDE-12345-FGH7K")
    assert [c.kind for c in one] == list(machine_identity.KINDS)
    assert all(len(c.digest) == 64 and int(c.digest, 16) >= 0 for c in one)
    assert not any(value.lower() in c.digest for c in one for value in RAW.values())
    # The same serial written differently salts alike; another serial does not.
    assert machine_identity.digest_components(RAW, "abcde12345fgh7k") == one
    # Lookalikes in a native serial read as the server reads them (I, L -> 1; O -> 0).
    assert machine_identity.canonical_salt("2b6avq3jod4lskt") == "2B6AVQ3J0D41SKT"
    assert machine_identity.canonical_salt("sksnwr") == "SKSNWR"  # legacy: as typed
    other = machine_identity.digest_components(RAW, "ZZZZZ-12345-FGH7K")
    assert {c.digest for c in other}.isdisjoint({c.digest for c in one})


def test_placeholders_and_missing_values_are_left_out():
    raw = dict(RAW)
    raw[machine_identity.SYSTEM_UUID] = "00000000-0000-0000-0000-000000000000"
    raw[machine_identity.SYSTEM_DISK] = None
    raw[machine_identity.NETWORK_MAC] = "To be filled by O.E.M."
    kinds = [c.kind for c in machine_identity.digest_components(raw, "S")]
    assert kinds == [machine_identity.MACHINE_ID]


def test_this_machine_gives_stable_components():
    first = machine_identity.collect_components("ABCDE12345FGH7K")
    assert first == machine_identity.collect_components("ABCDE12345FGH7K")
    assert {c.kind for c in first} <= set(machine_identity.KINDS)
