"""The text forms of offline activation: a code a person can dictate, and the
armored text of a file. Pure functions, no keys and no network; the server
reads the same forms (RedeemOfflineRequest) with this module.

The code is Crockford base 32 (digits and letters without I, L, O and U; a
reader's O is taken as 0, I and L as 1), in groups of five characters: four
carry data and the fifth is a check character of that group,

    check = (1·v0 + 3·v1 + 5·v2 + 7·v3 + 11·g) mod 32

over the values v of the four data characters and the group's position g
(from 0). Every weight is odd, so any single wrong character in a group
changes the check (an odd multiple of a non-zero difference is never 0 mod 32):
the group with the typo is named. The position term catches a group left out
or repeated. Dashes, spaces, line ends and case are ignored when reading.

The first byte of the payload is a header: the format version (high nibble),
the kind (REQUEST or LICENSE, bits 3-2) and how many padding characters
complete the last group (bits 1-0).

The bytes are the serialized `SignedOfflineRequest` (a request) or
`SignedLicense` (a licence), compact protobuf rather than JSON. A request is
about 80 groups, 40 of them the Ed25519 public key and signature that no
encoding shortens; a licence, with its certificate and signature, about 110:
it goes back by file or QR code, and is dictated only as a last resort.
"""

from __future__ import annotations

import base64
import binascii
import re
import textwrap

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_VALUES.update({"O": 0, "I": 1, "L": 1})
_WEIGHTS = (1, 3, 5, 7)
DATA_PER_GROUP = 4
GROUP = DATA_PER_GROUP + 1
#: Groups per line when a code is shown on screen or printed.
GROUPS_PER_LINE = 6

VERSION = 1
REQUEST = 1
LICENSE = 2
_KINDS = (REQUEST, LICENSE)

REQUEST_BEGIN = "-----BEGIN ASPEL OFFLINE REQUEST-----"
REQUEST_END = "-----END ASPEL OFFLINE REQUEST-----"
LICENSE_BEGIN = "-----BEGIN ASPEL LICENSE-----"
LICENSE_END = "-----END ASPEL LICENSE-----"
_ARMOR = {REQUEST: (REQUEST_BEGIN, REQUEST_END), LICENSE: (LICENSE_BEGIN, LICENSE_END)}
#: The longest text any reader accepts: far above a real request or licence.
MAX_TEXT = 8192


class OfflineCodeError(ValueError):
    """Text that is not a code or armored block of the expected kind.
    `group` names the (1-based) group whose check failed, when one did."""

    def __init__(self, message: str, *, group: int | None = None) -> None:
        super().__init__(message)
        self.group = group


def _check(values: list[int], index: int) -> int:
    return (sum(w * v for w, v in zip(_WEIGHTS, values, strict=True)) + 11 * index) % 32


def encode_code(kind: int, payload: bytes) -> str:
    """The dictatable code of `payload`: groups of five joined by dashes."""
    if kind not in _KINDS:
        raise ValueError(f"unknown kind {kind}")
    bits = "".join(f"{b:08b}" for b in bytes([0]) + payload)
    characters = -(-len(bits) // 5)
    pad = -characters % DATA_PER_GROUP
    header = VERSION << 4 | kind << 2 | pad
    bits = f"{header:08b}" + bits[8:]
    bits += "0" * (characters * 5 - len(bits) + pad * 5)
    values = [int(bits[i : i + 5], 2) for i in range(0, len(bits), 5)]
    groups = []
    for index in range(len(values) // DATA_PER_GROUP):
        data = values[index * DATA_PER_GROUP : (index + 1) * DATA_PER_GROUP]
        groups.append("".join(ALPHABET[v] for v in data) + ALPHABET[_check(data, index)])
    return "-".join(groups)


def decode_code(text: str, kind: int) -> bytes:
    """The payload of a code of `kind`; OfflineCodeError otherwise."""
    if len(text) > MAX_TEXT:
        raise OfflineCodeError("the code is too long")
    compact = re.sub(r"[\s\-]", "", text).upper()
    if not compact:
        raise OfflineCodeError("the code is empty")
    if len(compact) % GROUP:
        raise OfflineCodeError("the code is incomplete", group=len(compact) // GROUP + 1)
    values: list[int] = []
    for index in range(len(compact) // GROUP):
        group = compact[index * GROUP : (index + 1) * GROUP]
        try:
            numbers = [_VALUES[c] for c in group]
        except KeyError:
            raise OfflineCodeError("a character is not of the code", group=index + 1) from None
        if _check(numbers[:DATA_PER_GROUP], index) != numbers[DATA_PER_GROUP]:
            raise OfflineCodeError("a check character fails", group=index + 1)
        values += numbers[:DATA_PER_GROUP]
    bits = "".join(f"{v:05b}" for v in values)
    header = int(bits[:8], 2)
    if header >> 4 != VERSION or (header >> 2) & 0b11 != kind:
        raise OfflineCodeError("not a code of this kind or version")
    data_bits = (len(values) - (header & 0b11)) * 5
    size = data_bits // 8
    raw = bytes(int(bits[i : i + 8], 2) for i in range(0, size * 8, 8))
    return raw[1:]


def armor(kind: int, payload: bytes) -> str:
    """The armored text of a payload (a request or licence file), ending in a newline."""
    begin, end = _ARMOR[kind]
    body = textwrap.wrap(base64.b64encode(payload).decode("ascii"), 64)
    return "\n".join([begin, *body, end]) + "\n"


def dearmor(text: str, kind: int) -> bytes | None:
    """The payload of the first armored block of `kind` in `text`; None when
    there is no such block; OfflineCodeError for a block that is not base64."""
    begin, end = _ARMOR[kind]
    match = re.search(re.escape(begin) + r"(.*?)" + re.escape(end), text, re.DOTALL)
    if match is None:
        return None
    try:
        return base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise OfflineCodeError("the armored block is not base64") from None


def read_any(text: str, kind: int) -> bytes:
    """The payload of any text form of `kind`: an armored block (with any
    text around it) or a code (as typed, dictated or read from a QR code)."""
    if len(text) > MAX_TEXT:
        raise OfflineCodeError("the text is too long")
    if "\0" in text:
        raise OfflineCodeError("the text holds NUL")
    armored = dearmor(text, kind)
    if armored is not None:
        return armored
    return decode_code(text, kind)


_M1 = re.compile(r"m1-([0-9a-f]{40})")
FINGERPRINT_DIGEST_BYTES = 20
COMPONENT_BYTES = 7
COMPONENT_PREFIX_BYTES = COMPONENT_BYTES - 1


def pack_fingerprint(fingerprint: str) -> tuple[str, bytes]:
    """(text, digest) for a request: the client library's "m1-<40 hex>"
    fingerprints travel as their 20 bytes, any other as text."""
    match = _M1.fullmatch(fingerprint)
    if match is None:
        return fingerprint, b""
    return "", bytes.fromhex(match.group(1))


def unpack_fingerprint(text: str, digest: bytes) -> str | None:
    """The fingerprint of a request's two fields; None when not exactly one is set
    (or the digest has the wrong size)."""
    if bool(text) == bool(digest):
        return None
    if digest:
        return "m1-" + digest.hex() if len(digest) == FINGERPRINT_DIGEST_BYTES else None
    return text


def pack_components(components: list[tuple[int, str]]) -> bytes:
    """(kind number, hex digest) pairs as a request carries them."""
    return b"".join(
        bytes([kind]) + bytes.fromhex(digest)[:COMPONENT_PREFIX_BYTES]
        for kind, digest in components
    )


def unpack_components(data: bytes) -> list[tuple[int, str]] | None:
    """(kind number, hex digest prefix) pairs; None for bytes of the wrong size."""
    if len(data) % COMPONENT_BYTES:
        return None
    return [
        (data[i], data[i + 1 : i + COMPONENT_BYTES].hex())
        for i in range(0, len(data), COMPONENT_BYTES)
    ]


def display(code: str, groups_per_line: int = GROUPS_PER_LINE) -> str:
    """A code in lines of `groups_per_line` groups, for a screen or paper."""
    groups = code.split("-")
    lines = [
        "-".join(groups[i : i + groups_per_line]) for i in range(0, len(groups), groups_per_line)
    ]
    return "\n".join(lines)


__all__ = [
    "ALPHABET",
    "LICENSE",
    "MAX_TEXT",
    "REQUEST",
    "OfflineCodeError",
    "armor",
    "dearmor",
    "decode_code",
    "display",
    "encode_code",
    "read_any",
]
