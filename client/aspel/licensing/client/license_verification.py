"""Verifies a signed licence offline, the way an installed product does at start.

The order matters and never changes:

1. The signature, over exactly the certificate bytes, with a public key the
   product pins (shipped with the installer, or a file the customer's IT
   trusts). The licence's `key_id` only chooses among the pinned keys; a key
   that comes with a licence is never trusted.
2. Only then the certificate is read: its product, version and machine must be
   this product, this version and this machine.
3. The validity window, against a clock that may have been set back: the
   latest server time seen (every certificate's `issue_time`) is remembered,
   and a local time earlier than it means the clock was turned back.

Depends only on `cryptography` and `protobuf` (and the generated messages).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import json
import os
import pathlib
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.message import DecodeError

from aspel.licensing.v1 import activation_pb2

from .installation_key import InstallationKey
from .license_armor import LicenseFormError, license_bytes

#: How far the local clock may lag the server's before it counts as set back.
DEFAULT_CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class LicenseVerificationError(Exception):
    """The licence must not be trusted. `reason` is stable, `message_es` is for people."""

    def __init__(self, reason: str, message_es: str) -> None:
        super().__init__(f"{reason}: {message_es}")
        self.reason = reason
        self.message_es = message_es


# The reasons, stable like the server's ErrorInfo reasons.
LICENSE_MALFORMED = "LICENSE_MALFORMED"
UNKNOWN_SIGNING_KEY = "UNKNOWN_SIGNING_KEY"
SIGNATURE_INVALID = "SIGNATURE_INVALID"
PRODUCT_MISMATCH = "PRODUCT_MISMATCH"
VERSION_MISMATCH = "VERSION_MISMATCH"
FINGERPRINT_MISMATCH = "FINGERPRINT_MISMATCH"
CLOCK_SET_BACK = "CLOCK_SET_BACK"
LICENSE_EXPIRED = "LICENSE_EXPIRED"
#: The licence names an installation key and the key file beside it is missing
#: (a licence copied without its key) or holds another key.
INSTALLATION_KEY_MISSING = "INSTALLATION_KEY_MISSING"
INSTALLATION_KEY_MISMATCH = "INSTALLATION_KEY_MISMATCH"


def key_id_of(public_key: bytes) -> str:
    """The id the server gives a key: a digest of its public half."""
    return "ed25519-" + hashlib.sha256(public_key).hexdigest()[:16]


class PinnedKeys:
    """The public keys the product trusts, by key_id.

    Each id must be the digest of its key (as the server computes it), so a
    pinned-keys file cannot file one key under another's name.
    """

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for key_id, raw in keys.items():
            if len(raw) != 32 or key_id_of(raw) != key_id:
                raise ValueError(f"pinned key {key_id!r} does not match its public key")
            self._keys[key_id] = Ed25519PublicKey.from_public_bytes(raw)

    @classmethod
    def from_json(cls, text: str) -> PinnedKeys:
        """`{"key_id": "base64 public key", ...}`, as `aspel-licensing-server keys list
        --json` prints it."""
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or not document:
                raise ValueError("no keys")
            return cls(
                {str(k): base64.b64decode(str(v), validate=True) for k, v in document.items()}
            )
        except (ValueError, binascii.Error) as exc:
            raise ValueError(f"not a pinned-keys document: {exc}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> PinnedKeys:
        return cls.from_json(pathlib.Path(path).read_text(encoding="utf-8"))

    def get(self, key_id: str) -> Ed25519PublicKey | None:
        return self._keys.get(key_id)

    def __len__(self) -> int:
        return len(self._keys)


class TrustedTime:
    """The latest server time this installation has seen, kept in a small file.

    Only times from verified licences are recorded, so nobody can move it
    without the server's signature. Without a path it lives in memory only.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        tolerance: dt.timedelta = DEFAULT_CLOCK_TOLERANCE,
    ) -> None:
        self.path = pathlib.Path(path) if path is not None else None
        self.tolerance = tolerance
        self._lock = threading.Lock()
        self._latest: dt.datetime | None = None
        if self.path is not None and self.path.exists():
            self._latest = self._read(self.path)

    @staticmethod
    def _read(path: pathlib.Path) -> dt.datetime | None:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))["latest_server_time"]
            latest = dt.datetime.fromisoformat(value)
        except (OSError, ValueError, KeyError, TypeError):
            # A damaged file must not unlock anything: the next verified licence
            # sets it again, and its issue_time is checked on its own.
            return None
        return latest if latest.tzinfo is not None else None

    @property
    def latest(self) -> dt.datetime | None:
        with self._lock:
            return self._latest

    def check(self, now: dt.datetime) -> None:
        latest = self.latest
        if latest is not None and now < latest - self.tolerance:
            raise _clock_set_back(latest)

    def observe(self, server_time: dt.datetime) -> None:
        with self._lock:
            if self._latest is not None and server_time <= self._latest:
                return
            self._latest = server_time
            if self.path is not None:
                _write_atomically(
                    self.path,
                    json.dumps({"latest_server_time": server_time.isoformat()}).encode(),
                )


def _write_atomically(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _clock_set_back(latest: dt.datetime) -> LicenseVerificationError:
    return LicenseVerificationError(
        CLOCK_SET_BACK,
        "La fecha y hora de este equipo son anteriores a la última validación con Aspel "
        f"({latest.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC). Corrige la fecha y hora del "
        "equipo y vuelve a abrir el sistema.",
    )


@dataclass(frozen=True)
class VerifiedLicense:
    """A licence whose signature, product, version, machine and dates checked out."""

    serial_number: str
    product_code: str
    version: str
    users: int
    razon_social: str
    machine_fingerprint: str
    activation_id: str
    issue_time: dt.datetime
    expire_time: dt.datetime
    retire_date: dt.date | None
    key_id: str
    #: The installation's public key the licence names (empty: none).
    installation_public_key: bytes = b""


def check_installation_key(
    certificate: activation_pb2.LicenseCertificate, key_file: str | os.PathLike[str]
) -> None:
    """When the licence names an installation key, the private key in `key_file`
    must be its pair. Raises LicenseVerificationError (INSTALLATION_KEY_MISSING,
    INSTALLATION_KEY_MISMATCH); a licence without a key passes."""
    expected = bytes(certificate.installation_public_key)
    if not expected:
        return
    try:
        local = InstallationKey.load(key_file).public_key_bytes()
    except FileNotFoundError:
        raise LicenseVerificationError(
            INSTALLATION_KEY_MISSING,
            "Falta la llave de esta instalación junto a la licencia: la licencia se copió de "
            "otro equipo o la llave se borró. Activa el sistema de nuevo en este equipo.",
        ) from None
    except (OSError, ValueError):
        local = b""
    if local != expected:
        raise LicenseVerificationError(
            INSTALLATION_KEY_MISMATCH,
            "La llave junto a la licencia no es la de esta instalación. Activa el sistema de "
            "nuevo en este equipo.",
        )


def parse_signed_license(data: bytes) -> activation_pb2.SignedLicense:
    """A SignedLicense from the contents of a licence file, in any of its forms
    (binary, ASCII-armored or JSON: see `license_armor`)."""
    signed = activation_pb2.SignedLicense()
    try:
        signed.ParseFromString(license_bytes(data))
    except (DecodeError, LicenseFormError):
        raise LicenseVerificationError(
            LICENSE_MALFORMED, "El archivo de licencia está dañado. Valida el sistema de nuevo."
        ) from None
    return signed


def verify_signature(signed: activation_pb2.SignedLicense, pinned_keys: PinnedKeys) -> None:
    """Step 1 alone: the signature is a pinned key's, over exactly the certificate.

    Raises LicenseVerificationError (UNKNOWN_SIGNING_KEY, SIGNATURE_INVALID).
    It says nothing about product, machine or dates: `verify_license` does.
    """
    key = pinned_keys.get(signed.key_id)
    if key is None:
        raise LicenseVerificationError(
            UNKNOWN_SIGNING_KEY,
            "La licencia está firmada con una llave que este sistema no reconoce. Actualiza "
            "el sistema o valídalo de nuevo con Aspel.",
        )
    try:
        key.verify(bytes(signed.signature), bytes(signed.certificate))
    except InvalidSignature:
        raise LicenseVerificationError(
            SIGNATURE_INVALID,
            "La firma de la licencia no es válida: el archivo se modificó o está dañado. "
            "Valida el sistema de nuevo con Aspel.",
        ) from None


def verify_license(
    signed: activation_pb2.SignedLicense | bytes,
    *,
    pinned_keys: PinnedKeys,
    product_code: str,
    version: str,
    machine_fingerprint: str,
    now: dt.datetime | None = None,
    trusted_time: TrustedTime | None = None,
    installation_key_file: str | os.PathLike[str] | None = None,
) -> VerifiedLicense:
    """Checks a licence for this product, version and machine at `now`.

    With `installation_key_file` (`installation_key.key_path_for(licence)`), a
    licence that names an installation key also needs that key's private half
    there (`check_installation_key`), checked right after the machine.

    Raises LicenseVerificationError with the first failed check. On success,
    records the certificate's issue_time in `trusted_time`.
    """
    if isinstance(signed, bytes | bytearray):
        signed = parse_signed_license(bytes(signed))
    # 1. The signature, with a pinned key, over exactly the certificate bytes.
    verify_signature(signed, pinned_keys)
    # 2. Only now is the certificate worth reading.
    certificate = activation_pb2.LicenseCertificate()
    try:
        certificate.ParseFromString(bytes(signed.certificate))
    except DecodeError:  # pragma: no cover - the server signed it
        raise LicenseVerificationError(
            LICENSE_MALFORMED, "La licencia no se puede leer. Valida el sistema de nuevo."
        ) from None
    if certificate.product_code != product_code.strip().upper():
        raise LicenseVerificationError(
            PRODUCT_MISMATCH,
            f"La licencia es de Aspel {certificate.product_code}, no de Aspel "
            f"{product_code.strip().upper()}.",
        )
    if certificate.version != version.strip():
        raise LicenseVerificationError(
            VERSION_MISMATCH,
            f"La licencia es para la versión {certificate.version}, no para la {version}. "
            "Activa esta versión con su propio número de serie.",
        )
    if certificate.machine_fingerprint != machine_fingerprint:
        raise LicenseVerificationError(
            FINGERPRINT_MISMATCH,
            "La licencia es de otro equipo. Activa el sistema en este equipo.",
        )
    if installation_key_file is not None:
        check_installation_key(certificate, installation_key_file)
    # 3. The validity window, with a clock that may have been set back.
    now = now or dt.datetime.now(dt.UTC)
    issue_time = certificate.issue_time.ToDatetime(tzinfo=dt.UTC)
    expire_time = certificate.expire_time.ToDatetime(tzinfo=dt.UTC)
    tolerance = trusted_time.tolerance if trusted_time else DEFAULT_CLOCK_TOLERANCE
    if trusted_time is not None:
        trusted_time.check(now)
    if now < issue_time - tolerance:
        # The server signed this after the local "now": the clock is behind.
        raise _clock_set_back(issue_time)
    if now >= expire_time:
        raise LicenseVerificationError(
            LICENSE_EXPIRED,
            f"La licencia venció el {expire_time:%Y-%m-%d %H:%M} UTC. Conecta el equipo a "
            "Internet para validar el sistema con Aspel.",
        )
    if trusted_time is not None:
        trusted_time.observe(issue_time)
    retire = certificate.retire_date if certificate.HasField("retire_date") else None
    return VerifiedLicense(
        serial_number=certificate.serial_number,
        product_code=certificate.product_code,
        version=certificate.version,
        users=certificate.users,
        razon_social=certificate.razon_social,
        machine_fingerprint=certificate.machine_fingerprint,
        activation_id=certificate.activation_id,
        issue_time=issue_time,
        expire_time=expire_time,
        retire_date=dt.date(retire.year, retire.month, retire.day) if retire else None,
        key_id=signed.key_id,
        installation_public_key=bytes(certificate.installation_public_key),
    )
