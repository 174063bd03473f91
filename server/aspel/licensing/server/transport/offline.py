"""RedeemOfflineRequest's text forms, for both services: the request code (any
of its forms) to `OfflineRequestClaims`, and the licence to its answer forms.

The forms are the client library's (`aspel.licensing.client.offline_code`):
a pure module that the server reads requests with, so both sides agree on
one encoding.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf import message
from google.protobuf.message import DecodeError

from aspel.licensing.client import offline_code
from aspel.licensing.v1 import activation_pb2

from .. import errors
from ..domain.activation import SignedLicenseView
from ..domain.offline import PUBLIC_KEY_BYTES, OfflineActivationService, OfflineRequestClaims
from . import convert
from .validation import Violations

REQUEST_CODE_MAX_LENGTH = offline_code.MAX_TEXT
_NONCE_BYTES = (8, 32)
_COMPONENTS_MAX = 8
_SIGNATURE_BYTES = 64


def decode_request(check: Violations, text: str) -> OfflineRequestClaims | None:
    """The claims of a request code; None (with a violation) for an empty or
    too long field, OFFLINE_REQUEST_INVALID for a code that is no request."""
    if not text.strip():
        check.add("request_code", "Escribe el código de la solicitud sin conexión.")
        return None
    if len(text) > REQUEST_CODE_MAX_LENGTH:
        check.add(
            "request_code",
            f"El código de la solicitud admite como máximo {REQUEST_CODE_MAX_LENGTH} caracteres.",
        )
        return None
    try:
        payload = offline_code.read_any(text, offline_code.REQUEST)
    except offline_code.OfflineCodeError as exc:
        raise errors.OfflineRequestInvalid(group=exc.group) from None
    signed = activation_pb2.SignedOfflineRequest()
    request = activation_pb2.OfflineActivationRequest()
    try:
        signed.ParseFromString(payload)
        request.ParseFromString(signed.request)
    except (DecodeError, ValueError):
        raise errors.OfflineRequestInvalid() from None
    # Its fields pass ActivateInstallation's checks, or it is no request.
    inner = Violations()
    serial = inner.serial("serial_number", request.serial_number)
    product = inner.product("product_code", request.product_code)
    version = inner.version("version", request.version)
    fingerprint = offline_code.unpack_fingerprint(
        request.machine_fingerprint, request.machine_fingerprint_digest
    )
    if fingerprint is not None:
        inner.fingerprint("machine_fingerprint", fingerprint)
    components = offline_code.unpack_components(request.components)
    if request.activation_id:
        inner.activation_id("activation_id", request.activation_id)
    nonce_ok = _NONCE_BYTES[0] <= len(request.nonce) <= _NONCE_BYTES[1]
    shapes_ok = (
        fingerprint is not None
        and components is not None
        and nonce_ok
        and len(request.installation_public_key) == PUBLIC_KEY_BYTES
        and len(signed.signature) == _SIGNATURE_BYTES
        and len(components) <= _COMPONENTS_MAX
        and all(1 <= kind <= 16 for kind, _ in components)
        and 0 < request.create_time_seconds < 253_402_300_799
    )
    if inner.items or not shapes_ok or fingerprint is None or components is None:
        raise errors.OfflineRequestInvalid()
    return OfflineRequestClaims(
        serial_number=serial,
        product_code=product,
        version=version,
        machine_fingerprint=fingerprint,
        components=tuple(components),
        installation_public_key=request.installation_public_key,
        nonce=request.nonce,
        create_time=dt.datetime.fromtimestamp(request.create_time_seconds, dt.UTC),
        activation_id=request.activation_id,
        request=signed.request,
        signature=signed.signature,
    )


def response_forms(view: SignedLicenseView) -> tuple[activation_pb2.SignedLicense, str, str]:
    """The licence, its response-file text and its code."""
    signed = convert.signed_license(view)
    payload = signed.SerializeToString(deterministic=True)
    return (
        signed,
        offline_code.armor(offline_code.LICENSE, payload),
        offline_code.encode_code(offline_code.LICENSE, payload),
    )


def redeem(
    offline: OfflineActivationService,
    check: Violations,
    request: message.Message,
    *,
    razon_social_text: str | None,
    account_db_id: int | None,
    actor: str,
    peer: str | None,
) -> dict[str, Any]:
    """RedeemOfflineRequest of either service, once the caller checked its own
    fields into `check`: the response's fields (the same in both)."""
    key = check.request_key(request)
    claims = decode_request(check, getattr(request, "request_code"))  # noqa: B009 (untyped on Message)
    check.raise_if_any()
    assert claims is not None
    result = offline.redeem(
        claims,
        razon_social_text=razon_social_text,
        account_db_id=account_db_id,
        actor=actor,
        key=key,
        peer=peer,
    )
    signed, text, code = response_forms(result.signed_license)
    return {
        "activation": convert.activation(result.activation),
        "signed_license": signed,
        "response_text": text,
        "response_code": code,
    }
