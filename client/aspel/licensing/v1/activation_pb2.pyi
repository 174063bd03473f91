import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActivationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVATION_STATE_UNSPECIFIED: _ClassVar[ActivationState]
    ACTIVATION_STATE_ACTIVE: _ClassVar[ActivationState]
    ACTIVATION_STATE_RELEASE_PENDING: _ClassVar[ActivationState]
    ACTIVATION_STATE_RELEASED: _ClassVar[ActivationState]

class SigningKeyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNING_KEY_STATE_UNSPECIFIED: _ClassVar[SigningKeyState]
    SIGNING_KEY_STATE_ACTIVE: _ClassVar[SigningKeyState]
    SIGNING_KEY_STATE_RETIRED: _ClassVar[SigningKeyState]
ACTIVATION_STATE_UNSPECIFIED: ActivationState
ACTIVATION_STATE_ACTIVE: ActivationState
ACTIVATION_STATE_RELEASE_PENDING: ActivationState
ACTIVATION_STATE_RELEASED: ActivationState
SIGNING_KEY_STATE_UNSPECIFIED: SigningKeyState
SIGNING_KEY_STATE_ACTIVE: SigningKeyState
SIGNING_KEY_STATE_RETIRED: SigningKeyState

class Activation(_message.Message):
    __slots__ = ("activation_id", "serial_number", "machine_fingerprint", "create_time", "hostname", "product_code", "version", "deactivate_time", "state", "last_validate_time", "license_expire_time", "release_time", "seat_free_time", "machine_components", "installation_public_key")
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DEACTIVATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_VALIDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LICENSE_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    RELEASE_TIME_FIELD_NUMBER: _ClassVar[int]
    SEAT_FREE_TIME_FIELD_NUMBER: _ClassVar[int]
    MACHINE_COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    activation_id: str
    serial_number: str
    machine_fingerprint: str
    create_time: _timestamp_pb2.Timestamp
    hostname: str
    product_code: str
    version: str
    deactivate_time: _timestamp_pb2.Timestamp
    state: ActivationState
    last_validate_time: _timestamp_pb2.Timestamp
    license_expire_time: _timestamp_pb2.Timestamp
    release_time: _timestamp_pb2.Timestamp
    seat_free_time: _timestamp_pb2.Timestamp
    machine_components: _containers.RepeatedCompositeFieldContainer[MachineComponent]
    installation_public_key: bytes
    def __init__(self, activation_id: _Optional[str] = ..., serial_number: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hostname: _Optional[str] = ..., product_code: _Optional[str] = ..., version: _Optional[str] = ..., deactivate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[ActivationState, str]] = ..., last_validate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., license_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., release_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., seat_free_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., machine_components: _Optional[_Iterable[_Union[MachineComponent, _Mapping]]] = ..., installation_public_key: _Optional[bytes] = ...) -> None: ...

class LicenseCertificate(_message.Message):
    __slots__ = ("serial_number", "product_code", "version", "users", "razon_social", "machine_fingerprint", "activation_id", "issue_time", "expire_time", "retire_date", "grace_end_time", "read_only_access", "payment_overdue", "installation_public_key", "offline_request_nonce")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    RETIRE_DATE_FIELD_NUMBER: _ClassVar[int]
    GRACE_END_TIME_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_ACCESS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_REQUEST_NONCE_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    product_code: str
    version: str
    users: int
    razon_social: str
    machine_fingerprint: str
    activation_id: str
    issue_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    retire_date: _date_pb2.Date
    grace_end_time: _timestamp_pb2.Timestamp
    read_only_access: bool
    payment_overdue: bool
    installation_public_key: bytes
    offline_request_nonce: bytes
    def __init__(self, serial_number: _Optional[str] = ..., product_code: _Optional[str] = ..., version: _Optional[str] = ..., users: _Optional[int] = ..., razon_social: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ..., activation_id: _Optional[str] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., retire_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., grace_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., read_only_access: _Optional[bool] = ..., payment_overdue: _Optional[bool] = ..., installation_public_key: _Optional[bytes] = ..., offline_request_nonce: _Optional[bytes] = ...) -> None: ...

class SignedLicense(_message.Message):
    __slots__ = ("certificate", "signature", "key_id")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    certificate: bytes
    signature: bytes
    key_id: str
    def __init__(self, certificate: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class SigningKey(_message.Message):
    __slots__ = ("key_id", "public_key", "state", "create_time")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    public_key: bytes
    state: SigningKeyState
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., public_key: _Optional[bytes] = ..., state: _Optional[_Union[SigningKeyState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MachineComponent(_message.Message):
    __slots__ = ("kind", "digest")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    kind: str
    digest: str
    def __init__(self, kind: _Optional[str] = ..., digest: _Optional[str] = ...) -> None: ...

class DeactivationReceipt(_message.Message):
    __slots__ = ("activation_id", "serial_number", "sign_time", "signature")
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SIGN_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    activation_id: str
    serial_number: str
    sign_time: _timestamp_pb2.Timestamp
    signature: bytes
    def __init__(self, activation_id: _Optional[str] = ..., serial_number: _Optional[str] = ..., sign_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class ClonedActivations(_message.Message):
    __slots__ = ("activation_id", "other_activation_id", "shared_kinds")
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    OTHER_ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    SHARED_KINDS_FIELD_NUMBER: _ClassVar[int]
    activation_id: str
    other_activation_id: str
    shared_kinds: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, activation_id: _Optional[str] = ..., other_activation_id: _Optional[str] = ..., shared_kinds: _Optional[_Iterable[str]] = ...) -> None: ...

class OfflineActivationRequest(_message.Message):
    __slots__ = ("serial_number", "product_code", "version", "machine_fingerprint", "components", "installation_public_key", "nonce", "create_time_seconds", "activation_id", "machine_fingerprint_digest")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FINGERPRINT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    product_code: str
    version: str
    machine_fingerprint: str
    components: bytes
    installation_public_key: bytes
    nonce: bytes
    create_time_seconds: int
    activation_id: str
    machine_fingerprint_digest: bytes
    def __init__(self, serial_number: _Optional[str] = ..., product_code: _Optional[str] = ..., version: _Optional[str] = ..., machine_fingerprint: _Optional[str] = ..., components: _Optional[bytes] = ..., installation_public_key: _Optional[bytes] = ..., nonce: _Optional[bytes] = ..., create_time_seconds: _Optional[int] = ..., activation_id: _Optional[str] = ..., machine_fingerprint_digest: _Optional[bytes] = ...) -> None: ...

class SignedOfflineRequest(_message.Message):
    __slots__ = ("request", "signature")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    request: bytes
    signature: bytes
    def __init__(self, request: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...
