"""`ActivationClient`: the installer side of `aspel.licensing.v1.ActivationService`.

    with ActivationClient("127.0.0.1:50051") as client:
        fingerprint = machine_fingerprint()
        response = client.activate_installation(
            "ABCDE-12345-FGH7K", "Mi Empresa, S.A. de C.V.", "SAE", "8.0", fingerprint
        )
        save_license(path, response.signed_license)
        ...
        fresh = client.validate_license(serial, response.activation.activation_id, fingerprint)

Installers have no session: no token is ever sent. Every mutating call
carries a `request_id`, so an ABORTED answer is retried safely; validation
changes nothing the customer sees and is retried likewise. Verify what the
server returns with `license_verification.verify_license` and pinned keys
before trusting it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import pathlib
import socket
import sys
import uuid
from collections.abc import Iterator, Sequence

from aspel.licensing.v1 import activation_pb2
from aspel.licensing.v1 import activation_service_pb2 as pb
from aspel.licensing.v1 import activation_service_pb2_grpc as pb_grpc

from .base import BaseClient, follow_pages
from .installation_key import InstallationKey
from .license_armor import BINARY, encode
from .machine_identity import MachineComponent, canonical_salt
from .private_files import write_atomically

_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
_FINGERPRINT_CONTEXT = b"aspel-licensing machine fingerprint v1\0"


class ActivationClient(BaseClient):
    """A client of ActivationService, for installers and installed products."""

    stub_class = pb_grpc.ActivationServiceStub

    def activate_installation(
        self,
        serial_number: str,
        razon_social: str,
        product_code: str,
        version: str,
        machine_fingerprint: str,
        *,
        hostname: str = "",
        request_id: str | None = None,
        machine_components: Sequence[MachineComponent] = (),
        installation_public_key: bytes = b"",
    ) -> pb.ActivateInstallationResponse:
        """Activates this machine (or gets its existing activation) and a licence.

        Raises NotFoundError (SERIAL_NOT_FOUND), PermissionDeniedError
        (RAZON_SOCIAL_MISMATCH), FailedPreconditionError (VERSION_MISMATCH,
        SERIAL_NOT_ACTIVE), ResourceExhaustedError (ACTIVATION_LIMIT_REACHED),
        InvalidArgumentError.

        `machine_components` (`machine_identity.collect_components(serial)`) let
        a reinstalled machine find its activation under a new fingerprint;
        `installation_public_key` (`InstallationKey.public_key_bytes()`) goes
        into the licence and later proves deactivations.
        """
        request = pb.ActivateInstallationRequest(
            serial_number=serial_number,
            razon_social=razon_social,
            product_code=product_code,
            version=version,
            machine_fingerprint=machine_fingerprint,
            hostname=hostname,
            machine_components=_components(machine_components),
            installation_public_key=installation_public_key,
        )
        return self._mutate(
            self._stub.ActivateInstallation, request, request_id, authenticated=False
        )

    def validate_license(
        self,
        serial_number: str,
        activation_id: str,
        machine_fingerprint: str,
        *,
        machine_components: Sequence[MachineComponent] = (),
    ) -> pb.ValidateLicenseResponse:
        """The serial's state and a fresh licence (for a new fingerprint when
        the machine was reinstalled and enough `machine_components` match).

        Raises NotFoundError (SERIAL_NOT_FOUND, ACTIVATION_NOT_FOUND),
        FailedPreconditionError (SERIAL_RETIRED, SERIAL_NOT_ACTIVE).
        """
        request = pb.ValidateLicenseRequest(
            serial_number=serial_number,
            activation_id=activation_id,
            machine_fingerprint=machine_fingerprint,
            machine_components=_components(machine_components),
        )
        return self._call(self._stub.ValidateLicense, request, authenticated=False, idempotent=True)

    def deactivate_installation(
        self,
        serial_number: str,
        activation_id: str,
        machine_fingerprint: str,
        *,
        request_id: str | None = None,
        installation_key: InstallationKey | None = None,
        sign_time: dt.datetime | None = None,
    ) -> activation_pb2.Activation:
        """Frees this machine's seat; returns the activation as deactivated.

        With `installation_key` (the key whose public half the licence
        carries) the request carries a signed receipt, and the seat is free
        at once. `sign_time` (default now) is for tests.

        Raises NotFoundError (SERIAL_NOT_FOUND, ACTIVATION_NOT_FOUND),
        ResourceExhaustedError (DEACTIVATION_RATE_LIMITED; `metadata["retry_time"]`),
        PermissionDeniedError (INVALID_DEACTIVATION_RECEIPT; `metadata["problem"]`).
        """
        request = pb.DeactivateInstallationRequest(
            serial_number=serial_number,
            activation_id=activation_id,
            machine_fingerprint=machine_fingerprint,
        )
        if installation_key is not None:
            request.deactivation_receipt.CopyFrom(
                deactivation_receipt(installation_key, activation_id, serial_number, sign_time)
            )
        response: pb.DeactivateInstallationResponse = self._mutate(
            self._stub.DeactivateInstallation, request, request_id, authenticated=False
        )
        return response.activation

    def list_signing_keys(self, page_size: int = 0) -> Iterator[activation_pb2.SigningKey]:
        """Every signing key, newest first, following the pages.

        These are what the server says; an installer pins keys it got from a
        trusted channel (its own build), never only from here.
        """

        def fetch(token: str) -> pb.ListSigningKeysResponse:
            return self._call(
                self._stub.ListSigningKeys,
                pb.ListSigningKeysRequest(page_size=page_size, page_token=token),
                authenticated=False,
            )

        return follow_pages(fetch, lambda page: page.signing_keys)


def _components(components: Sequence[MachineComponent]) -> list[activation_pb2.MachineComponent]:
    return [activation_pb2.MachineComponent(kind=c.kind, digest=c.digest) for c in components]


#: The purpose of a deactivation receipt's signature (`installation_key.signed_payload`).
RECEIPT_PURPOSE = "deactivation-receipt"


def receipt_message(activation_id: str, serial_number: str, sign_time: dt.datetime) -> bytes:
    """The canonical bytes a deactivation receipt signs (see DeactivationReceipt
    in activation.proto): "v1", the activation id, the serial in upper case
    without dashes and the signing instant in whole seconds, joined by NUL."""
    seconds = int(sign_time.timestamp())
    return b"\0".join(
        (b"v1", activation_id.encode(), canonical_salt(serial_number).encode(), b"%d" % seconds)
    )


def deactivation_receipt(
    key: InstallationKey,
    activation_id: str,
    serial_number: str,
    sign_time: dt.datetime | None = None,
) -> activation_pb2.DeactivationReceipt:
    """This installation's signed proof that it asks to be deactivated."""
    when = (sign_time or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    receipt = activation_pb2.DeactivationReceipt(
        activation_id=activation_id,
        serial_number=serial_number,
        signature=key.sign(RECEIPT_PURPOSE, receipt_message(activation_id, serial_number, when)),
    )
    receipt.sign_time.FromDatetime(when)
    return receipt


# --- this machine ------------------------------------------------------------------


def _machine_id() -> str:
    """The operating system's stable id of this installation of it."""
    for name in _MACHINE_ID_FILES:
        with contextlib.suppress(OSError):
            value = pathlib.Path(name).read_text(encoding="ascii").strip()
            if value:
                return value
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
            return str(winreg.QueryValueEx(key, "MachineGuid")[0])
    # Last resort: a network card's address and the host name.
    return f"{uuid.getnode():012x}-{socket.gethostname()}"  # pragma: no cover


def machine_fingerprint(machine_id: str | None = None) -> str:
    """A fingerprint of this machine, derived from its machine id.

    Only a digest leaves the machine, never the id itself; the same machine
    always gives the same fingerprint, so a reinstall finds its activation.
    """
    raw = (machine_id if machine_id is not None else _machine_id()).encode()
    return "m1-" + hashlib.sha256(_FINGERPRINT_CONTEXT + raw).hexdigest()[:40]


# --- licence files -----------------------------------------------------------------


def save_license(
    path: str | os.PathLike[str], signed: activation_pb2.SignedLicense, *, form: str = BINARY
) -> None:
    """Writes a licence file atomically: the serialized SignedLicense, or its
    ASCII-armored or JSON form (`license_armor`)."""
    write_atomically(path, encode(signed, form))


def read_license_file(path: str | os.PathLike[str]) -> bytes:
    """The file's contents, in any form; `parse_signed_license` reads them all."""
    return pathlib.Path(path).read_bytes()


def unverified_certificate(
    signed: activation_pb2.SignedLicense,
) -> activation_pb2.LicenseCertificate:
    """The certificate's fields WITHOUT checking the signature: only to know
    which serial and activation to send back to the server, which checks them.
    Never to decide whether the product may run (use `verify_license`)."""
    return activation_pb2.LicenseCertificate.FromString(signed.certificate)


__all__ = [
    "RECEIPT_PURPOSE",
    "ActivationClient",
    "deactivation_receipt",
    "machine_fingerprint",
    "read_license_file",
    "receipt_message",
    "save_license",
    "unverified_certificate",
]
