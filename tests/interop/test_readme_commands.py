"""The README's shell commands work as written.

The extractor (sections, fenced blocks, commands) and the runner (one bash, in
order, as a reader pastes them) serve every README test: here the `buf curl`
commands of "Debugging with grpcurl" after that section's first block (PATH,
venv, ADDR, SVC), and every other sh block that can run on this machine; the
grpcurl commands in test_grpcurl.py, the Python snippets in
test_readme_snippets.py. A block that cannot run here is listed in NOT_RUN
with the reason, and a test fails on a block that is neither.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from aspel.licensing.server.app import create_server
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.signing import read_key_file
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import Subscription
from tests.conftest import RunningServer
from tests.integration.activation.conftest import active_activations, demo_serial

from .conftest import REPO_ROOT

SECTION = "## Debugging with grpcurl"
MAKE_RUN_ADDRESS = "127.0.0.1:50051"
BASH = shutil.which("bash") or "/bin/bash"


def readme_section(title: str) -> str:
    """The text of one README section, its subsections included."""
    readme = (REPO_ROOT / "README.md").read_text()
    return readme.split(f"\n{title}\n", 1)[1].split("\n## ", 1)[0]


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of one language (```sh, ```python) in a README text."""
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def shell_blocks(section: str) -> list[str]:
    return code_blocks(section, "sh")


def readme_commands(section: str, tool: str) -> list[str]:
    """The `tool` commands of a README section, in order: the table cells that
    hold one command each, then the lines of its sh blocks (continuations
    joined, comments dropped), including `VAR=$(tool ...)` assignments."""
    commands = re.findall(rf"\| `({tool} [^`]+)` \|", section)
    for block in shell_blocks(section):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if re.match(rf"(\w+=\$\()?{tool} ", line):
                commands.append(re.sub(r"\s+", " ", line))
    return commands


def debugging_prelude(address: str) -> list[str]:
    """The first block of "Debugging with grpcurl" (PATH, the venv, ADDR, SVC),
    with the test server's address for `make run`'s; it runs in the repo root."""
    first = shell_blocks(readme_section(SECTION))[0]
    return [c.replace(MAKE_RUN_ADDRESS, address) for c in block_commands(first)]


def readme_buf_commands() -> list[str]:
    return readme_commands(readme_section(SECTION), "buf curl")


def block_commands(block: str) -> list[str]:
    """A sh block's commands as bash reads them: continuations joined, comment
    lines and trailing comments dropped."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = re.sub(r"(^|\s+)#.*$", "", line).strip()
        if line:
            commands.append(re.sub(r"\s+", " ", line))
    return commands


def run_commands(
    commands: list[str],
    env: dict[str, str],
    tmp_path: pathlib.Path,
    keep: tuple[str, ...] = (),
    *,
    cwd: pathlib.Path | None = None,
    typed: Callable[[str], str] | None = None,
) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """Runs the commands in order in one bash, as a reader pastes them; returns
    each one's (exit status, stdout + stderr) and the values of `keep` after.

    `typed(command)` is what the reader types at that command's prompts (its
    stdin; none by default). Bash runs in a session of its own, without a
    terminal, so password prompts read stdin too."""
    script = ["set -u"]
    for i, command in enumerate(commands):
        (tmp_path / f"in.{i}").write_text(typed(command) if typed else "")
        script.append(
            f"{{ {command} ; }} <{tmp_path}/in.{i} >{tmp_path}/out.{i} 2>{tmp_path}/err.{i}"
        )
        script.append(f"echo $? >{tmp_path}/rc.{i}")
    for name in keep:
        script.append(f'printf %s "${{{name}-}}" >{tmp_path}/var.{name}')
    subprocess.run(
        [BASH, "-c", "\n".join(script)],
        env={**os.environ, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        check=True,
        timeout=300,
    )
    results = [
        (
            int((tmp_path / f"rc.{i}").read_text()),
            (tmp_path / f"out.{i}").read_text() + (tmp_path / f"err.{i}").read_text(),
        )
        for i in range(len(commands))
    ]
    return results, {name: (tmp_path / f"var.{name}").read_text() for name in keep}


def fake_jq(bin_dir: pathlib.Path) -> None:
    """`jq -r .field` for machines without jq (the README uses it)."""
    script = bin_dir / "jq"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "print(json.load(sys.stdin)[sys.argv[-1].lstrip('.')])\n"
    )
    script.chmod(0o755)


def test_the_readme_lists_the_buf_curl_commands() -> None:
    commands = readme_buf_commands()
    joined = "\n".join(commands)
    for needed in ("--list-services", "--list-methods", "Health/Check", "Authenticate"):
        assert needed in joined
    assert "authorization: Bearer $TOKEN" in joined
    assert "decode_status" in joined


def test_the_readmes_buf_curl_commands_work_as_written(
    server: Any, buf: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    commands = [*debugging_prelude(server.address), *readme_buf_commands()]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if shutil.which("jq") is None:
        fake_jq(bin_dir)
    # buf and the venv come from the prelude's own PATH lines.
    path = os.pathsep.join([str(bin_dir), os.environ["PATH"]])
    results, kept = run_commands(
        commands, {"PATH": path}, tmp_path, keep=("ADDR", "SVC"), cwd=REPO_ROOT
    )

    assert kept == {"ADDR": server.address, "SVC": "aspel.licensing.v1.LicensingService"}
    for command, (rc, output) in zip(commands, results, strict=True):
        if command.endswith("/ListSubscriptions") and "authorization" not in command:
            assert rc == 16 << 3, f"{command}\n{output}"  # UNAUTHENTICATED, as the README says
        else:
            assert rc == 0, f"{command}\n{output}"
        if "authorization: Bearer" in command:
            assert '"serialNumber"' in output
        if "decode_status" in command:
            assert '"reason": "SESSION_INVALID"' in output


# --- every other sh block of the README ---------------------------------------
#
# Each runs as written in a folder of its own (`.venv` there links to the
# repository's, so `. .venv/bin/activate` works), against the test server:
# ASPEL_LICENSING_SERVER, the key file and the database are the server's, and
# the placeholder serial XXXXX-XXXXX-XXXXX is demo's SAE 7.0.

PLACEHOLDER_SERIAL = "XXXXX-XXXXX-XXXXX"
VENV = pathlib.Path(sys.executable).parent.parent

# The blocks no test runs, by their first line, and why.
NOT_RUN = {
    "make run": "serves in the foreground on the fixed port; the suite starts its own servers",
    "ASPEL_LICENSING_REFLECTION=0 ASPEL_LICENSING_INTERNAL_LISTEN=10.0.0.5:50052 \\": (
        "listens on addresses that are not this machine's; test_reflection_ports.py runs the same"
    ),
    "make lint-proto": "the targets of `make test` itself",
    "aspel-licensing-admin webhooks create https://crm.aspel.internal/eventos --event payment. "
    "--event subscription.": (
        "posts to a host of Aspel's network; test_admin_webhooks.py runs the same commands "
        "against a local receiver"
    ),
    "aspel-licensing-server import series.csv --dry-run": (
        "reads a CSV of the reader's own accounts; test_admin_import.py runs both import "
        "commands on such a file"
    ),
    "aspel-licensing offline-request ABCDE-12345-FGH7K --product COI --version 9.0 \\": (
        "the offline machine's side; test_offline_cli.py runs the same commands"
    ),
    "aspel-licensing login demo": (
        "redeeming needs the offline machine's request; test_offline_cli.py runs the same"
    ),
    "aspel-licensing offline-install ABCDE-12345-FGH7K.respuesta.txt --pinned-keys keys.json": (
        "needs the redeemed answer; test_offline_cli.py runs the same commands"
    ),
    'make bench BENCH_ARGS="--subscriptions 1000,1000000 --workers 1,2 --repeat 3 '
    '--output-dir var/bench/sqlite"': "an hour of load; tests/bench runs a short bench",
}
# The blocks run, by section and position: here, in test_grpcurl.py, and by the
# buf curl test above.
RUN = {
    ("## Try it with the client CLI", 0),
    ("## Try it with grpcurl", 0),
    (SECTION, 0),
    (SECTION, 1),
    (SECTION, 2),
    ("## Installer activation", 0),
    ("## Installer activation", 1),
    ("## Internal services (AdminService)", 0),
    ("## Internal services (AdminService)", 1),
}


def all_sh_blocks() -> list[tuple[str, str]]:
    """(section title, block) for every sh block of the README."""
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = []
    for part in readme.split("\n## ")[1:]:
        title = "## " + part.split("\n", 1)[0]
        blocks.extend((title, block) for block in shell_blocks(part))
    return blocks


@dataclass
class Shell:
    """Runs README blocks as a reader would, against the test server."""

    server: RunningServer
    settings: Settings
    folder: pathlib.Path

    def run(
        self, section: str, index: int = 0, typed: Callable[[str], str] | None = None
    ) -> list[tuple[str, int, str]]:
        serial = demo_serial(self.server, "demo", "SAE").serial_number
        block = shell_blocks(readme_section(section))[index]
        commands = [c.replace(PLACEHOLDER_SERIAL, serial) for c in block_commands(block)]
        return self.run_commands(commands, typed=typed)

    def run_commands(
        self,
        commands: list[str],
        typed: Callable[[str], str] | None = None,
        **env: str,
    ) -> list[tuple[str, int, str]]:
        home = self.folder / "home"
        home.mkdir(exist_ok=True)
        runs = self.folder / f"runs-{len(list(self.folder.glob('runs-*')))}"
        runs.mkdir()
        results, _ = run_commands(
            commands,
            {
                # Blocks after a section's first one expect the venv active.
                "PATH": os.pathsep.join([str(VENV / "bin"), os.environ["PATH"]]),
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "ASPEL_LICENSING_SERVER": self.server.address,
                "ASPEL_LICENSING_DATABASE_URL": self.settings.database_url,
                "ASPEL_LICENSING_SIGNING_KEY_FILE": self.settings.signing_key_file,
                "ASPEL_LICENSING_TRUSTED_TIME_FILE": str(self.folder / "trusted-time.json"),
                **env,
            },
            runs,
            cwd=self.folder,
            typed=typed,
        )
        return [(c, rc, out) for c, (rc, out) in zip(commands, results, strict=True)]


def reader_folder(tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / ".venv").symlink_to(VENV)
    return folder


@pytest.fixture
def shell(
    server: RunningServer, settings: Settings, clock: FixedClock, tmp_path: pathlib.Path
) -> Shell:
    # `verify` reads this computer's clock: the server's starts there too.
    clock.set(dt.datetime.now(dt.UTC).replace(microsecond=0))
    return Shell(server, settings, reader_folder(tmp_path))


@pytest.fixture
def bare_shell(settings: Settings, clock: FixedClock, tmp_path: pathlib.Path) -> Iterator[Shell]:
    """A shell on a server with an empty database: "a customer from nothing"."""
    grpc_server, port, services = create_server(settings, clock)
    grpc_server.start()
    address = f"127.0.0.1:{port}"
    channel = grpc.insecure_channel(address)
    try:
        yield Shell(RunningServer(address, channel, services), settings, reader_folder(tmp_path))
    finally:
        channel.close()
        grpc_server.stop(None).wait()
        services.store.close()


def all_succeeded(results: list[tuple[str, int, str]]) -> None:
    for command, rc, output in results:
        assert rc == 0, f"{command}\n{output}"


def test_every_sh_block_of_the_readme_is_run_or_says_why_not() -> None:
    seen: dict[str, int] = {}
    found = set()
    for title, block in all_sh_blocks():
        index = seen[title] = seen.get(title, -1) + 1
        first = block.splitlines()[0].split("  #")[0].strip()
        found.add((title, index))
        assert (title, index) in RUN or first in NOT_RUN, (title, index, first)
    assert found >= RUN


def test_the_client_cli_tour_works_as_written(shell: Shell) -> None:
    def typed(command: str) -> str:
        if command.startswith("aspel-licensing login"):
            return "demo-aspel-2026\n"  # the password prompt
        if command.startswith("aspel-licensing upgrade"):
            return "s\n"  # "¿Aceptas los términos? [s/N]"
        return ""

    results = shell.run("## Try it with the client CLI", typed=typed)

    all_succeeded(results)
    sae = demo_serial(shell.server, "demo", "SAE")
    listed = next(out for c, _, out in results if c.endswith(" subscriptions"))
    assert sae.serial_number in listed
    with shell.server.services.store.connection():
        assert Subscription.get_or_none(Subscription.predecessor == sae.row_id) is not None
    assert not (shell.folder / "home" / ".config" / "aspel-licensing" / "session.json").exists()


def test_the_installer_activation_flow_works_as_written(shell: Shell) -> None:
    results = shell.run("## Installer activation")

    all_succeeded(results)
    sae = demo_serial(shell.server, "demo", "SAE")
    assert json.loads((shell.folder / "pinned-keys.json").read_text())
    assert (shell.folder / f"{sae.serial_number}.lic").exists()
    # The last command freed the seat.
    assert active_activations(shell.server, sae.row_id) == 0
    assert [c.split()[1] for c, _, _ in results if c.startswith("aspel-licensing ")] == [
        "activate",
        "verify",
        "validate",
        "deactivate",
        "inspect",
        "armor",
    ]


def test_the_signing_key_commands_work_as_written(shell: Shell, tmp_path: pathlib.Path) -> None:
    # A key file of their own: `rotate` must not retire the server's key.
    key_file = tmp_path / "keys" / "signing-keys.json"
    key_file.parent.mkdir()
    shell.settings = dataclasses.replace(shell.settings, signing_key_file=str(key_file))

    results = shell.run("## Installer activation", index=1)

    all_succeeded(results)
    assert len(read_key_file(key_file).public_keys()) == 2  # generated, then rotated
    listed = results[-1][2]
    assert all(v.key_id in listed for v in read_key_file(key_file).public_keys())


def test_the_service_key_commands_work_as_written(shell: Shell) -> None:
    results = shell.run("## Internal services (AdminService)")

    all_succeeded(results)
    created = [out for c, _, out in results if " create " in c]
    assert len(created) == 2 and all("alsvc_" in out for out in created)
    assert "soporte" in next(out for c, _, out in results if c.endswith(" list"))


SERIAL = re.compile(r"\b[0-9A-HJKMNP-TV-Y]{5}-[0-9A-HJKMNP-TV-Y]{5}-[0-9A-HJKMNP-TV-Y]{5}\b")


def test_the_admin_cli_story_works_as_written(bare_shell: Shell) -> None:
    """The admin CLI block, one command at a time as a reader runs it, putting in
    the key, account id and serial that the commands before printed."""
    (key_created,) = bare_shell.run_commands(
        [
            "aspel-licensing-server service-keys create readme-admin"
            " --scope billing --scope catalog --scope support"
        ]
    )
    found = {"alsvc_...": re.findall(r"alsvc_[\w-]+", key_created[2])[0]}
    (bare_shell.folder / "clausulas.txt").write_text(
        "Primera cláusula: la versión nueva reemplaza a la anterior.\n\n"
        "Segunda cláusula: el número de serie anterior deja de funcionar.\n"
    )
    env = {"ADDR": bare_shell.server.address}
    block = shell_blocks(readme_section("## Internal services (AdminService)"))[1]
    results = []
    for command in block_commands(block):
        for placeholder, value in found.items():
            command = command.replace(placeholder, value)
        if command.startswith("export "):
            name, _, value = command.removeprefix("export ").partition("=")
            env[name] = value
            continue
        ((_, rc, output),) = bare_shell.run_commands([command], **env)
        assert rc == 0, f"{command}\n{output}"
        results.append((command, output))
        if " create-account " in command:
            found["acc_..."] = re.findall(r"acc_[0-9a-f]+", output)[0]
        if " create-subscription " in command:
            found["XXXXX-XXXXX-XXXXX"] = SERIAL.findall(output)[0]

    assert env["ASPEL_LICENSING_ADMIN_KEY"].startswith("alsvc_")
    serial = found["XXXXX-XXXXX-XXXXX"]
    assert [c.split()[1] for c, _ in results if c.startswith("aspel-licensing-admin")] == [
        "publish-release",
        "publish-release",
        "publish-terms",
        "create-account",
        "create-subscription",
        "record-payment",
        "lookup",
        "events",
    ]
    lookup = json.loads(results[-1][1])  # grpcurl's LookupSerial
    assert lookup["subscription"]["serialNumber"] == serial
    assert lookup["account"]["username"] == "ferreteria"
