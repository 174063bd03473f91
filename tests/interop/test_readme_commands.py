"""The `buf curl` commands of the README's "Debugging with grpcurl" section work
as written: each one is taken from README.md and run by bash, in order, against
the real server, with `ADDR` and `SVC` set as the README sets them."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

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
