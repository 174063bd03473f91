import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Release(_message.Message):
    __slots__ = ("product_code", "product_name", "version", "upgrade_from_versions", "download_url", "publish_time")
    PRODUCT_CODE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_FROM_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    DOWNLOAD_URL_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    product_code: str
    product_name: str
    version: str
    upgrade_from_versions: _containers.RepeatedScalarFieldContainer[str]
    download_url: str
    publish_time: _timestamp_pb2.Timestamp
    def __init__(self, product_code: _Optional[str] = ..., product_name: _Optional[str] = ..., version: _Optional[str] = ..., upgrade_from_versions: _Optional[_Iterable[str]] = ..., download_url: _Optional[str] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
