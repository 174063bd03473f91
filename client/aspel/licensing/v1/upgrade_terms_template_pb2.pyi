import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpgradeTermsTemplate(_message.Message):
    __slots__ = ("template_id", "product_code", "to_version", "title", "clauses", "locale", "publish_time", "introduction")
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    CLAUSES_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    INTRODUCTION_FIELD_NUMBER: _ClassVar[int]
    template_id: str
    product_code: str
    to_version: str
    title: str
    clauses: _containers.RepeatedScalarFieldContainer[str]
    locale: str
    publish_time: _timestamp_pb2.Timestamp
    introduction: str
    def __init__(self, template_id: _Optional[str] = ..., product_code: _Optional[str] = ..., to_version: _Optional[str] = ..., title: _Optional[str] = ..., clauses: _Optional[_Iterable[str]] = ..., locale: _Optional[str] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., introduction: _Optional[str] = ...) -> None: ...
