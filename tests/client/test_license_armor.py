"""The forms of a licence file: binary, ASCII armor and JSON, read by `parse_signed_license`."""

from __future__ import annotations

import pytest

from aspel.licensing.client import license_armor
from aspel.licensing.client.license_verification import (
    LICENSE_MALFORMED,
    LicenseVerificationError,
    parse_signed_license,
)
from aspel.licensing.v1 import activation_pb2

SIGNED = activation_pb2.SignedLicense(
    certificate=activation_pb2.LicenseCertificate(
        serial_number="ABCDE-12345-FGH7K", product_code="SAE", version="8.0", users=3
    ).SerializeToString(),
    signature=bytes(range(64)),
    key_id="ed25519-0123456789abcdef",
)


@pytest.mark.parametrize("form", license_armor.FORMS)
def test_every_form_reads_back_as_the_same_licence(form: str) -> None:
    data = license_armor.encode(SIGNED, form)

    assert license_armor.form_of(data) == form
    assert parse_signed_license(data) == SIGNED


def test_the_armor_is_64_column_base64_between_the_markers() -> None:
    lines = license_armor.armor(SIGNED.SerializeToString()).splitlines()

    assert lines[0] == "-----BEGIN ASPEL LICENSE-----"
    assert lines[-1] == "-----END ASPEL LICENSE-----"
    assert {len(line) for line in lines[1:-2]} == {64}
    assert 0 < len(lines[-2]) <= 64


def test_the_binary_form_is_the_serialized_message() -> None:
    assert license_armor.encode(SIGNED) == SIGNED.SerializeToString()


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN ASPEL LICENSE-----\n%%%%\n-----END ASPEL LICENSE-----\n",
        "-----BEGIN ASPEL LICENSE-----\nCkQK\n",  # no END line
        '{"certificate": 12}',
    ],
)
def test_a_broken_text_licence_is_malformed(text: str) -> None:
    with pytest.raises(LicenseVerificationError) as raised:
        parse_signed_license(text.encode())
    assert raised.value.reason == LICENSE_MALFORMED
