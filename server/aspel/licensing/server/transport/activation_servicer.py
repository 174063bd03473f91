"""`aspel.licensing.v1.ActivationService`: installers activate, validate and
deactivate over gRPC. Parses and validates requests, converts results."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from aspel.licensing.v1 import activation_service_pb2 as pb
from aspel.licensing.v1 import activation_service_pb2_grpc as pb_grpc

from ..domain.activation import ActivationService, Installation
from . import convert
from .pagination import SIGNING_KEYS, PageTokens, page_of
from .peers import client_peer
from .validation import Violations

RAZON_SOCIAL_MAX_LENGTH = 256
HOSTNAME_MAX_LENGTH = 255


def _installation(
    check: Violations, request: pb.ValidateLicenseRequest | pb.DeactivateInstallationRequest
) -> tuple[str, str, str]:
    """The serial, activation id and machine fingerprint naming one installation."""
    return (
        check.serial("serial_number", request.serial_number),
        check.activation_id("activation_id", request.activation_id),
        check.fingerprint("machine_fingerprint", request.machine_fingerprint),
    )


@dataclass(eq=False)  # a servicer is one object, told apart by identity
class ActivationServicer(pb_grpc.ActivationServiceServicer):
    activations: ActivationService
    page_tokens: PageTokens

    def ActivateInstallation(
        self, request: pb.ActivateInstallationRequest, context: grpc.ServicerContext
    ) -> pb.ActivateInstallationResponse:
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        check.required("razon_social", request.razon_social, max_length=RAZON_SOCIAL_MAX_LENGTH)
        # Checked in the order the violations are reported.
        installation = Installation(
            product_code=check.product("product_code", request.product_code),
            version=check.version("version", request.version),
            machine_fingerprint=check.fingerprint(
                "machine_fingerprint", request.machine_fingerprint
            ),
            hostname=check.optional("hostname", request.hostname, HOSTNAME_MAX_LENGTH),
        )
        components = check.machine_components("machine_components", request.machine_components)
        public_key = check.installation_public_key(
            "installation_public_key", request.installation_public_key
        )
        key = check.request_key(request)
        check.raise_if_any()
        result = self.activations.activate(
            serial_number=serial,
            razon_social_text=request.razon_social,
            installation=installation,
            key=key,
            peer=client_peer(context),
            machine_components=components or None,
            installation_public_key=public_key,
        )
        return pb.ActivateInstallationResponse(
            activation=convert.installer_activation(result.activation),
            signed_license=convert.signed_license(result.signed_license),
        )

    def ValidateLicense(
        self, request: pb.ValidateLicenseRequest, context: grpc.ServicerContext
    ) -> pb.ValidateLicenseResponse:
        check = Violations()
        serial, activation_id, fingerprint = _installation(check, request)
        components = check.machine_components("machine_components", request.machine_components)
        check.raise_if_any()
        result = self.activations.validate(
            serial_number=serial,
            activation_id=activation_id,
            machine_fingerprint=fingerprint,
            peer=client_peer(context),
            machine_components=components or None,
        )
        return pb.ValidateLicenseResponse(
            state=f"SUBSCRIPTION_STATE_{result.state}",
            retire_date=convert.date(result.retire_date),
            signed_license=convert.signed_license(result.signed_license),
            successor_serial_number=result.successor_serial_number or "",
            grace_end_time=(
                convert.timestamp(result.terms.grace_end_time) if result.terms else None
            ),
            read_only=result.read_only,
            message=result.message,
        )

    def DeactivateInstallation(
        self, request: pb.DeactivateInstallationRequest, context: grpc.ServicerContext
    ) -> pb.DeactivateInstallationResponse:
        check = Violations()
        serial, activation_id, fingerprint = _installation(check, request)
        receipt = check.deactivation_receipt("deactivation_receipt", request)
        key = check.request_key(request)
        check.raise_if_any()
        view = self.activations.deactivate(
            serial_number=serial,
            activation_id=activation_id,
            machine_fingerprint=fingerprint,
            key=key,
            peer=client_peer(context),
            receipt=receipt,
        )
        return pb.DeactivateInstallationResponse(activation=convert.installer_activation(view))

    def ListSigningKeys(
        self, request: pb.ListSigningKeysRequest, context: grpc.ServicerContext
    ) -> pb.ListSigningKeysResponse:
        check = Violations()
        size = check.page_size("page_size", request.page_size, SIGNING_KEYS)
        check.raise_if_any()
        offset = self.page_tokens.decode(SIGNING_KEYS, (), request.page_token)
        page, next_offset = page_of(self.activations.list_signing_keys(), offset, size)
        return pb.ListSigningKeysResponse(
            signing_keys=[convert.signing_key(k) for k in page],
            next_page_token=self.page_tokens.encode(SIGNING_KEYS, (), next_offset),
        )
