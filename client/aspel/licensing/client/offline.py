"""Activating (and renewing) a machine without internet.

On the offline machine, `write_request` creates the installation key beside
the future licence (`installation_key`), and writes a signed activation
request: serial, product, version, the machine's fingerprint and component
digests (`machine_identity`), the installation's public key, a random nonce
and the time. The request travels in any of three forms (`offline_code`): a
file (armored text), a code a person dictates, or a QR code (`qr_png`,
`qr_terminal`). The nonce is kept in `LICENCIA.pending` until the answer comes.

On any connected device the customer (portal) or support (admin) redeems it
with RedeemOfflineRequest; the answer is the signed licence, in the same
forms. `install_response` checks it on the offline machine: the signature
with the pinned keys, the product, version and machine, the nonce of the
pending request and this installation's public key. An answer for another
machine or another request is refused.

A renewal is the same request with the current licence's activation_id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import pathlib
import secrets
from dataclasses import dataclass

from aspel.licensing.v1 import activation_pb2

from . import offline_code
from .activation import machine_fingerprint as this_machine_fingerprint
from .activation import save_license
from .installation_key import InstallationKey, key_path_for
from .license_armor import BINARY, LicenseFormError, license_bytes
from .license_verification import (
    LicenseVerificationError,
    PinnedKeys,
    TrustedTime,
    VerifiedLicense,
    parse_signed_license,
    verify_license,
    verify_signature,
)
from .machine_identity import KINDS, MachineComponent, canonical_salt, collect_components

#: The purpose the installation key signs requests for (installation_key framing).
PURPOSE = "offline-request"
#: The suffix of the file beside the future licence that keeps the pending request.
PENDING_SUFFIX = ".pending"
NONCE_BYTES = 8

#: install_response's refusals (OfflineInstallError.reason).
NO_PENDING_REQUEST = "NO_PENDING_REQUEST"
RESPONSE_UNREADABLE = "RESPONSE_UNREADABLE"
NONCE_MISMATCH = "NONCE_MISMATCH"
INSTALLATION_KEY_MISMATCH = "INSTALLATION_KEY_MISMATCH"


class OfflineInstallError(Exception):
    """A response that cannot be installed here; `message_es` says why."""

    def __init__(self, reason: str, message_es: str) -> None:
        super().__init__(f"{reason}: {message_es}")
        self.reason = reason
        self.message_es = message_es


@dataclass(frozen=True)
class OfflineRequest:
    """A written request, in its three forms' text."""

    signed: activation_pb2.SignedOfflineRequest
    request: activation_pb2.OfflineActivationRequest

    @property
    def payload(self) -> bytes:
        return self.signed.SerializeToString(deterministic=True)

    @property
    def code(self) -> str:
        """The dictatable code (also the QR code's content)."""
        return offline_code.encode_code(offline_code.REQUEST, self.payload)

    @property
    def text(self) -> str:
        """The text of a request file."""
        return offline_code.armor(offline_code.REQUEST, self.payload)


def pending_path(license_path: str | os.PathLike[str]) -> pathlib.Path:
    target = pathlib.Path(license_path)
    return target.with_name(target.name + PENDING_SUFFIX)


def build_request(
    key: InstallationKey,
    *,
    serial_number: str,
    product_code: str,
    version: str,
    machine_fingerprint: str,
    components: list[MachineComponent],
    activation_id: str = "",
    now: dt.datetime | None = None,
    nonce: bytes | None = None,
) -> OfflineRequest:
    """A signed request (no files written)."""
    created = now or dt.datetime.now(dt.UTC)
    fingerprint_text, fingerprint_digest = offline_code.pack_fingerprint(machine_fingerprint)
    request = activation_pb2.OfflineActivationRequest(
        serial_number=canonical_salt(serial_number),
        product_code=product_code.strip().upper(),
        version=version.strip(),
        machine_fingerprint=fingerprint_text,
        machine_fingerprint_digest=fingerprint_digest,
        components=offline_code.pack_components(
            [(KINDS.index(c.kind) + 1, c.digest) for c in components if c.kind in KINDS]
        ),
        installation_public_key=key.public_key_bytes(),
        nonce=nonce if nonce is not None else secrets.token_bytes(NONCE_BYTES),
        create_time_seconds=int(created.timestamp()),
        activation_id=activation_id,
    )
    body = request.SerializeToString(deterministic=True)
    signed = activation_pb2.SignedOfflineRequest(request=body, signature=key.sign(PURPOSE, body))
    return OfflineRequest(signed, request)


def write_request(
    license_path: str | os.PathLike[str],
    *,
    serial_number: str,
    product_code: str,
    version: str,
    activation_id: str = "",
    machine_fingerprint: str | None = None,
    components: list[MachineComponent] | None = None,
    now: dt.datetime | None = None,
) -> OfflineRequest:
    """Creates (or reuses) the installation key beside `license_path`, builds
    the request and remembers it in `LICENCIA.pending` (a newer request
    replaces an older one: only the latest answer installs)."""
    key = InstallationKey.load_or_create(key_path_for(license_path))
    fingerprint = machine_fingerprint or this_machine_fingerprint()
    written = build_request(
        key,
        serial_number=serial_number,
        product_code=product_code,
        version=version,
        machine_fingerprint=fingerprint,
        components=components if components is not None else collect_components(serial_number),
        activation_id=activation_id,
        now=now,
    )
    pending = {
        "serial_number": written.request.serial_number,
        "product_code": written.request.product_code,
        "version": written.request.version,
        "machine_fingerprint": fingerprint,
        "nonce": written.request.nonce.hex(),
        "create_time_seconds": written.request.create_time_seconds,
        "activation_id": activation_id,
    }
    path = pending_path(license_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(pending, indent=2) + "\n", encoding="utf-8")
    return written


def read_response(data: bytes) -> activation_pb2.SignedLicense:
    """The licence of a response in any form: a licence file (binary, armored
    or JSON), or the code (typed, or read from the QR code)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    try:
        if text is not None and offline_code.LICENSE_BEGIN not in text and "{" not in text:
            return parse_signed_license(offline_code.read_any(text, offline_code.LICENSE))
        return parse_signed_license(license_bytes(data))
    except offline_code.OfflineCodeError as exc:
        where = f" (revisa el grupo {exc.group})" if exc.group is not None else ""
        raise OfflineInstallError(
            RESPONSE_UNREADABLE,
            f"La respuesta no es una licencia válida{where}. Revisa que la hayas copiado completa.",
        ) from None
    except (LicenseFormError, LicenseVerificationError):
        raise OfflineInstallError(
            RESPONSE_UNREADABLE,
            "La respuesta no es una licencia válida. Revisa que la hayas copiado completa.",
        ) from None


def install_response(
    license_path: str | os.PathLike[str],
    data: bytes,
    *,
    pinned_keys: PinnedKeys,
    machine_fingerprint: str | None = None,
    now: dt.datetime | None = None,
    trusted_time: TrustedTime | None = None,
    form: str = BINARY,
) -> VerifiedLicense:
    """Checks a response against the pending request and this installation,
    then saves the licence at `license_path` and forgets the request."""
    path = pending_path(license_path)
    try:
        pending = json.loads(path.read_text(encoding="utf-8"))
        nonce = bytes.fromhex(pending["nonce"])
    except (OSError, ValueError, KeyError, TypeError):
        raise OfflineInstallError(
            NO_PENDING_REQUEST,
            f"No hay una solicitud sin conexión pendiente para {license_path} en este equipo. "
            "Genera una con «aspel-licensing offline-request».",
        ) from None
    try:
        key = InstallationKey.load(key_path_for(license_path))
    except (OSError, ValueError):
        raise OfflineInstallError(
            NO_PENDING_REQUEST,
            "No se encontró la llave de esta instalación. Genera una solicitud nueva con "
            "«aspel-licensing offline-request».",
        ) from None
    signed = read_response(data)
    # Only a certificate whose signature verifies is worth reading.
    verify_signature(signed, pinned_keys)
    certificate = activation_pb2.LicenseCertificate.FromString(signed.certificate)
    if certificate.installation_public_key != key.public_key_bytes():
        raise OfflineInstallError(
            INSTALLATION_KEY_MISMATCH,
            "La licencia es de otra instalación: no corresponde a la llave de este equipo.",
        )
    if not secrets.compare_digest(certificate.offline_request_nonce, nonce):
        raise OfflineInstallError(
            NONCE_MISMATCH,
            "La licencia responde a otra solicitud, no a la pendiente en este equipo. Canjea "
            "la solicitud más reciente.",
        )
    # Product, version, machine and validity (the signature once more).
    verified = verify_license(
        signed,
        pinned_keys=pinned_keys,
        product_code=pending["product_code"],
        version=pending["version"],
        machine_fingerprint=machine_fingerprint or pending["machine_fingerprint"],
        now=now,
        trusted_time=trusted_time,
    )
    save_license(license_path, signed, form=form)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return verified


# --- QR codes --------------------------------------------------------------------


def qr_png(code: str, path: str | os.PathLike[str], scale: int = 4) -> None:
    """Writes the QR code of `code` as a PNG file."""
    import segno

    # Alphanumeric mode holds the code's characters (digits, capitals, "-").
    segno.make_qr(code, error="m").save(os.fspath(path), kind="png", scale=scale, border=4)


def qr_terminal(code: str) -> str:
    """The QR code of `code` as text for a terminal (two modules per character)."""
    import segno

    out = io.StringIO()
    segno.make_qr(code, error="m").terminal(out=out, compact=True)
    return out.getvalue()


__all__ = [
    "INSTALLATION_KEY_MISMATCH",
    "NONCE_MISMATCH",
    "NO_PENDING_REQUEST",
    "PURPOSE",
    "RESPONSE_UNREADABLE",
    "OfflineInstallError",
    "OfflineRequest",
    "build_request",
    "install_response",
    "pending_path",
    "qr_png",
    "qr_terminal",
    "read_response",
    "write_request",
]
