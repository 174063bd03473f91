from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Account(_message.Message):
    __slots__ = ("account_id", "username", "email", "razon_social")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    RAZON_SOCIAL_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    username: str
    email: str
    razon_social: str
    def __init__(self, account_id: _Optional[str] = ..., username: _Optional[str] = ..., email: _Optional[str] = ..., razon_social: _Optional[str] = ...) -> None: ...
