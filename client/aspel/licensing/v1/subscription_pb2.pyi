from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Modality(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODALITY_UNSPECIFIED: _ClassVar[Modality]
    MODALITY_SUBSCRIPTION: _ClassVar[Modality]
    MODALITY_PERPETUAL_LICENSE: _ClassVar[Modality]

class BillingPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BILLING_PERIOD_UNSPECIFIED: _ClassVar[BillingPeriod]
    BILLING_PERIOD_MONTHLY: _ClassVar[BillingPeriod]
    BILLING_PERIOD_SEMIANNUAL: _ClassVar[BillingPeriod]
    BILLING_PERIOD_ANNUAL: _ClassVar[BillingPeriod]

class SubscriptionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSCRIPTION_STATE_UNSPECIFIED: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_ACTIVE: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_SUPERSEDED: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_INACTIVE: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_SUSPENDED: _ClassVar[SubscriptionState]
    SUBSCRIPTION_STATE_OVERDUE: _ClassVar[SubscriptionState]
MODALITY_UNSPECIFIED: Modality
MODALITY_SUBSCRIPTION: Modality
MODALITY_PERPETUAL_LICENSE: Modality
BILLING_PERIOD_UNSPECIFIED: BillingPeriod
BILLING_PERIOD_MONTHLY: BillingPeriod
BILLING_PERIOD_SEMIANNUAL: BillingPeriod
BILLING_PERIOD_ANNUAL: BillingPeriod
SUBSCRIPTION_STATE_UNSPECIFIED: SubscriptionState
SUBSCRIPTION_STATE_ACTIVE: SubscriptionState
SUBSCRIPTION_STATE_SUPERSEDED: SubscriptionState
SUBSCRIPTION_STATE_INACTIVE: SubscriptionState
SUBSCRIPTION_STATE_SUSPENDED: SubscriptionState
SUBSCRIPTION_STATE_OVERDUE: SubscriptionState

class Subscription(_message.Message):
    __slots__ = ("serial_number", "product_code", "product_name", "version", "users", "activation_date", "next_payment_date", "modality", "billing_period", "state", "upgrade_available", "available_version", "successor_serial_number", "predecessor_serial_number", "retire_date", "installations_allowed")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_DATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAYMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    BILLING_PERIOD_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUCCESSOR_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREDECESSOR_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RETIRE_DATE_FIELD_NUMBER: _ClassVar[int]
    INSTALLATIONS_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    product_code: str
    product_name: str
    version: str
    users: int
    activation_date: _date_pb2.Date
    next_payment_date: _date_pb2.Date
    modality: Modality
    billing_period: BillingPeriod
    state: SubscriptionState
    upgrade_available: bool
    available_version: str
    successor_serial_number: str
    predecessor_serial_number: str
    retire_date: _date_pb2.Date
    installations_allowed: int
    def __init__(self, serial_number: _Optional[str] = ..., product_code: _Optional[str] = ..., product_name: _Optional[str] = ..., version: _Optional[str] = ..., users: _Optional[int] = ..., activation_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., next_payment_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., modality: _Optional[_Union[Modality, str]] = ..., billing_period: _Optional[_Union[BillingPeriod, str]] = ..., state: _Optional[_Union[SubscriptionState, str]] = ..., upgrade_available: _Optional[bool] = ..., available_version: _Optional[str] = ..., successor_serial_number: _Optional[str] = ..., predecessor_serial_number: _Optional[str] = ..., retire_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., installations_allowed: _Optional[int] = ...) -> None: ...
