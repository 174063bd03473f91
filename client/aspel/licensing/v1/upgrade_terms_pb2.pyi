from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class UpgradeTerms(_message.Message):
    __slots__ = ("terms_id", "serial_number", "product_code", "from_version", "to_version", "title", "clauses", "locale", "download_url", "introduction")
    TERMS_ID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CLAUSES_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_URL_FIELD_NUMBER: _ClassVar[int]
    INTRODUCTION_FIELD_NUMBER: _ClassVar[int]
    terms_id: str
    serial_number: str
    product_code: str
    from_version: str
    to_version: str
    title: str
    clauses: _containers.RepeatedScalarFieldContainer[str]
    locale: str
    download_url: str
    introduction: str
    def __init__(self, terms_id: _Optional[str] = ..., serial_number: _Optional[str] = ..., product_code: _Optional[str] = ..., from_version: _Optional[str] = ..., to_version: _Optional[str] = ..., title: _Optional[str] = ..., clauses: _Optional[_Iterable[str]] = ..., locale: _Optional[str] = ..., download_url: _Optional[str] = ..., introduction: _Optional[str] = ...) -> None: ...
