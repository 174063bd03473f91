"""Deactivation receipts: the installed product's proof, signed with its
installation key, that it is the one asking to be deactivated.

At activation the product sends the public half of a key pair it created;
the private half stays beside its licence. A receipt is the Ed25519 signature,
with the framing every installation signature uses (the purpose first, so a
signature made for anything else is never a receipt),

    b"aspel-licensing/deactivation-receipt" + b"\\0" + message
    message = b"v1\\0" + activation_id + b"\\0" + SERIAL + b"\\0" + seconds

(SERIAL canonical: upper case, no dashes; seconds the signing instant in
decimal). It names its activation, its serial and its time, so it can be used
for nothing else: not for another activation (copied), another serial, or
after the window around the server's clock (replayed later).

This module has its own copy of the framing: the server does not import the
client package (tests check the two agree).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .. import errors

PURPOSE = "deactivation-receipt"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
DEFAULT_WINDOW = dt.timedelta(minutes=10)
_DOMAIN = b"aspel-licensing/"


@dataclass(frozen=True)
class Receipt:
    activation_id: str
    #: Canonical serial (upper case, no dashes), as the transport normalized it.
    serial_number: str
    sign_time: dt.datetime
    signature: bytes


def signed_payload(purpose: str, message: bytes) -> bytes:
    """The bytes an installation signature for `purpose` covers."""
    return _DOMAIN + purpose.encode("ascii") + b"\0" + message


def receipt_message(activation_id: str, serial_number: str, sign_time: dt.datetime) -> bytes:
    """The canonical encoding a receipt's signature covers (see the module docstring)."""
    seconds = int(sign_time.timestamp())
    return b"\0".join(
        (b"v1", activation_id.encode(), serial_number.encode(), str(seconds).encode())
    )


def check(
    receipt: Receipt,
    *,
    activation_id: str,
    serial_number: str,
    public_key: bytes | None,
    now: dt.datetime,
    window: dt.timedelta = DEFAULT_WINDOW,
    shown_serial: str,
) -> None:
    """Raises InvalidDeactivationReceipt unless `receipt` is the installation's
    proof for this activation of this serial, signed within `window` of now."""

    def refuse(problem: str) -> errors.InvalidDeactivationReceipt:
        return errors.InvalidDeactivationReceipt(shown_serial, problem)

    if receipt.serial_number != serial_number:
        raise refuse("serial")
    if receipt.activation_id != activation_id:
        raise refuse("activation")
    if not public_key or len(public_key) != PUBLIC_KEY_BYTES:
        raise refuse("no_key")
    message = receipt_message(receipt.activation_id, receipt.serial_number, receipt.sign_time)
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(
            receipt.signature, signed_payload(PURPOSE, message)
        )
    except (InvalidSignature, ValueError) as error:
        raise refuse("signature") from error
    # Only a genuine receipt is told it is stale: a forged one is a forgery.
    if abs(receipt.sign_time - now) > window:
        raise refuse("stale")
