import datetime

from aspel.licensing.v1 import activation_pb2 as _activation_pb2
from aspel.licensing.v1 import subscription_pb2 as _subscription_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActivateInstallationRequest(_message.Message):
    __slots__ = ("serial_number", "razon_social", "product_code", "version", "machine_fingerprint", "hostname", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    razon_social: str
    product_code: str
    version: str
    machine_fingerprint: str
    hostname: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., razon_social: _Optional[str] = ..., product_code: _Optional[str] = ..., version: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ..., hostname: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ActivateInstallationResponse(_message.Message):
    __slots__ = ("activation", "signed_license")
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    SIGNED_LICENSE_FIELD_NUMBER: _ClassVar[int]
    activation: _activation_pb2.Activation
    signed_license: _activation_pb2.SignedLicense
    def __init__(self, activation: _Optional[_Union[_activation_pb2.Activation, _Mapping]] = ..., signed_license: _Optional[_Union[_activation_pb2.SignedLicense, _Mapping]] = ...) -> None: ...

class ValidateLicenseRequest(_message.Message):
    __slots__ = ("serial_number", "activation_id", "machine_fingerprint")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    activation_id: str
    machine_fingerprint: str
    def __init__(self, serial_number: _Optional[str] = ..., activation_id: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ...) -> None: ...

class ValidateLicenseResponse(_message.Message):
    __slots__ = ("state", "retire_date", "signed_license", "successor_serial_number", "grace_end_time", "read_only", "message")
    STATE_FIELD_NUMBER: _ClassVar[int]
    RETIRE_DATE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_LICENSE_FIELD_NUMBER: _ClassVar[int]
    SUCCESSOR_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    GRACE_END_TIME_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    state: _subscription_pb2.SubscriptionState
    retire_date: _date_pb2.Date
    signed_license: _activation_pb2.SignedLicense
    successor_serial_number: str
    grace_end_time: _timestamp_pb2.Timestamp
    read_only: bool
    message: str
    def __init__(self, state: _Optional[_Union[_subscription_pb2.SubscriptionState, str]] = ..., retire_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., signed_license: _Optional[_Union[_activation_pb2.SignedLicense, _Mapping]] = ..., successor_serial_number: _Optional[str] = ..., grace_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read_only: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class DeactivateInstallationRequest(_message.Message):
    __slots__ = ("serial_number", "activation_id", "machine_fingerprint", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    activation_id: str
    machine_fingerprint: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., activation_id: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeactivateInstallationResponse(_message.Message):
    __slots__ = ("activation",)
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    activation: _activation_pb2.Activation
    def __init__(self, activation: _Optional[_Union[_activation_pb2.Activation, _Mapping]] = ...) -> None: ...

class ListSigningKeysRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSigningKeysResponse(_message.Message):
    __slots__ = ("signing_keys", "next_page_token")
    SIGNING_KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signing_keys: _containers.RepeatedCompositeFieldContainer[_activation_pb2.SigningKey]
    next_page_token: str
    def __init__(self, signing_keys: _Optional[_Iterable[_Union[_activation_pb2.SigningKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
