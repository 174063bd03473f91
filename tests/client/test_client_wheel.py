"""What an installer vendor ships: the `aspel-licensing-client` wheel, built from
client/ and installed alone in a new virtualenv, with none of the server.

The wheel's `aspel-licensing` command then activates a serial against the real
server (started here from the repository's own environment) and verifies the
licence offline. Slow: it builds a wheel and fills a virtualenv from PyPI (at
the versions of constraints.txt).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from aspel.licensing.server import cli as server_cli
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.settings import Settings
from tests.conftest import RunningServer
from tests.integration.activation.conftest import demo_serial

pytestmark = pytest.mark.slow

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO_ROOT / "constraints.txt"
FINGERPRINT = "m1-wheel-test-machine"
# Bounds for each step; PyPI answers in seconds, the whole test in about a minute.
STEP_TIMEOUT = 600
SERVER_ONLY = ("peewee", "argon2-cffi", "psycopg", "psycopg-binary", "grpcio-reflection")


@dataclass(frozen=True)
class Venv:
    root: pathlib.Path
    env: dict[str, str]

    def bin(self, name: str) -> str:
        return str(self.root / "bin" / name)

    def run(self, *argv: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )


def checked(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A new virtualenv holding the client wheel and its dependencies only."""
    work = tmp_path_factory.mktemp("wheel")
    home = work / "home"
    home.mkdir()
    # Nothing of the repository's environment leaks in: no PYTHONPATH, a home
    # of its own (session and trusted-time files), this venv first on PATH.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    env.pop("ASPEL_LICENSING_PINNED_KEYS", None)
    env.pop("ASPEL_LICENSING_SERVER", None)
    # Built from a copy: setuptools builds in the source folder, and a stale
    # build/ left in the work tree could slip deleted modules into a wheel.
    source = work / "client"
    shutil.copytree(
        REPO_ROOT / "client", source, ignore=shutil.ignore_patterns("build", "*.egg-info")
    )
    wheels = work / "dist"
    checked(
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
                *("--wheel-dir", str(wheels), str(source)),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    )
    (wheel,) = wheels.glob("aspel_licensing_client-*.whl")
    root = work / "venv"
    checked(
        subprocess.run(
            [sys.executable, "-m", "venv", str(root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    )
    env["PATH"] = os.pathsep.join([str(root / "bin"), env.get("PATH", "")])
    venv = Venv(root, env)
    checked(
        venv.run(
            venv.bin("python"),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("-c", str(CONSTRAINTS), str(wheel)),
            cwd=work,
        )
    )
    yield venv


def test_the_client_wheel_installs_alone_with_consistent_requirements(
    client_venv: Venv, tmp_path: pathlib.Path
) -> None:
    checked(client_venv.run(client_venv.bin("python"), "-m", "pip", "check", cwd=tmp_path))
    listed = checked(
        client_venv.run(
            client_venv.bin("python"), "-m", "pip", "list", "--format", "json", cwd=tmp_path
        )
    )
    installed = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    assert "aspel-licensing-client" in installed
    assert not installed & {*SERVER_ONLY, "aspel-licensing-server"}


def test_the_client_wheel_has_no_server_code(client_venv: Venv, tmp_path: pathlib.Path) -> None:
    probe = (
        "import importlib.util, json\n"
        "import aspel.licensing.client, aspel.licensing.v1.activation_service_pb2 as pb\n"
        # Every module of the wheel imports with the client's dependencies alone.
        "import aspel.licensing.client.cli, aspel.licensing.client.admin_cli\n"
        "import aspel.licensing.client.decode_status, aspel.licensing.client.license_verification\n"
        "print(json.dumps({\n"
        "  'server': importlib.util.find_spec('aspel.licensing.server') is not None,\n"
        "  'client': aspel.licensing.client.__file__,\n"
        "  'version': aspel.licensing.client.__version__,\n"
        "  'services': list(pb.DESCRIPTOR.services_by_name),\n"
        "}))\n"
    )
    found = json.loads(
        checked(client_venv.run(client_venv.bin("python"), "-c", probe, cwd=tmp_path)).stdout
    )
    assert found["server"] is False
    assert found["client"].startswith(str(client_venv.root))  # the wheel's, not the repo's
    assert found["version"] == "0.1.0"
    assert found["services"] == ["ActivationService"]


@pytest.fixture
def now_clock(clock: FixedClock) -> FixedClock:
    """`verify` reads this computer's clock, so the server's starts there too."""
    clock.set(dt.datetime.now(dt.UTC).replace(microsecond=0))
    return clock


@pytest.fixture
def engine() -> str:
    return "sqlite"


def test_the_wheels_cli_activates_and_verifies_against_the_real_server(
    client_venv: Venv,
    now_clock: FixedClock,
    server: RunningServer,
    settings: Settings,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The pinned keys, exported by the operator with the server's own command.
    assert (
        server_cli.main(["--signing-key-file", settings.signing_key_file, "keys", "list", "--json"])
        == 0
    )
    keys = tmp_path / "pinned-keys.json"
    keys.write_text(capsys.readouterr().out)
    sae = demo_serial(server, "demo", "SAE")
    licence = tmp_path / "sae.lic"
    cli = client_venv.bin("aspel-licensing")
    # The latest server time seen, kept by `verify`, in this test's folder.
    client_venv.env["ASPEL_LICENSING_TRUSTED_TIME_FILE"] = str(tmp_path / "trusted.json")

    activated = client_venv.run(
        cli,
        *("--server", server.address, "activate", sae.serial_number),
        *("--razon-social", sae.razon_social, "--product", "SAE", "--version", "7.0"),
        *("--fingerprint", FINGERPRINT, "--output", str(licence), "--pinned-keys", str(keys)),
        cwd=tmp_path,
    )
    verify = (cli, "verify", str(licence), "--pinned-keys", str(keys))
    verified = client_venv.run(
        *verify, "--product", "SAE", "--version", "7.0", "--fingerprint", FINGERPRINT, cwd=tmp_path
    )
    elsewhere = client_venv.run(
        *verify, "--product", "SAE", "--version", "7.0", "--fingerprint", "m1-other", cwd=tmp_path
    )

    checked(activated)
    assert licence.exists()
    checked(verified)
    assert sae.serial_number in verified.stdout
    assert elsewhere.returncode != 0
    assert "FINGERPRINT_MISMATCH" in elsewhere.stdout + elsewhere.stderr
