"""`aspel.licensing.v1.ActivationService`: installers activate, validate and
deactivate over gRPC. Parses and validates requests, converts results."""

from __future__ import annotations

import re

import grpc

from aspel.licensing.v1 import activation_pb2
from aspel.licensing.v1 import activation_service_pb2 as pb
from aspel.licensing.v1 import activation_service_pb2_grpc as pb_grpc

from ..domain import serials
from ..domain.activation import (
    ActivationService,
    ActivationView,
    LicenseClaims,
    SignedLicenseView,
)
from ..domain.products import PRODUCT_NAMES, is_valid_version
from ..domain.signing import PublicKeyView
from . import convert
from .pagination import SIGNING_KEYS, PageTokens
from .peers import client_peer
from .request_keys import request_key
from .validation import Violations

# Printable ASCII without spaces: what an installer derives from the machine.
_FINGERPRINT = re.compile(r"[!-~]{1,128}")
_ACTIVATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def encode_certificate(claims: LicenseClaims) -> bytes:
    """The bytes that get signed: a serialized LicenseCertificate."""
    certificate = activation_pb2.LicenseCertificate(
        serial_number=serials.display(claims.serial_number),
        product_code=claims.product_code,
        version=claims.version,
        users=claims.users,
        razon_social=claims.razon_social,
        machine_fingerprint=claims.machine_fingerprint,
        activation_id=claims.activation_id,
        issue_time=convert.timestamp(claims.issue_time),
        expire_time=convert.timestamp(claims.expire_time),
        retire_date=convert.date(claims.retire_date),
    )
    return certificate.SerializeToString(deterministic=True)


def signed_license(view: SignedLicenseView) -> activation_pb2.SignedLicense:
    return activation_pb2.SignedLicense(
        certificate=view.certificate, signature=view.signature, key_id=view.key_id
    )


def activation(view: ActivationView) -> activation_pb2.Activation:
    message = activation_pb2.Activation(
        activation_id=view.activation_id,
        serial_number=serials.display(view.serial_number),
        machine_fingerprint=view.machine_fingerprint,
        create_time=convert.timestamp(view.create_time),
        hostname=view.hostname,
        product_code=view.product_code,
        version=view.version,
    )
    if view.deactivate_time is not None:
        message.deactivate_time.CopyFrom(convert.timestamp(view.deactivate_time))
    return message


def signing_key(view: PublicKeyView) -> activation_pb2.SigningKey:
    return activation_pb2.SigningKey(
        key_id=view.key_id,
        public_key=view.public_key,
        state=f"SIGNING_KEY_STATE_{view.state}",
        create_time=convert.timestamp(view.create_time),
    )


class _Checks(Violations):
    """The fields of installer requests."""

    def fingerprint(self, field: str, value: str) -> str:
        if not value:
            self.add(field, "Falta la huella del equipo (machine_fingerprint).")
        elif not _FINGERPRINT.fullmatch(value):
            self.add(
                field,
                "La huella del equipo admite hasta 128 caracteres ASCII visibles, sin espacios.",
            )
        return value

    def activation_id(self, field: str, value: str) -> str:
        if not value:
            self.add(field, "Falta el identificador de la activación.")
        elif not _ACTIVATION_ID.fullmatch(value):
            self.add(field, "El identificador de la activación no es válido.")
        return value

    def product_code(self, field: str, value: str) -> str:
        code = value.strip().upper()
        if code not in PRODUCT_NAMES:
            self.add(
                field,
                "El producto debe ser uno de: " + ", ".join(sorted(PRODUCT_NAMES)) + ".",
            )
        return code

    def version(self, field: str, value: str) -> str:
        version = value.strip()
        if len(version) > 16 or not is_valid_version(version):
            self.add(field, "La versión debe escribirse con números, por ejemplo 8.0.")
        return version

    def optional(self, field: str, value: str, max_length: int) -> str:
        if len(value) > max_length:
            self.add(field, f"El campo {field} admite como máximo {max_length} caracteres.")
        return value.strip()


class ActivationServicer(pb_grpc.ActivationServiceServicer):
    def __init__(self, activations: ActivationService, page_tokens: PageTokens) -> None:
        self.activations = activations
        self.page_tokens = page_tokens

    def ActivateInstallation(
        self, request: pb.ActivateInstallationRequest, context: grpc.ServicerContext
    ) -> pb.ActivateInstallationResponse:
        check = _Checks()
        serial = check.serial("serial_number", request.serial_number)
        check.required("razon_social", request.razon_social, max_length=256)
        product_code = check.product_code("product_code", request.product_code)
        version = check.version("version", request.version)
        fingerprint = check.fingerprint("machine_fingerprint", request.machine_fingerprint)
        hostname = check.optional("hostname", request.hostname, max_length=255)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        result = self.activations.activate(
            serial_number=serial,
            razon_social_text=request.razon_social,
            product_code=product_code,
            version=version,
            machine_fingerprint=fingerprint,
            hostname=hostname,
            key=request_key(request, request_id),
            peer=client_peer(context),
        )
        return pb.ActivateInstallationResponse(
            activation=activation(result.activation),
            signed_license=signed_license(result.signed_license),
        )

    def ValidateLicense(
        self, request: pb.ValidateLicenseRequest, context: grpc.ServicerContext
    ) -> pb.ValidateLicenseResponse:
        check = _Checks()
        serial = check.serial("serial_number", request.serial_number)
        activation_id = check.activation_id("activation_id", request.activation_id)
        fingerprint = check.fingerprint("machine_fingerprint", request.machine_fingerprint)
        check.raise_if_any()
        result = self.activations.validate(
            serial_number=serial,
            activation_id=activation_id,
            machine_fingerprint=fingerprint,
            peer=client_peer(context),
        )
        return pb.ValidateLicenseResponse(
            state=f"SUBSCRIPTION_STATE_{result.state}",
            retire_date=convert.date(result.retire_date),
            signed_license=signed_license(result.signed_license),
            successor_serial_number=result.successor_serial_number or "",
        )

    def DeactivateInstallation(
        self, request: pb.DeactivateInstallationRequest, context: grpc.ServicerContext
    ) -> pb.DeactivateInstallationResponse:
        check = _Checks()
        serial = check.serial("serial_number", request.serial_number)
        activation_id = check.activation_id("activation_id", request.activation_id)
        fingerprint = check.fingerprint("machine_fingerprint", request.machine_fingerprint)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.activations.deactivate(
            serial_number=serial,
            activation_id=activation_id,
            machine_fingerprint=fingerprint,
            key=request_key(request, request_id),
            peer=client_peer(context),
        )
        return pb.DeactivateInstallationResponse(activation=activation(view))

    def ListSigningKeys(
        self, request: pb.ListSigningKeysRequest, context: grpc.ServicerContext
    ) -> pb.ListSigningKeysResponse:
        check = _Checks()
        size = check.page_size("page_size", request.page_size, SIGNING_KEYS)
        check.raise_if_any()
        offset = self.page_tokens.decode(SIGNING_KEYS, (), request.page_token)
        keys = self.activations.list_signing_keys()
        page = keys[offset : offset + size]
        more = offset + size < len(keys)
        return pb.ListSigningKeysResponse(
            signing_keys=[signing_key(k) for k in page],
            next_page_token=self.page_tokens.encode(
                SIGNING_KEYS, (), offset + size if more else None
            ),
        )
