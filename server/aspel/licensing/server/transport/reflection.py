"""The descriptors that server reflection serves: the contract with its comments.

The generated _pb2 modules carry no source comments, so reflection from the
default pool shows support engineers bare types. scripts/gen_protos.py writes
`aspel/licensing/v1/descriptors.binpb` (with `--include_source_info`); this pool
answers grpc_reflection's lookups from it, so `grpcurl describe` prints each
RPC's documentation and its list of error reasons.

The pool behind it is protobuf's, but protobuf's C implementation (upb) drops
`source_code_info` when it turns a file back into a FileDescriptorProto, so the
files handed to reflection copy out the committed protos instead.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable
from typing import Any

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

DESCRIPTOR_SET = "descriptors.binpb"


class _DocumentedFile:
    """A FileDescriptor whose CopyToProto gives the proto with its comments."""

    def __init__(self, pool: DocumentedPool, file: descriptor.FileDescriptor) -> None:
        self._pool = pool
        self._file = file
        self.name: str = file.name

    @property
    def dependencies(self) -> list[_DocumentedFile]:
        return [self._pool.documented(d) for d in self._file.dependencies]

    def CopyToProto(self, proto: descriptor_pb2.FileDescriptorProto) -> None:
        proto.CopyFrom(self._pool.proto_of(self._file))


class DocumentedPool:
    """The lookups grpc_reflection makes of a DescriptorPool, over given files.

    Files found are returned with their source comments; the other lookups
    (messages, extensions) are the inner pool's own.
    """

    def __init__(self, files: Iterable[descriptor_pb2.FileDescriptorProto]) -> None:
        self._protos: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        self._pool = descriptor_pool.DescriptorPool()
        # A FileDescriptorSet lists every file after its imports.
        for proto in files:
            if proto.name not in self._protos:
                self._protos[proto.name] = proto
                self._pool.Add(proto)

    def documented(self, file: descriptor.FileDescriptor) -> _DocumentedFile:
        return _DocumentedFile(self, file)

    def proto_of(self, file: descriptor.FileDescriptor) -> descriptor_pb2.FileDescriptorProto:
        return self._protos[file.name]

    # The names grpc_reflection calls (it duck-types its `pool`).
    def FindFileByName(self, name: str) -> _DocumentedFile:
        return self.documented(self._pool.FindFileByName(name))

    def FindFileContainingSymbol(self, symbol: str) -> _DocumentedFile:
        try:
            return self.documented(self._pool.FindFileContainingSymbol(symbol))
        except KeyError:
            # upb does not look up members (`grpcurl describe Svc.Method`, or
            # `Message.field`): their file is their parent's.
            return self.documented(self._member_file(symbol))

    def _member_file(self, symbol: str) -> descriptor.FileDescriptor:
        parent, _, member = symbol.rpartition(".")
        try:
            service = self._pool.FindServiceByName(parent)
        except KeyError:
            message = self._pool.FindMessageTypeByName(parent)
            if member not in message.fields_by_name:
                raise KeyError(symbol) from None
            return message.file
        if member not in service.methods_by_name:
            raise KeyError(symbol)
        return service.file

    def FindMessageTypeByName(self, name: str) -> Any:
        return self._pool.FindMessageTypeByName(name)

    def FindExtensionByNumber(self, message: Any, number: int) -> Any:
        return self._pool.FindExtensionByNumber(message, number)

    def FindAllExtensions(self, message: Any) -> Any:
        return self._pool.FindAllExtensions(message)


def committed_descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """The FileDescriptorSet scripts/gen_protos.py commits beside the stubs."""
    data = (importlib.resources.files("aspel.licensing.v1") / DESCRIPTOR_SET).read_bytes()
    return descriptor_pb2.FileDescriptorSet.FromString(data)


def _file_proto(file: descriptor.FileDescriptor) -> descriptor_pb2.FileDescriptorProto:
    return descriptor_pb2.FileDescriptorProto.FromString(file.serialized_pb)


@functools.cache
def reflection_pool() -> DocumentedPool:
    """The contract (documented), the error details, and the health and
    reflection services themselves (from grpcio's modules, which import nothing)."""
    extra = [_file_proto(health_pb2.DESCRIPTOR), _file_proto(reflection_pb2.DESCRIPTOR)]
    return DocumentedPool([*committed_descriptor_set().file, *extra])
