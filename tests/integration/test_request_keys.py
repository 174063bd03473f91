"""The fingerprint that tells a retry from a reuse of its request_id covers
every field of every mutating request, and no password."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from aspel.licensing.server.transport.request_keys import SECRET_FIELDS, fingerprint, request_key
from aspel.licensing.v1 import (
    activation_service_pb2,
    admin_service_pb2,
    licensing_service_pb2,
)

SERVICES = [
    licensing_service_pb2.DESCRIPTOR.services_by_name["LicensingService"],
    activation_service_pb2.DESCRIPTOR.services_by_name["ActivationService"],
    admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"],
]
MUTATING: list[Descriptor] = [
    method.input_type
    for service in SERVICES
    for method in service.methods
    if "request_id" in method.input_type.fields_by_name
]


def _new(descriptor: Descriptor) -> Any:
    return message_factory.GetMessageClass(descriptor)()


def _set(message: Any, field: FieldDescriptor, variant: int) -> None:
    """Gives `field` a value of its type; `variant` picks one of two values."""
    if field.message_type is not None:
        target = getattr(message, field.name)
        sub = target.add() if field.is_repeated else target
        sub.SetInParent()
        if variant and sub.DESCRIPTOR.fields:
            _set(sub, sub.DESCRIPTOR.fields[0], 1)
        return
    samples = {
        FieldDescriptor.CPPTYPE_STRING: ("a", "b"),
        FieldDescriptor.CPPTYPE_BOOL: (True, True),
        FieldDescriptor.CPPTYPE_ENUM: (1, 2),
    }
    value = samples.get(field.cpp_type, (1, 2))[variant]
    if field.type == FieldDescriptor.TYPE_BYTES:
        value = value.encode() if isinstance(value, str) else bytes([value])
    if field.is_repeated:
        getattr(message, field.name).append(value)
    else:
        setattr(message, field.name, value)


def test_the_mutating_requests_are_all_found() -> None:
    # Every request with a request_id, by name: a new mutating RPC is added here
    # on purpose, so the fingerprint tests below are known to cover it.
    assert {d.name for d in MUTATING} == {
        "AcceptUpgradeRequest",
        "ActivateInstallationRequest",
        "AdminServiceRedeemOfflineRequestRequest",
        "AdminServiceReleaseActivationRequest",
        "ChangeSeatsRequest",
        "CreateAccountRequest",
        "CreateSubscriptionRequest",
        "CreateWebhookEndpointRequest",
        "DeactivateInstallationRequest",
        "DeleteWebhookEndpointRequest",
        "DisableAccountRequest",
        "ImportSubscriptionRequest",
        "IssueUpgradeRequest",
        "PublishReleaseRequest",
        "PublishUpgradeTermsRequest",
        "RecordPaymentRequest",
        "RedeemOfflineRequestRequest",
        "ReinstateSubscriptionRequest",
        "ReleaseActivationRequest",
        "RequestPasswordResetRequest",
        "ResetPasswordRequest",
        "StartPasswordResetRequest",
        "SuspendSubscriptionRequest",
        "UpdateAccountRequest",
    }


@pytest.mark.parametrize("descriptor", MUTATING, ids=lambda d: d.name)
def test_every_field_but_the_request_id_changes_the_fingerprint(descriptor: Descriptor) -> None:
    method = descriptor.name.removesuffix("Request")
    empty = fingerprint(method, _new(descriptor))
    for field in descriptor.fields:
        message = _new(descriptor)
        _set(message, field, 0)
        if field.name == "request_id":
            assert fingerprint(method, message) == empty
        else:
            assert fingerprint(method, message) != empty, field.full_name


@pytest.mark.parametrize("descriptor", MUTATING, ids=lambda d: d.name)
def test_another_value_of_a_field_changes_the_fingerprint_unless_secret(
    descriptor: Descriptor,
) -> None:
    method = descriptor.name.removesuffix("Request")
    for field in descriptor.fields:
        if field.name == "request_id" or field.cpp_type == FieldDescriptor.CPPTYPE_BOOL:
            continue
        one, other = _new(descriptor), _new(descriptor)
        _set(one, field, 0)
        _set(other, field, 1)
        same = fingerprint(method, one) == fingerprint(method, other)
        assert same == (field.full_name in SECRET_FIELDS), field.full_name


def test_every_password_field_is_a_secret() -> None:
    """A password added to a request tomorrow must be listed, or it would reach the digest."""
    passwords = {
        field.full_name
        for descriptor in MUTATING
        for field in descriptor.fields
        if "password" in field.name and field.cpp_type == FieldDescriptor.CPPTYPE_STRING
    }
    assert passwords == SECRET_FIELDS


def test_the_operation_is_part_of_the_key() -> None:
    request = licensing_service_pb2.RequestPasswordResetRequest(
        email_or_username="demo", request_id="0b6a8a0e-7d55-4d1e-9a57-2f5b1b7d1c11"
    )
    key = request_key(request, "0b6a8a0e-7d55-4d1e-9a57-2f5b1b7d1c11")
    assert key is not None
    assert key.operation == "RequestPasswordReset"
    assert key.fingerprint != fingerprint("ResetPassword", request)
    assert request_key(request, None) is None
