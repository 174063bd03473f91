"""Verifies a signed licence offline, the way an installed product does at start.

The order matters and never changes:

1. The signature, over exactly the certificate bytes, with a public key the
   product pins (shipped with the installer, or a file the customer's IT
   trusts). The licence's `key_id` only chooses among the pinned keys; a key
   that comes with a licence is never trusted.
2. Only then the certificate is read: its product, version and machine must be
   this product, this version and this machine.
3. The clock: a local time earlier than the latest time this installation
   has seen (`TrustedTime`, a file signed with the installation key) by more
   than a day, or earlier than the licence's `issue_time`, is a clock set
   back, even inside the validity window.
4. The window, which gives a state rather than pass or fail
   (`license_status`): FULL up to `expire_time`, GRACE up to
   `grace_end_time` (full use, with the days left), then READ_ONLY when the
   licence has `read_only_access` (read and print, never write), else
   LICENSE_EXPIRED.

Depends only on `cryptography` and `protobuf` (and the generated messages).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import pathlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Required, TypedDict, Unpack

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.message import DecodeError

from aspel.licensing.v1 import activation_pb2

from .installation_key import InstallationKey
from .installation_key import verify as verify_installation_signature
from .license_armor import LicenseFormError, license_bytes
from .private_files import write_atomically

#: How far the local clock may lag a licence's issue time (the server's clock)
#: before it counts as set back: only the drift of two clocks.
DEFAULT_CLOCK_TOLERANCE = dt.timedelta(minutes=5)
#: How far the local clock may fall behind the latest time this installation
#: has seen (TrustedTime) before it counts as set back: a day, for clock
#: corrections and a machine restored from a backup.
DEFAULT_SET_BACK_TOLERANCE = dt.timedelta(hours=24)


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
TRUSTED_TIME_TAMPERED = "TRUSTED_TIME_TAMPERED"
LICENSE_EXPIRED = "LICENSE_EXPIRED"
#: The licence names an installation key and the key file beside it is missing
#: (a licence copied without its key) or holds another key.
INSTALLATION_KEY_MISSING = "INSTALLATION_KEY_MISSING"
INSTALLATION_KEY_MISMATCH = "INSTALLATION_KEY_MISMATCH"

# What a licence allows now (LicenseStatus.state).
#: Full use, within the validity window.
FULL = "FULL"
#: Full use after expire_time, up to grace_end_time: validate soon.
GRACE = "GRACE"
#: After the grace: open the data to read and print it, never to write.
READ_ONLY = "READ_ONLY"
#: Nothing: the licence does not verify (LicenseStatus.reason says why).
REFUSED = "REFUSED"


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
    """The high-water mark of the time this installation has seen, kept in a
    small file signed with the installation key.

    It remembers two instants: the latest server time (the `issue_time` of
    every verified licence, signed by the server) and the latest local time a
    verification ran at. A local clock earlier than either by more than the
    tolerance is a clock set back (CLOCK_SET_BACK), also inside a licence's
    validity window.

    - The file is signed with the installation's key (purpose "trusted-time"),
      so an edited or forged file is TRUSTED_TIME_TAMPERED, never silently
      reset: moving the mark back would undo the protection.
    - First run, or the file deleted: nothing is remembered, and the licence's
      own `issue_time` (signed by the server) is the lower bound. Deleting the
      file loses only the local times seen since the last validation.
    - A clock that jumps forward is remembered only up to the end of the
      licence's grace: a clock set years ahead by mistake cannot lock the
      product beyond the licence it runs on. Once the clock is right again,
      an online validation (`reset`, with the server's time) clears the mark.

    One file may hold the marks of several installations (a licence and its
    copy, each with its own key beside it): one record each, named by the
    installation's public key and signed by it.

    Without a path it lives in memory only (and needs no key).
    """

    PURPOSE = "trusted-time"
    FORMAT = "aspel-licensing-trusted-time/2"

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        tolerance: dt.timedelta = DEFAULT_SET_BACK_TOLERANCE,
        *,
        key: InstallationKey | None = None,
    ) -> None:
        if path is not None and key is None:
            raise ValueError("a trusted-time file is signed: give the installation key")
        self.path = pathlib.Path(path) if path is not None else None
        self.tolerance = tolerance
        self.key = key
        self._lock = threading.Lock()
        self._latest: dt.datetime | None = None
        self._high_water: dt.datetime | None = None
        #: The file exists but its signature or content does not check out.
        self.tampered = False
        if self.path is not None:
            self._load(self.path)

    @property
    def _installation(self) -> str:
        """Names this installation's record: its public key, base64."""
        assert self.key is not None
        return base64.b64encode(self.key.public_key_bytes()).decode("ascii")

    def _records(self, path: pathlib.Path) -> dict[str, object]:
        """Every installation's record in the file; {} when there is no file.
        Raises ValueError for a file that is not one."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        document = json.loads(raw)
        if isinstance(document, dict) and set(document) == {"latest_server_time"}:
            # The unsigned file of earlier versions: as good as none (anyone
            # could have written it), replaced by the next save.
            return {}
        if not isinstance(document, dict) or document.get("format") != self.FORMAT:
            raise ValueError("format")
        records = document.get("installations")
        if not isinstance(records, dict):
            raise ValueError("installations")
        return records

    def _load(self, path: pathlib.Path) -> None:
        try:
            record = self._records(path).get(self._installation)
            if record is None:
                return  # first run of this installation (or its record deleted)
            if not isinstance(record, dict):
                raise ValueError("record")
            signature = base64.b64decode(str(record["signature"]), validate=True)
            latest = _instant(record["latest_server_time"])
            high = _instant(record["high_water_time"])
            if not verify_installation_signature(
                self.key.public_key_bytes() if self.key else b"",
                self.PURPOSE,
                self._signed_bytes(record["latest_server_time"], record["high_water_time"]),
                signature,
            ):
                raise ValueError("signature")
        except (OSError, ValueError, KeyError, TypeError, binascii.Error):
            self.tampered = True
            return
        self._latest, self._high_water = latest, high

    def _signed_bytes(self, latest: object, high: object) -> bytes:
        record = {
            "format": self.FORMAT,
            "installation": self._installation,
            "latest_server_time": latest,
            "high_water_time": high,
        }
        return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()

    @property
    def latest(self) -> dt.datetime | None:
        """The latest server time seen."""
        with self._lock:
            return self._latest

    @property
    def high_water(self) -> dt.datetime | None:
        """The latest time seen, server's or local."""
        with self._lock:
            return max(filter(None, (self._latest, self._high_water)), default=None)

    def check(self, now: dt.datetime) -> None:
        if self.tampered:
            raise LicenseVerificationError(
                TRUSTED_TIME_TAMPERED,
                "El registro de fecha y hora de este equipo se modificó o está dañado. "
                "Conecta el equipo a Internet y valida el sistema con Aspel.",
            )
        high = self.high_water
        if high is not None and now < high - self.tolerance:
            raise _clock_set_back(high)

    def observe(
        self,
        server_time: dt.datetime,
        now: dt.datetime | None = None,
        *,
        cap: dt.datetime | None = None,
    ) -> None:
        """Raises the mark to `server_time` and to `now` (at most `cap`: the
        verifier passes the licence's grace end)."""
        with self._lock:
            latest = max(filter(None, (self._latest, server_time)))
            local = None if now is None else min(now, cap) if cap is not None else now
            high = max(filter(None, (self._high_water, local, latest)))
            if (latest, high) == (self._latest, self._high_water):
                return
            self._latest, self._high_water = latest, high
            self._save()

    def reset(self, server_time: dt.datetime) -> None:
        """An online validation vouches for the time: the mark becomes the
        server's time, whatever the file said (a clock that ran ahead, or a
        damaged file)."""
        with self._lock:
            self._latest = self._high_water = server_time
            self.tampered = False
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        assert self.key is not None and self._latest is not None
        assert self._high_water is not None
        latest = self._latest.astimezone(dt.UTC).isoformat()
        high = self._high_water.astimezone(dt.UTC).isoformat()
        signature = self.key.sign(self.PURPOSE, self._signed_bytes(latest, high))
        try:
            records = self._records(self.path)
        except (OSError, ValueError):
            records = {}  # only a reset writes over a damaged file
        records[self._installation] = {
            "latest_server_time": latest,
            "high_water_time": high,
            "signature": base64.b64encode(signature).decode("ascii"),
        }
        document = {"format": self.FORMAT, "installations": records}
        # Not private: the records are signed and hold no secret, and the file
        # keeps the mode it always had (0666 less the umask).
        write_atomically(self.path, json.dumps(document, indent=2).encode() + b"\n", private=False)


def _instant(value: object) -> dt.datetime:
    instant = dt.datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        raise ValueError("naive time")
    return instant


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
    #: The end of the grace (expire_time for licences that carry none).
    grace_end_time: dt.datetime | None = None
    #: Whether the licence allows reading the data after the grace.
    read_only_access: bool = False
    #: The serial's payment was overdue when the licence was issued.
    payment_overdue: bool = False
    #: FULL, GRACE or READ_ONLY at the time it was verified.
    state: str = "FULL"
    #: In GRACE, the days left (a part of a day counts as a day).
    grace_days_left: int | None = None

    #: The installation's public key the licence names (empty: none).
    installation_public_key: bytes = b""

    @property
    def can_write(self) -> bool:
        return self.state in (FULL, GRACE)


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


@dataclass(frozen=True)
class LicenseStatus:
    """What a licence allows now: the answer of `license_status`.

    `state` is FULL, GRACE, READ_ONLY or REFUSED; `reason` (REFUSED only) is
    one of the stable reasons above; `message_es` says it to the user.
    """

    state: str
    message_es: str
    license: VerifiedLicense | None = None
    reason: str | None = None
    grace_days_left: int | None = None

    @property
    def can_write(self) -> bool:
        """Full use: FULL or GRACE."""
        return self.state in (FULL, GRACE)

    @property
    def can_read(self) -> bool:
        """The data may be opened (to read at least): anything but REFUSED."""
        return self.state != REFUSED


class LicenseChecks(TypedDict, total=False):
    """What a licence is checked against on this machine: the keywords that
    `license_status` passes on to `verify_license` (PEP 692), declared once so
    the two cannot drift apart."""

    pinned_keys: Required[PinnedKeys]
    product_code: Required[str]
    version: Required[str]
    machine_fingerprint: Required[str]
    now: dt.datetime | None
    trusted_time: TrustedTime | None
    installation_key_file: str | os.PathLike[str] | None


def license_status(
    signed: activation_pb2.SignedLicense | bytes, **checks: Unpack[LicenseChecks]
) -> LicenseStatus:
    """What the licence allows on this machine at `now`: FULL, GRACE (with the
    days left), READ_ONLY, or REFUSED with the reason. Takes `verify_license`'s
    keywords but `allow_read_only` (`LicenseChecks`). Never raises
    LicenseVerificationError. On anything but REFUSED, raises the mark of
    `trusted_time`."""
    try:
        verified = verify_license(signed, allow_read_only=True, **checks)
    except LicenseVerificationError as exc:
        return LicenseStatus(REFUSED, exc.message_es, reason=exc.reason)
    return LicenseStatus(
        verified.state,
        _status_message(verified),
        license=verified,
        grace_days_left=verified.grace_days_left,
    )


def _status_message(verified: VerifiedLicense) -> str:
    if verified.state == READ_ONLY:
        return (
            "Modo consulta (solo lectura): puedes abrir, consultar e imprimir tu información, "
            "pero no modificarla. Conecta el equipo a Internet y valida el sistema con Aspel"
            + (" después de registrar tu pago." if verified.payment_overdue else ".")
        )
    if verified.state == GRACE:
        days = verified.grace_days_left or 0
        left = "queda 1 día" if days == 1 else f"quedan {days} días"
        why = (
            "El pago de tu suscripción está vencido"
            if verified.payment_overdue
            else "La licencia venció"
        )
        return (
            f"Periodo de gracia: {left}. {why}; valida el sistema con Aspel antes de que "
            "termine, o después funcionará en modo consulta (solo lectura)."
        )
    return "Licencia vigente."


def _days_left(now: dt.datetime, end: dt.datetime) -> int:
    return max(1, -((now - end) // dt.timedelta(days=1)))


def verify_license(
    signed: activation_pb2.SignedLicense | bytes,
    *,
    pinned_keys: PinnedKeys,
    product_code: str,
    version: str,
    machine_fingerprint: str,
    now: dt.datetime | None = None,
    trusted_time: TrustedTime | None = None,
    allow_read_only: bool = False,
    installation_key_file: str | os.PathLike[str] | None = None,
) -> VerifiedLicense:
    """Checks a licence for this product, version and machine at `now`.

    With `installation_key_file` (`installation_key.key_path_for(licence)`), a
    licence that names an installation key also needs that key's private half
    there (`check_installation_key`), checked right after the machine.

    Raises LicenseVerificationError with the first failed check. A licence in
    its grace verifies (with `state` GRACE); one past its grace verifies as
    READ_ONLY only with `allow_read_only` (else LICENSE_EXPIRED, as before
    read-only access existed: a caller that knows only pass or fail never
    lets a read-only licence write). On success, raises the mark of
    `trusted_time`. `license_status` answers with a state instead.
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
    # 3. The validity window, with a clock that may have been set back: first
    # against the latest time seen here, then against the server's signature.
    now = now or dt.datetime.now(dt.UTC)
    issue_time = certificate.issue_time.ToDatetime(tzinfo=dt.UTC)
    expire_time = certificate.expire_time.ToDatetime(tzinfo=dt.UTC)
    grace_end = (
        max(certificate.grace_end_time.ToDatetime(tzinfo=dt.UTC), expire_time)
        if certificate.HasField("grace_end_time")
        else expire_time
    )
    if trusted_time is not None:
        trusted_time.check(now)
    if now < issue_time - DEFAULT_CLOCK_TOLERANCE:
        # The server signed this after the local "now": the clock is behind.
        raise _clock_set_back(issue_time)
    days_left = None
    if now < expire_time and not certificate.payment_overdue:
        state = FULL
    elif now < grace_end:
        state, days_left = GRACE, _days_left(now, grace_end)
    elif certificate.read_only_access and allow_read_only:
        state = READ_ONLY
    else:
        raise LicenseVerificationError(
            LICENSE_EXPIRED,
            f"La licencia venció el {grace_end:%Y-%m-%d %H:%M} UTC. Conecta el equipo a "
            "Internet para validar el sistema con Aspel.",
        )
    if trusted_time is not None:
        trusted_time.observe(issue_time, now, cap=grace_end)
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
        grace_end_time=grace_end,
        read_only_access=certificate.read_only_access,
        payment_overdue=certificate.payment_overdue,
        state=state,
        grace_days_left=days_left,
        installation_public_key=bytes(certificate.installation_public_key),
    )
