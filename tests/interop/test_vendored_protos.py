"""The Google protos vendored in third_party/googleapis (for buf and the Node.js
suite) are byte for byte those of the installed googleapis-common-protos, whose
generated code the server and the Python client run."""

from __future__ import annotations

import pathlib

import google.rpc.status_pb2
import pytest

from .conftest import REPO_ROOT

VENDORED = REPO_ROOT / "third_party" / "googleapis"
INSTALLED = pathlib.Path(google.rpc.status_pb2.__file__).resolve().parents[2]
FILES = sorted(p.relative_to(VENDORED).as_posix() for p in VENDORED.rglob("*.proto"))


def test_the_contracts_imports_are_vendored() -> None:
    assert FILES == [
        "google/rpc/error_details.proto",
        "google/rpc/status.proto",
        "google/type/date.proto",
    ]
    licence = (VENDORED / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence


@pytest.mark.parametrize("name", FILES)
def test_vendored_file_matches_the_installed_package(name: str) -> None:
    assert (VENDORED / name).read_bytes() == (INSTALLED / name).read_bytes(), (
        f"third_party/googleapis/{name} differs from googleapis-common-protos: copy it again"
    )
