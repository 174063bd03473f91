import datetime

from aspel.licensing.v1 import account_pb2 as _account_pb2
from aspel.licensing.v1 import activation_pb2 as _activation_pb2
from aspel.licensing.v1 import audit_event_pb2 as _audit_event_pb2
from aspel.licensing.v1 import release_pb2 as _release_pb2
from aspel.licensing.v1 import subscription_pb2 as _subscription_pb2
from aspel.licensing.v1 import upgrade_terms_template_pb2 as _upgrade_terms_template_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpgradeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPGRADE_KIND_UNSPECIFIED: _ClassVar[UpgradeKind]
    UPGRADE_KIND_PURCHASED_UPGRADE: _ClassVar[UpgradeKind]
    UPGRADE_KIND_MODALITY_CHANGE: _ClassVar[UpgradeKind]

class UpgradeOverlap(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPGRADE_OVERLAP_UNSPECIFIED: _ClassVar[UpgradeOverlap]
    UPGRADE_OVERLAP_NONE: _ClassVar[UpgradeOverlap]
    UPGRADE_OVERLAP_UNTIL_DATE: _ClassVar[UpgradeOverlap]
    UPGRADE_OVERLAP_NEXT_VALIDATION: _ClassVar[UpgradeOverlap]
UPGRADE_KIND_UNSPECIFIED: UpgradeKind
UPGRADE_KIND_PURCHASED_UPGRADE: UpgradeKind
UPGRADE_KIND_MODALITY_CHANGE: UpgradeKind
UPGRADE_OVERLAP_UNSPECIFIED: UpgradeOverlap
UPGRADE_OVERLAP_NONE: UpgradeOverlap
UPGRADE_OVERLAP_UNTIL_DATE: UpgradeOverlap
UPGRADE_OVERLAP_NEXT_VALIDATION: UpgradeOverlap

class CreateAccountRequest(_message.Message):
    __slots__ = ("username", "email", "razon_social", "initial_password", "request_id")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    INITIAL_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    username: str
    email: str
    razon_social: str
    initial_password: str
    request_id: str
    def __init__(self, username: _Optional[str] = ..., email: _Optional[str] = ..., razon_social: _Optional[str] = ..., initial_password: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateAccountResponse(_message.Message):
    __slots__ = ("account", "password_reset_email_queued")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_RESET_EMAIL_QUEUED_FIELD_NUMBER: _ClassVar[int]
    account: _account_pb2.Account
    password_reset_email_queued: bool
    def __init__(self, account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ..., password_reset_email_queued: _Optional[bool] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("account_id", "username")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    username: str
    def __init__(self, account_id: _Optional[str] = ..., username: _Optional[str] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account", "subscriptions", "subscription_count", "lock_expire_time")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    LOCK_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    account: _account_pb2.Account
    subscriptions: _containers.RepeatedCompositeFieldContainer[_subscription_pb2.Subscription]
    subscription_count: int
    lock_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ..., subscriptions: _Optional[_Iterable[_Union[_subscription_pb2.Subscription, _Mapping]]] = ..., subscription_count: _Optional[int] = ..., lock_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateAccountRequest(_message.Message):
    __slots__ = ("account_id", "email", "razon_social", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    email: str
    razon_social: str
    request_id: str
    def __init__(self, account_id: _Optional[str] = ..., email: _Optional[str] = ..., razon_social: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: _account_pb2.Account
    def __init__(self, account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ...) -> None: ...

class DisableAccountRequest(_message.Message):
    __slots__ = ("account_id", "reason", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    reason: str
    request_id: str
    def __init__(self, account_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DisableAccountResponse(_message.Message):
    __slots__ = ("account", "ended_session_count")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ENDED_SESSION_COUNT_FIELD_NUMBER: _ClassVar[int]
    account: _account_pb2.Account
    ended_session_count: int
    def __init__(self, account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ..., ended_session_count: _Optional[int] = ...) -> None: ...

class PublishReleaseRequest(_message.Message):
    __slots__ = ("product_code", "version", "upgrade_from_versions", "download_url", "request_id")
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_FROM_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_URL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    product_code: str
    version: str
    upgrade_from_versions: _containers.RepeatedScalarFieldContainer[str]
    download_url: str
    request_id: str
    def __init__(self, product_code: _Optional[str] = ..., version: _Optional[str] = ..., upgrade_from_versions: _Optional[_Iterable[str]] = ..., download_url: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class PublishReleaseResponse(_message.Message):
    __slots__ = ("release",)
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    release: _release_pb2.Release
    def __init__(self, release: _Optional[_Union[_release_pb2.Release, _Mapping]] = ...) -> None: ...

class PublishUpgradeTermsRequest(_message.Message):
    __slots__ = ("product_code", "to_version", "title", "clauses", "request_id", "introduction")
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CLAUSES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    INTRODUCTION_FIELD_NUMBER: _ClassVar[int]
    product_code: str
    to_version: str
    title: str
    clauses: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    introduction: str
    def __init__(self, product_code: _Optional[str] = ..., to_version: _Optional[str] = ..., title: _Optional[str] = ..., clauses: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ..., introduction: _Optional[str] = ...) -> None: ...

class PublishUpgradeTermsResponse(_message.Message):
    __slots__ = ("upgrade_terms_template",)
    UPGRADE_TERMS_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    upgrade_terms_template: _upgrade_terms_template_pb2.UpgradeTermsTemplate
    def __init__(self, upgrade_terms_template: _Optional[_Union[_upgrade_terms_template_pb2.UpgradeTermsTemplate, _Mapping]] = ...) -> None: ...

class CreateSubscriptionRequest(_message.Message):
    __slots__ = ("account_id", "product_code", "version", "users", "modality", "billing_period", "installations_allowed", "activation_date", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    BILLING_PERIOD_FIELD_NUMBER: _ClassVar[int]
    INSTALLATIONS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    product_code: str
    version: str
    users: int
    modality: _subscription_pb2.Modality
    billing_period: _subscription_pb2.BillingPeriod
    installations_allowed: int
    activation_date: _date_pb2.Date
    request_id: str
    def __init__(self, account_id: _Optional[str] = ..., product_code: _Optional[str] = ..., version: _Optional[str] = ..., users: _Optional[int] = ..., modality: _Optional[_Union[_subscription_pb2.Modality, str]] = ..., billing_period: _Optional[_Union[_subscription_pb2.BillingPeriod, str]] = ..., installations_allowed: _Optional[int] = ..., activation_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class RecordPaymentRequest(_message.Message):
    __slots__ = ("serial_number", "request_id", "payment_reference")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    request_id: str
    payment_reference: str
    def __init__(self, serial_number: _Optional[str] = ..., request_id: _Optional[str] = ..., payment_reference: _Optional[str] = ...) -> None: ...

class RecordPaymentResponse(_message.Message):
    __slots__ = ("subscription", "previous_next_payment_date")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_NEXT_PAYMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    previous_next_payment_date: _date_pb2.Date
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ..., previous_next_payment_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class SuspendSubscriptionRequest(_message.Message):
    __slots__ = ("serial_number", "reason", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    reason: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SuspendSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class ReinstateSubscriptionRequest(_message.Message):
    __slots__ = ("serial_number", "reason", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    reason: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReinstateSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class ChangeSeatsRequest(_message.Message):
    __slots__ = ("serial_number", "users", "installations_allowed", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    INSTALLATIONS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    users: int
    installations_allowed: int
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., users: _Optional[int] = ..., installations_allowed: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class ChangeSeatsResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class LookupSerialRequest(_message.Message):
    __slots__ = ("serial_number",)
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    def __init__(self, serial_number: _Optional[str] = ...) -> None: ...

class LookupSerialResponse(_message.Message):
    __slots__ = ("subscription", "account", "predecessors", "successors", "recent_events", "accepted_terms_id", "activations", "seats_in_use", "transfers_remaining", "cloned_activations")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PREDECESSORS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSORS_FIELD_NUMBER: _ClassVar[int]
    RECENT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_TERMS_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    SEATS_IN_USE_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    CLONED_ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    account: _account_pb2.Account
    predecessors: _containers.RepeatedCompositeFieldContainer[_subscription_pb2.Subscription]
    successors: _containers.RepeatedCompositeFieldContainer[_subscription_pb2.Subscription]
    recent_events: _containers.RepeatedCompositeFieldContainer[_audit_event_pb2.AuditEvent]
    accepted_terms_id: str
    activations: _containers.RepeatedCompositeFieldContainer[_activation_pb2.Activation]
    seats_in_use: int
    transfers_remaining: int
    cloned_activations: _containers.RepeatedCompositeFieldContainer[_activation_pb2.ClonedActivations]
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ..., account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ..., predecessors: _Optional[_Iterable[_Union[_subscription_pb2.Subscription, _Mapping]]] = ..., successors: _Optional[_Iterable[_Union[_subscription_pb2.Subscription, _Mapping]]] = ..., recent_events: _Optional[_Iterable[_Union[_audit_event_pb2.AuditEvent, _Mapping]]] = ..., accepted_terms_id: _Optional[str] = ..., activations: _Optional[_Iterable[_Union[_activation_pb2.Activation, _Mapping]]] = ..., seats_in_use: _Optional[int] = ..., transfers_remaining: _Optional[int] = ..., cloned_activations: _Optional[_Iterable[_Union[_activation_pb2.ClonedActivations, _Mapping]]] = ...) -> None: ...

class StartPasswordResetRequest(_message.Message):
    __slots__ = ("account_id", "username", "request_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    username: str
    request_id: str
    def __init__(self, account_id: _Optional[str] = ..., username: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartPasswordResetResponse(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: str
    def __init__(self, email: _Optional[str] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "account_id", "serial_number", "kind", "start_time", "end_time")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    account_id: str
    serial_number: str
    kind: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., account_id: _Optional[str] = ..., serial_number: _Optional[str] = ..., kind: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("audit_events", "next_page_token")
    AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    audit_events: _containers.RepeatedCompositeFieldContainer[_audit_event_pb2.AuditEvent]
    next_page_token: str
    def __init__(self, audit_events: _Optional[_Iterable[_Union[_audit_event_pb2.AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WebhookEndpoint(_message.Message):
    __slots__ = ("endpoint_id", "url", "event_types", "description", "create_time", "created_by")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    description: str
    create_time: _timestamp_pb2.Timestamp
    created_by: str
    def __init__(self, endpoint_id: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class CreateWebhookEndpointRequest(_message.Message):
    __slots__ = ("url", "event_types", "description", "request_id")
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    description: str
    request_id: str
    def __init__(self, url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateWebhookEndpointResponse(_message.Message):
    __slots__ = ("endpoint", "signing_secret")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    endpoint: WebhookEndpoint
    signing_secret: str
    def __init__(self, endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., signing_secret: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsResponse(_message.Message):
    __slots__ = ("endpoints", "next_page_token")
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    endpoints: _containers.RepeatedCompositeFieldContainer[WebhookEndpoint]
    next_page_token: str
    def __init__(self, endpoints: _Optional[_Iterable[_Union[WebhookEndpoint, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteWebhookEndpointRequest(_message.Message):
    __slots__ = ("endpoint_id", "request_id")
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    endpoint_id: str
    request_id: str
    def __init__(self, endpoint_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteWebhookEndpointResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AdminServiceReleaseActivationRequest(_message.Message):
    __slots__ = ("serial_number", "activation_id", "reason", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    activation_id: str
    reason: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., activation_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AdminServiceReleaseActivationResponse(_message.Message):
    __slots__ = ("activation", "transfers_remaining")
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    activation: _activation_pb2.Activation
    transfers_remaining: int
    def __init__(self, activation: _Optional[_Union[_activation_pb2.Activation, _Mapping]] = ..., transfers_remaining: _Optional[int] = ...) -> None: ...

class IssueUpgradeRequest(_message.Message):
    __slots__ = ("serial_number", "to_version", "kind", "new_modality", "billing_period", "order_reference", "overlap", "overlap_end_date", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NEW_MODALITY_FIELD_NUMBER: _ClassVar[int]
    BILLING_PERIOD_FIELD_NUMBER: _ClassVar[int]
    ORDER_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_END_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    to_version: str
    kind: UpgradeKind
    new_modality: _subscription_pb2.Modality
    billing_period: _subscription_pb2.BillingPeriod
    order_reference: str
    overlap: UpgradeOverlap
    overlap_end_date: _date_pb2.Date
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., to_version: _Optional[str] = ..., kind: _Optional[_Union[UpgradeKind, str]] = ..., new_modality: _Optional[_Union[_subscription_pb2.Modality, str]] = ..., billing_period: _Optional[_Union[_subscription_pb2.BillingPeriod, str]] = ..., order_reference: _Optional[str] = ..., overlap: _Optional[_Union[UpgradeOverlap, str]] = ..., overlap_end_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class IssueUpgradeResponse(_message.Message):
    __slots__ = ("subscription", "previous_subscription")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    previous_subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ..., previous_subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class ImportedActivation(_message.Message):
    __slots__ = ("hostname", "machine_fingerprint", "activate_time")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    ACTIVATE_TIME_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    machine_fingerprint: str
    activate_time: _timestamp_pb2.Timestamp
    def __init__(self, hostname: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ..., activate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ImportSubscriptionRequest(_message.Message):
    __slots__ = ("serial_number", "account_id", "product_code", "version", "users", "modality", "billing_period", "activation_date", "next_payment_date", "installations_allowed", "activations", "request_id", "validate_only")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    BILLING_PERIOD_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_DATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAYMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    INSTALLATIONS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    account_id: str
    product_code: str
    version: str
    users: int
    modality: _subscription_pb2.Modality
    billing_period: _subscription_pb2.BillingPeriod
    activation_date: _date_pb2.Date
    next_payment_date: _date_pb2.Date
    installations_allowed: int
    activations: _containers.RepeatedCompositeFieldContainer[ImportedActivation]
    request_id: str
    validate_only: bool
    def __init__(self, serial_number: _Optional[str] = ..., account_id: _Optional[str] = ..., product_code: _Optional[str] = ..., version: _Optional[str] = ..., users: _Optional[int] = ..., modality: _Optional[_Union[_subscription_pb2.Modality, str]] = ..., billing_period: _Optional[_Union[_subscription_pb2.BillingPeriod, str]] = ..., activation_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., next_payment_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., installations_allowed: _Optional[int] = ..., activations: _Optional[_Iterable[_Union[ImportedActivation, _Mapping]]] = ..., request_id: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ImportSubscriptionResponse(_message.Message):
    __slots__ = ("subscription", "already_imported")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ALREADY_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    already_imported: bool
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ..., already_imported: _Optional[bool] = ...) -> None: ...

class AdminServiceRedeemOfflineRequestRequest(_message.Message):
    __slots__ = ("request_code", "razon_social", "request_id")
    REQUEST_CODE_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_code: str
    razon_social: str
    request_id: str
    def __init__(self, request_code: _Optional[str] = ..., razon_social: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AdminServiceRedeemOfflineRequestResponse(_message.Message):
    __slots__ = ("activation", "signed_license", "response_text", "response_code")
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    SIGNED_LICENSE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TEXT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_CODE_FIELD_NUMBER: _ClassVar[int]
    activation: _activation_pb2.Activation
    signed_license: _activation_pb2.SignedLicense
    response_text: str
    response_code: str
    def __init__(self, activation: _Optional[_Union[_activation_pb2.Activation, _Mapping]] = ..., signed_license: _Optional[_Union[_activation_pb2.SignedLicense, _Mapping]] = ..., response_text: _Optional[str] = ..., response_code: _Optional[str] = ...) -> None: ...
