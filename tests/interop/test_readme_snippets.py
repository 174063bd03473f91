"""Every Python snippet of the README runs as written against the real server.

Each snippet is checked by ruff's pyflakes rules (no undefined or unused name)
and run by the repository's Python in a folder of its own, with the server's
address in place of `make run`'s 127.0.0.1:50051 and, for the activation
wizard's `input()`, the serial and razón social on stdin.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from aspel.licensing.server import cli as server_cli
from aspel.licensing.server.domain import events
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.settings import Settings
from tests.conftest import RunningServer
from tests.integration.activation.conftest import active_activations, demo_serial

from .conftest import REPO_ROOT
from .test_readme_commands import code_blocks

MAKE_RUN_ADDRESS = "127.0.0.1:50051"
RUFF = pathlib.Path(sys.executable).parent / "ruff"
PORTAL = "from aspel.licensing.client import LicensingClient"
INSTALLER = "from aspel.licensing.client.activation import"
WEBHOOK_RECEIVER = "import hashlib"


def snippets() -> list[str]:
    return code_blocks((REPO_ROOT / "README.md").read_text(), "python")


def snippet(first_line: str) -> str:
    (found,) = [s for s in snippets() if s.startswith(first_line)]
    return found


def run_snippet(
    code: str, server: RunningServer, cwd: pathlib.Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code.replace(MAKE_RUN_ADDRESS, server.address)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(autouse=True)
def real_time(clock: FixedClock) -> None:
    """verify_license reads this computer's clock, so the server's starts there too."""
    clock.set(dt.datetime.now(dt.UTC).replace(microsecond=0))


def test_every_python_snippet_is_one_this_suite_runs() -> None:
    firsts = sorted(s.splitlines()[0] for s in snippets())
    assert len(firsts) == 3
    assert firsts[0].startswith(PORTAL) and firsts[1].startswith(INSTALLER)
    assert firsts[2] == WEBHOOK_RECEIVER


def test_the_webhook_verification_snippet_accepts_the_servers_signature_only() -> None:
    """The README's receiver code against the server's own signing (domain/events.py)."""
    namespace: dict[str, Any] = {}
    exec(compile(snippet(WEBHOOK_RECEIVER), "README.md", "exec"), namespace)  # noqa: S102
    verify = namespace["verify"]
    secret, body, timestamp = "whsec_abc", '{"id":"evt_1","type":"payment.recorded"}', 1_800_000_000
    headers = {
        events.TIMESTAMP_HEADER: str(timestamp),
        events.SIGNATURE_HEADER: events.signature(secret, timestamp, body),
    }
    assert verify(secret, headers, body.encode(), now=timestamp + 10)["id"] == "evt_1"
    for bad in (
        lambda: verify("whsec_other", headers, body.encode(), now=timestamp),
        lambda: verify(secret, headers, body.encode() + b" ", now=timestamp),
        lambda: verify(secret, headers, body.encode(), now=timestamp + 301),
    ):
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize("index", range(3))
def test_a_snippet_uses_only_names_it_defines_or_imports(
    index: int, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / f"snippet_{index}.py"
    path.write_text(snippets()[index])
    checked = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "--select", "F", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_client_library_snippet_lists_and_upgrades_the_demo_serials(
    server: RunningServer, tmp_path: pathlib.Path
) -> None:
    serials = [demo_serial(server, "demo", p).serial_number for p in ("SAE", "CAJA", "COI", "NOI")]

    result = run_snippet(snippet(PORTAL), server, tmp_path)

    assert result.returncode == 0, result.stderr
    for serial in serials:
        assert serial in result.stdout
    lines = result.stdout.splitlines()
    assert sum(line.startswith("  -> ") for line in lines) == 2  # SAE 8.0, CAJA 5.0
    assert "UPGRADE_REQUIRES_PURCHASE" in result.stdout  # COI
    assert "NO_UPGRADE_AVAILABLE" in result.stdout  # NOI


def test_the_activation_snippet_activates_and_verifies_a_licence(
    server: RunningServer,
    settings: Settings,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = server_cli.main(
        ["--signing-key-file", settings.signing_key_file, "keys", "list", "--json"]
    )
    assert code == 0
    (tmp_path / "pinned-keys.json").write_text(capsys.readouterr().out)
    sae = demo_serial(server, "demo", "SAE")

    result = run_snippet(
        snippet(INSTALLER), server, tmp_path, stdin=f"{sae.serial_number}\n{sae.razon_social}\n"
    )

    assert result.returncode == 0, result.stderr
    assert "FULL Licencia vigente." in result.stdout
    assert f"{sae.serial_number} válida hasta" in result.stdout
    assert active_activations(server, sae.row_id) == 1
    assert (tmp_path / "trusted-time.json").exists()
