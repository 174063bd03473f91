"""Domain values to protos, for every servicer (and the certificate the domain signs).

One module rather than a package: each converter is a few lines of field
copying with no logic, and keeping them together shows every view -> message
pair at once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from aspel.licensing.v1 import (
    account_pb2,
    activation_pb2,
    admin_service_pb2,
    audit_event_pb2,
    release_pb2,
    subscription_pb2,
    upgrade_terms_pb2,
    upgrade_terms_template_pb2,
)

from ..domain import seats, serials
from ..domain.activation import ActivationView, LicenseClaims, SignedLicenseView
from ..domain.admin.catalog import ReleaseRow, TermsRow, template_id_of
from ..domain.admin.support import AuditEventView
from ..domain.admin.webhooks import EndpointView
from ..domain.auth import AccountView
from ..domain.installations import ReleaseResult
from ..domain.machine_match import KNOWN_KINDS
from ..domain.products import product_name
from ..domain.signing import PublicKeyView
from ..domain.subscriptions import UPGRADE_REQUIRES_PURCHASE, SubscriptionView
from ..domain.upgrade_terms import TermsView


def date(day: dt.date | None) -> date_pb2.Date | None:
    return None if day is None else date_pb2.Date(year=day.year, month=day.month, day=day.day)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, a Timestamp's range.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799


def timestamp(instant: dt.datetime) -> timestamp_pb2.Timestamp:
    if instant.tzinfo is None:
        # Naive: local time, as astimezone() reads it (nothing of ours is naive).
        instant = instant.astimezone(dt.UTC)
    # What Timestamp.FromDatetime computes, without its timetuple and timegm:
    # every ValidateLicense answers two or three of these.
    since = instant - _EPOCH
    seconds = since.days * 86_400 + since.seconds
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise ValueError(f"{instant!r} is outside a Timestamp's range")  # as FromDatetime
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=since.microseconds * 1000)


def account(view: AccountView) -> account_pb2.Account:
    return account_pb2.Account(
        account_id=view.account_id,
        username=view.username,
        email=view.email,
        razon_social=view.razon_social,
        state=(
            account_pb2.ACCOUNT_STATE_DISABLED
            if view.disabled
            else account_pb2.ACCOUNT_STATE_ACTIVE
        ),
        create_time=timestamp(view.create_time) if view.create_time else None,
    )


def _serial(canonical: str | None) -> str:
    return serials.display(canonical) if canonical else ""


class Succession(Protocol):
    """A serial issued in place of another (an accepted or a bought upgrade)."""

    @property
    def subscription(self) -> SubscriptionView: ...

    @property
    def previous_subscription(self) -> SubscriptionView: ...


def succession(result: Succession, purchase_url: str) -> dict[str, subscription_pb2.Subscription]:
    """The new and the previous subscription, as the upgrade responses name them."""
    return {
        "subscription": subscription(result.subscription, purchase_url),
        "previous_subscription": subscription(result.previous_subscription, purchase_url),
    }


def subscription(view: SubscriptionView, purchase_url: str) -> subscription_pb2.Subscription:
    """`purchase_url` (ASPEL_LICENSING_PURCHASE_URL) is shown only where the
    plan's next version is bought."""
    bought = view.plan_status == UPGRADE_REQUIRES_PURCHASE
    return subscription_pb2.Subscription(
        serial_number=_serial(view.serial_number),
        product_code=view.product_code,
        product_name=view.product_name,
        version=view.version,
        users=view.users,
        activation_date=date(view.activation_date),
        next_payment_date=date(view.next_payment_date),
        modality=f"MODALITY_{view.modality}",
        billing_period=f"BILLING_PERIOD_{view.billing_period or 'UNSPECIFIED'}",
        state=f"SUBSCRIPTION_STATE_{view.state}",
        upgrade_available=view.upgrade_available,
        available_version=view.available_version or "",
        successor_serial_number=_serial(view.successor_serial_number),
        predecessor_serial_number=_serial(view.predecessor_serial_number),
        retire_date=date(view.retire_date),
        installations_allowed=view.installations_allowed,
        purchase_url=purchase_url if bought else "",
        plan_status=f"PLAN_STATUS_{view.plan_status}",
        imported=serials.is_legacy(view.serial_number),
    )


def upgrade_terms(view: TermsView) -> upgrade_terms_pb2.UpgradeTerms:
    return upgrade_terms_pb2.UpgradeTerms(
        terms_id=view.terms_id,
        serial_number=_serial(view.serial_number),
        product_code=view.product_code,
        from_version=view.from_version,
        to_version=view.to_version,
        title=view.title,
        clauses=list(view.clauses),
        locale=view.locale,
        download_url=view.download_url,
        introduction=view.introduction,
    )


# --- ActivationService -------------------------------------------------------


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
        issue_time=timestamp(claims.issue_time),
        expire_time=timestamp(claims.expire_time),
        retire_date=date(claims.retire_date),
        offline_request_nonce=claims.offline_request_nonce,
        grace_end_time=(
            timestamp(claims.grace_end_time) if claims.grace_end_time is not None else None
        ),
        read_only_access=claims.read_only_access,
        payment_overdue=claims.payment_overdue,
        installation_public_key=claims.installation_public_key or b"",
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
        create_time=timestamp(view.create_time),
        hostname=view.hostname,
        product_code=view.product_code,
        version=view.version,
    )
    if view.deactivate_time is not None:
        message.deactivate_time.CopyFrom(timestamp(view.deactivate_time))
    message.machine_components.extend(machine_components(view.machine_components))
    message.installation_public_key = view.installation_public_key or b""
    if view.seat is not None:
        _seat(message, view.seat)
    return message


def released(result: ReleaseResult) -> dict[str, Any]:
    """The released activation and the transfers left, as both ReleaseActivation
    responses (the customer's and support's) name them."""
    return {
        "activation": activation(result.activation),
        "transfers_remaining": result.transfers_remaining,
    }


def installer_activation(view: ActivationView) -> activation_pb2.Activation:
    """An activation as ActivationService answers it: without the component
    digests the server keeps. Whoever knows a fingerprint may call; the
    digests would let them pose as the machine (a rebind). The public key is
    no secret and the certificate carries it anyway."""
    message = activation(view)
    message.ClearField("machine_components")
    return message


ACTIVATION_STATES = {
    seats.ACTIVE: activation_pb2.ACTIVATION_STATE_ACTIVE,
    seats.RELEASE_PENDING: activation_pb2.ACTIVATION_STATE_RELEASE_PENDING,
    seats.RELEASED: activation_pb2.ACTIVATION_STATE_RELEASED,
}


def _seat(message: activation_pb2.Activation, view: seats.SeatView) -> None:
    message.state = ACTIVATION_STATES[view.state]
    for name in ("last_validate_time", "license_expire_time", "release_time", "seat_free_time"):
        instant = getattr(view, name)
        if instant is not None:
            getattr(message, name).CopyFrom(timestamp(instant))


def machine_components(
    components: dict[str, str] | None,
) -> list[activation_pb2.MachineComponent]:
    """Known kinds first, in their order, then any others by name."""
    given = components or {}

    def order(kind: str) -> tuple[int, str]:
        return (KNOWN_KINDS.index(kind), "") if kind in KNOWN_KINDS else (len(KNOWN_KINDS), kind)

    return [
        activation_pb2.MachineComponent(kind=kind, digest=given[kind])
        for kind in sorted(given, key=order)
    ]


def cloned_activations(
    pairs: list[tuple[str, str, list[str]]],
) -> list[activation_pb2.ClonedActivations]:
    return [
        activation_pb2.ClonedActivations(
            activation_id=first, other_activation_id=second, shared_kinds=shared
        )
        for first, second, shared in pairs
    ]


def signing_key(view: PublicKeyView) -> activation_pb2.SigningKey:
    return activation_pb2.SigningKey(
        key_id=view.key_id,
        public_key=view.public_key,
        state=f"SIGNING_KEY_STATE_{view.state}",
        create_time=timestamp(view.create_time),
    )


# --- AdminService ------------------------------------------------------------


def release(row: ReleaseRow) -> release_pb2.Release:
    return release_pb2.Release(
        product_code=row.product_code,
        product_name=product_name(row.product_code),
        version=row.version,
        upgrade_from_versions=list(row.upgrade_from),
        download_url=row.download_url,
        publish_time=timestamp(row.publish_time),
    )


def terms_template(row: TermsRow) -> upgrade_terms_template_pb2.UpgradeTermsTemplate:
    return upgrade_terms_template_pb2.UpgradeTermsTemplate(
        template_id=template_id_of(row.id),
        product_code=row.product_code,
        to_version=row.to_version,
        title=row.title,
        clauses=list(row.clauses),
        locale=row.locale,
        publish_time=timestamp(row.publish_time),
        # None: published without one (the portal shows its default).
        introduction=row.introduction or "",
    )


def _flatten(detail: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """{"before": {"email": "a"}} -> ("before.email", "a"); non-text values as JSON."""
    for key, value in detail.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        elif isinstance(value, str):
            yield name, value
        else:
            yield name, json.dumps(value, ensure_ascii=False)


def audit_event(view: AuditEventView) -> audit_event_pb2.AuditEvent:
    return audit_event_pb2.AuditEvent(
        event_id=str(view.event_id),
        event_time=timestamp(view.time),
        kind=view.kind,
        actor=view.actor,
        peer=view.peer or "",
        account_id=view.account_id or "",
        serial_number=serials.display(view.serial_number) if view.serial_number else "",
        details=dict(_flatten(view.detail)),
    )


def webhook_endpoint(view: EndpointView) -> admin_service_pb2.WebhookEndpoint:
    return admin_service_pb2.WebhookEndpoint(
        endpoint_id=view.endpoint_id,
        url=view.url,
        event_types=list(view.event_types),
        description=view.description,
        create_time=timestamp(view.create_time),
        created_by=view.created_by,
    )
