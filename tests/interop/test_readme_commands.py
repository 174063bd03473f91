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
from typing import Any

from .conftest import REPO_ROOT

SECTION = "## Debugging with grpcurl"
BASH = shutil.which("bash") or "/bin/bash"


def readme_buf_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    # Table cells hold one command each; code blocks may continue lines with `\`.
    commands = re.findall(r"\| `(buf curl [^`]+)` \|", section)
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if re.match(r"(\w+=\$\()?buf curl ", line):
                commands.append(re.sub(r"\s+", " ", line))
    return commands


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
    commands = readme_buf_commands()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if shutil.which("jq") is None:
        fake_jq(bin_dir)
    # Each command's output and exit status go to files named by its index.
    script = ["set -u"]
    for i, command in enumerate(commands):
        script.append(f"{{ {command} ; }} >{tmp_path}/out.{i} 2>{tmp_path}/err.{i}")
        script.append(f"echo $? >{tmp_path}/rc.{i}")
    path = os.pathsep.join(
        [
            str(buf.parent),
            str(pathlib.Path(sys.executable).parent),
            str(bin_dir),
            os.environ["PATH"],
        ]
    )
    subprocess.run(
        [BASH, "-c", "\n".join(script)],
        env={
            **os.environ,
            "PATH": path,
            "ADDR": server.address,
            "SVC": "aspel.licensing.v1.LicensingService",
        },
        check=True,
        timeout=300,
    )

    def result(i: int) -> tuple[int, str]:
        rc = int((tmp_path / f"rc.{i}").read_text())
        return rc, (tmp_path / f"out.{i}").read_text() + (tmp_path / f"err.{i}").read_text()

    for i, command in enumerate(commands):
        rc, output = result(i)
        if command.endswith("/ListSubscriptions") and "authorization" not in command:
            assert rc == 16 << 3, f"{command}\n{output}"  # UNAUTHENTICATED, as the README says
        else:
            assert rc == 0, f"{command}\n{output}"
        if "authorization: Bearer" in command:
            assert '"serialNumber"' in output
        if "decode_status" in command:
            assert '"reason": "SESSION_INVALID"' in output
