"""Fixtures of the interop suite: the repo's buf binary and `buf curl` on the real server."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BUF = pathlib.Path(
    os.environ.get("BUF") or REPO_ROOT / "tools" / "interop" / "node_modules" / ".bin" / "buf"
)
# The flags of a grpcurl-like call on a plaintext HTTP/2 gRPC port. No proto
# files are given: the schema comes from the server's reflection.
GRPC = ("--protocol", "grpc", "--http2-prior-knowledge")


@pytest.fixture(scope="session")
def buf() -> pathlib.Path:
    if not BUF.exists():
        pytest.skip(f"no buf at {BUF}: run `make tools` (make test and make interop do)")
    return BUF


@dataclass
class CurlResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error(self) -> Any:
        """The error JSON buf curl prints on stderr when the RPC fails."""
        return json.loads(self.stderr)

    @property
    def grpc_code(self) -> int:
        """buf curl exits with the gRPC status code shifted three bits to the left."""
        assert self.returncode & 0b111 == 0, self.stderr
        return self.returncode >> 3


BufCurl = Callable[..., CurlResult]


@pytest.fixture
def buf_curl(buf: pathlib.Path) -> BufCurl:
    """Runs `buf curl --protocol grpc --http2-prior-knowledge ARGS...`."""

    def run(*args: str) -> CurlResult:
        result = subprocess.run(
            [str(buf), "curl", *GRPC, *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return CurlResult(result.returncode, result.stdout, result.stderr)

    return run


@pytest.fixture
def engine() -> str:
    """The wire does not depend on the engine: the interop suite runs on SQLite only."""
    return "sqlite"
