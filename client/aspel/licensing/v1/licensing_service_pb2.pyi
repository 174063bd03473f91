import datetime

from aspel.licensing.v1 import account_pb2 as _account_pb2
from aspel.licensing.v1 import activation_pb2 as _activation_pb2
from aspel.licensing.v1 import subscription_pb2 as _subscription_pb2
from aspel.licensing.v1 import upgrade_terms_pb2 as _upgrade_terms_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthenticateRequest(_message.Message):
    __slots__ = ("username", "password")
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    username: str
    password: str
    def __init__(self, username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("session_token", "expire_time", "account")
    SESSION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    session_token: str
    expire_time: _timestamp_pb2.Timestamp
    account: _account_pb2.Account
    def __init__(self, session_token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ...) -> None: ...

class SignOutRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignOutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSubscriptionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSubscriptionsResponse(_message.Message):
    __slots__ = ("subscriptions", "next_page_token")
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subscriptions: _containers.RepeatedCompositeFieldContainer[_subscription_pb2.Subscription]
    next_page_token: str
    def __init__(self, subscriptions: _Optional[_Iterable[_Union[_subscription_pb2.Subscription, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetSubscriptionRequest(_message.Message):
    __slots__ = ("serial_number",)
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    def __init__(self, serial_number: _Optional[str] = ...) -> None: ...

class GetSubscriptionResponse(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class GetUpgradeTermsRequest(_message.Message):
    __slots__ = ("serial_number",)
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    def __init__(self, serial_number: _Optional[str] = ...) -> None: ...

class GetUpgradeTermsResponse(_message.Message):
    __slots__ = ("upgrade_terms",)
    UPGRADE_TERMS_FIELD_NUMBER: _ClassVar[int]
    upgrade_terms: _upgrade_terms_pb2.UpgradeTerms
    def __init__(self, upgrade_terms: _Optional[_Union[_upgrade_terms_pb2.UpgradeTerms, _Mapping]] = ...) -> None: ...

class AcceptUpgradeRequest(_message.Message):
    __slots__ = ("serial_number", "terms_id", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TERMS_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    terms_id: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., terms_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcceptUpgradeResponse(_message.Message):
    __slots__ = ("subscription", "previous_subscription")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: _subscription_pb2.Subscription
    previous_subscription: _subscription_pb2.Subscription
    def __init__(self, subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ..., previous_subscription: _Optional[_Union[_subscription_pb2.Subscription, _Mapping]] = ...) -> None: ...

class RequestPasswordResetRequest(_message.Message):
    __slots__ = ("email_or_username", "request_id")
    EMAIL_OR_USERNAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    email_or_username: str
    request_id: str
    def __init__(self, email_or_username: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RequestPasswordResetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetPasswordRequest(_message.Message):
    __slots__ = ("reset_token", "new_password", "request_id")
    RESET_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    reset_token: str
    new_password: str
    request_id: str
    def __init__(self, reset_token: _Optional[str] = ..., new_password: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ResetPasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListActivationsRequest(_message.Message):
    __slots__ = ("serial_number", "page_size", "page_token")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    page_size: int
    page_token: str
    def __init__(self, serial_number: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListActivationsResponse(_message.Message):
    __slots__ = ("activations", "next_page_token")
    ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    activations: _containers.RepeatedCompositeFieldContainer[_activation_pb2.Activation]
    next_page_token: str
    def __init__(self, activations: _Optional[_Iterable[_Union[_activation_pb2.Activation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReleaseActivationRequest(_message.Message):
    __slots__ = ("serial_number", "activation_id", "request_id")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    activation_id: str
    request_id: str
    def __init__(self, serial_number: _Optional[str] = ..., activation_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReleaseActivationResponse(_message.Message):
    __slots__ = ("activation", "transfers_remaining")
    ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    activation: _activation_pb2.Activation
    transfers_remaining: int
    def __init__(self, activation: _Optional[_Union[_activation_pb2.Activation, _Mapping]] = ..., transfers_remaining: _Optional[int] = ...) -> None: ...

class RedeemOfflineRequestRequest(_message.Message):
    __slots__ = ("request_code", "razon_social", "request_id")
    REQUEST_CODE_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_code: str
    razon_social: str
    request_id: str
    def __init__(self, request_code: _Optional[str] = ..., razon_social: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RedeemOfflineRequestResponse(_message.Message):
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
