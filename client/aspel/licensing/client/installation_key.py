"""The key pair of one installation: what lets a product prove it is the copy
the server licensed, and not a copy of its licence file on another machine.

At activation the product creates an Ed25519 key pair and sends the public key;
the server puts it in the signed certificate. Later the product signs with the
private key, which never leaves the machine: a deactivation receipt (the seat
may be freed at once), an offline activation request, its trusted-time file. A
copy of the `.lic` alone cannot sign any of them.

The key lives beside the licence (`NO_SERIE.lic.key`), PKCS#8 PEM, mode 0600.

Every signature is over a purpose and the message, never the message alone:

    signed = b"aspel-licensing/" + purpose + b"\\0" + message

so a signature made for one purpose (say a trusted-time file) can never be
replayed as another (a deactivation receipt). The server verifies with the
same framing (`signed_payload`).
"""

from __future__ import annotations

import os
import pathlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .private_files import write_atomically

#: The suffix of the key file beside a licence file.
KEY_SUFFIX = ".key"
#: The length of a raw Ed25519 public key.
PUBLIC_KEY_BYTES = 32
_DOMAIN = b"aspel-licensing/"


def signed_payload(purpose: str, message: bytes) -> bytes:
    """The bytes a signature for `purpose` covers (see the module docstring)."""
    if not purpose or "\0" in purpose:
        raise ValueError("a signature purpose is a non-empty name without NUL")
    return _DOMAIN + purpose.encode("ascii") + b"\0" + message


class InstallationKey:
    """An installation's private key, and what it signs."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key

    @classmethod
    def generate(cls) -> InstallationKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> InstallationKey:
        """The key of a file `save` wrote. Raises FileNotFoundError, or
        ValueError for a file that holds no Ed25519 private key."""
        key = serialization.load_pem_private_key(pathlib.Path(path).read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key)

    @classmethod
    def load_or_create(cls, path: str | os.PathLike[str]) -> InstallationKey:
        """The key at `path`, created (and saved) when there is none yet."""
        try:
            return cls.load(path)
        except FileNotFoundError:
            key = cls.generate()
            key.save(path)
            return key

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the key atomically, readable by its owner only (0600 from the
        start: the temporary file is created so, never widened then narrowed)."""
        pem = self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_atomically(path, pem)

    def public_key_bytes(self) -> bytes:
        """The raw 32-byte public key, as sent to the server."""
        return self._private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    def sign(self, purpose: str, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature of `message` for `purpose`."""
        return self._private_key.sign(signed_payload(purpose, message))


def verify(public_key: bytes, purpose: str, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the installation's signature of `message` for
    `purpose`; False for any malformed key or signature, never an exception."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            signature, signed_payload(purpose, message)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def key_path_for(license_path: str | os.PathLike[str]) -> pathlib.Path:
    """Where the key of the installation whose licence is at `license_path` lives."""
    license_file = pathlib.Path(license_path)
    return license_file.with_name(license_file.name + KEY_SUFFIX)


__all__ = [
    "KEY_SUFFIX",
    "PUBLIC_KEY_BYTES",
    "InstallationKey",
    "key_path_for",
    "signed_payload",
    "verify",
]
