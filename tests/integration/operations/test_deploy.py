"""deploy/: the systemd unit verifies and starts a real command; the
container's entrypoint migrates then serves, run here on a plain machine
(no container runtime runs on the test machines)."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from aspel.licensing.server.domain.signing import KeyFileError, generate_key_file, read_key_file

ROOT = pathlib.Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
BIN = pathlib.Path(sys.executable).parent
INSTALLED = "/opt/aspel-licensing/bin/"
SH = shutil.which("sh") or "/bin/sh"
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"


def _exec_lines(unit: str) -> list[str]:
    return re.findall(r"^Exec\w+=(.+)$", unit, re.M)


def test_the_unit_runs_the_installed_server_commands() -> None:
    unit = (DEPLOY / "aspel-licensing.service").read_text()
    assert "Type=simple" in unit
    commands = [line.split() for line in _exec_lines(unit)]
    assert [c[1:] for c in commands] == [["migrate"], ["serve"]]
    for command in commands:
        # The console script of this distribution, as a virtualenv installs it.
        assert command[0] == INSTALLED + "aspel-licensing-server"
        assert (BIN / pathlib.Path(command[0]).name).exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: pathlib.Path) -> None:
    # The same unit with this virtualenv where the install would be.
    unit = (DEPLOY / "aspel-licensing.service").read_text().replace(INSTALLED, f"{BIN}/")
    copy = tmp_path / "aspel-licensing.service"
    copy.write_text(unit)
    result = subprocess.run(
        [ANALYZE, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "aspel-licensing.service" not in result.stderr, result.stderr


def _entrypoint_env(tmp_path: pathlib.Path) -> dict[str, str]:
    keys = tmp_path / "signing-keys.json"
    generate_key_file(keys, dt.datetime.now(dt.UTC))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASPEL_LICENSING_")}
    return {
        **clean,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
        "ASPEL_LICENSING_DATABASE_URL": f"sqlite:///{tmp_path}/licensing.db",
        "ASPEL_LICENSING_LISTEN": "127.0.0.1:0",
        "ASPEL_LICENSING_SIGNING_KEY_FILE": str(keys),
        "ASPEL_LICENSING_SMTP_URL": f"file:{tmp_path}/mail",
        "ASPEL_LICENSING_LOG_FORMAT": "text",
    }


def test_the_entrypoint_migrates_then_serves_until_sigterm(tmp_path: pathlib.Path) -> None:
    process = subprocess.Popen(
        [SH, str(DEPLOY / "entrypoint.sh")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_entrypoint_env(tmp_path),
        cwd=tmp_path,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while not any("listening on" in x for x in list(lines)):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        # `exec`: the shell became the server, so its SIGTERM drains it.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=10)
    text = "".join(lines)
    assert "applied: 0001_initial" in text
    assert "draining" in text and "stopped" in text


def test_the_entrypoint_runs_an_operator_command_alone(tmp_path: pathlib.Path) -> None:
    env = _entrypoint_env(tmp_path)
    entry = [SH, str(DEPLOY / "entrypoint.sh")]
    run = subprocess.run([*entry, "migrate"], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0 and "applied" in run.stdout
    listed = subprocess.run(
        [*entry, "outbox", "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert listed.returncode == 0 and listed.stdout == ""


def test_a_bad_setting_stops_the_entrypoint_with_status_2(tmp_path: pathlib.Path) -> None:
    env = {**_entrypoint_env(tmp_path), "ASPEL_LICENSING_REFLECTION": "ture"}
    result = subprocess.run(
        [SH, str(DEPLOY / "entrypoint.sh")], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2 and "ASPEL_LICENSING_REFLECTION" in result.stderr


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o640, 0o440])
def test_a_key_file_secret_may_be_read_by_its_group(tmp_path: pathlib.Path, mode: int) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path, dt.datetime.now(dt.UTC))
    path.chmod(mode)
    assert read_key_file(path).active_key_id


@pytest.mark.parametrize("mode", [0o660, 0o644, 0o604])
def test_a_key_file_others_can_read_or_the_group_can_write_is_refused(
    tmp_path: pathlib.Path, mode: int
) -> None:
    path = tmp_path / "keys.json"
    generate_key_file(path, dt.datetime.now(dt.UTC))
    path.chmod(mode)
    with pytest.raises(KeyFileError):
        read_key_file(path)
