"""The committed stubs of protos/: a `_pb2_grpc.py` only for a file with a service."""

from __future__ import annotations

import importlib
import pathlib

import aspel.licensing.v1

STUBS = pathlib.Path(aspel.licensing.v1.__file__).parent


def test_every_grpc_module_is_of_a_file_that_declares_a_service() -> None:
    grpc_modules = sorted(STUBS.glob("*_pb2_grpc.py"))
    assert grpc_modules
    for path in grpc_modules:
        messages = importlib.import_module(f"aspel.licensing.v1.{path.stem[: -len('_grpc')]}")
        services = messages.DESCRIPTOR.services_by_name
        assert services, f"{path.name} is generated for a file without a service"
        module = importlib.import_module(f"aspel.licensing.v1.{path.stem}")
        for name in services:
            assert hasattr(module, f"{name}Stub")


def test_every_file_with_a_service_has_its_grpc_module() -> None:
    for path in sorted(STUBS.glob("*_pb2.py")):
        messages = importlib.import_module(f"aspel.licensing.v1.{path.stem}")
        if messages.DESCRIPTOR.services_by_name:
            assert (STUBS / f"{path.stem}_grpc.py").exists(), path.name
