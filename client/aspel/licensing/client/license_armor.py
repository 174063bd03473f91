"""The forms a licence file can take, all of them the same `SignedLicense`.

- **binary**: the serialized `SignedLicense`, what `activate` writes by default.
- **armored**: ASCII that survives being pasted into a ticket or an email:

      -----BEGIN ASPEL LICENSE-----
      CkQKEUFCQ0RFLTEyMzQ1LUZHSDdLEgNTQUUaAzguMCABKg...   (base64, 64 columns)
      -----END ASPEL LICENSE-----

  Text around the block (the rest of the ticket), indentation and CRLF line
  ends are ignored when reading it back.
- **json**: the proto3 JSON mapping of `SignedLicense` (`{"certificate": ...,
  "signature": ..., "keyId": ...}`), for tools that speak JSON.

Every reader of licences accepts the three (`license_verification.parse_signed_license`
calls `license_bytes`). Nothing here checks a signature: an armored licence
is trusted exactly as much as a binary one, that is, only after `verify_license`.
"""

from __future__ import annotations

import base64
import binascii
import re
import textwrap

from google.protobuf import json_format

from aspel.licensing.v1 import activation_pb2

BEGIN = "-----BEGIN ASPEL LICENSE-----"
END = "-----END ASPEL LICENSE-----"
LINE_WIDTH = 64

BINARY = "binary"
ARMORED = "armored"
JSON = "json"
FORMS = (BINARY, ARMORED, JSON)

_BLOCK = re.compile(re.escape(BEGIN) + r"(.*?)" + re.escape(END), re.DOTALL)


class LicenseFormError(ValueError):
    """The text looks like an armored or JSON licence but is not a valid one."""


def armor(data: bytes) -> str:
    """The armored text of a serialized SignedLicense, ending with a newline."""
    body = textwrap.wrap(base64.b64encode(data).decode("ascii"), LINE_WIDTH)
    return "\n".join([BEGIN, *body, END]) + "\n"


def dearmor(text: str) -> bytes:
    """The bytes inside the (first) armored block of `text`."""
    match = _BLOCK.search(text)
    if match is None:
        raise LicenseFormError("no armored licence block")
    payload = "".join(match.group(1).split())
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LicenseFormError(f"the armored block is not base64: {exc}") from None


def form_of(data: bytes) -> str:
    """Which form the contents of a licence file are in (BINARY, ARMORED or JSON).

    Armored text may come with other text around it (a pasted ticket), so the
    BEGIN line anywhere means ARMORED; a binary licence would have to carry
    that line inside one of its fields. A serialized SignedLicense starts with
    a field tag (0x0a, 0x12, 0x1a), never with "{" or white space.
    """
    head = data.lstrip()[:1]
    if BEGIN.encode("ascii") in data:
        return ARMORED
    if head == b"{":
        return JSON
    return BINARY


def license_bytes(data: bytes) -> bytes:
    """The serialized SignedLicense of a licence file in any form."""
    form = form_of(data)
    if form == BINARY:
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LicenseFormError("the licence text is not UTF-8") from None
    if form == ARMORED:
        return dearmor(text)
    signed = activation_pb2.SignedLicense()
    try:
        json_format.Parse(text, signed)
    except json_format.ParseError as exc:
        raise LicenseFormError(f"not a JSON licence: {exc}") from None
    return signed.SerializeToString()


def encode(signed: activation_pb2.SignedLicense, form: str = BINARY) -> bytes:
    """The file contents of a licence in `form`."""
    data = signed.SerializeToString()
    if form == BINARY:
        return data
    if form == ARMORED:
        return armor(data).encode("ascii")
    if form == JSON:
        return (json_format.MessageToJson(signed, indent=2) + "\n").encode("utf-8")
    raise ValueError(f"unknown licence form {form!r}")


__all__ = [
    "ARMORED",
    "BEGIN",
    "BINARY",
    "END",
    "FORMS",
    "JSON",
    "LicenseFormError",
    "armor",
    "dearmor",
    "encode",
    "form_of",
    "license_bytes",
]
