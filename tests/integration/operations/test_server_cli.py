"""`aspel-licensing-server` for operators: settings checked at start, one-line
errors with status 2, `config`, global flags after the command, `--version`,
and `outbox list/retry`."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
import sys

import pytest

from aspel.licensing.server import __version__
from aspel.licensing.server.settings import Settings, SettingsError
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.models import OutboxMessage

BIN = pathlib.Path(sys.executable).parent


def run(
    program: str, *args: str, env: dict[str, str] | None = None, cwd: pathlib.Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASPEL_LICENSING_")}
    return subprocess.run(
        [str(BIN / program), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
        cwd=cwd,
    )


def _one_line_refusal(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in lines[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ASPEL_LICENSING_REFLECTION", "ture"),
        ("ASPEL_LICENSING_WORKERS", "0"),
        ("ASPEL_LICENSING_MAX_WORKERS", "many"),
        ("ASPEL_LICENSING_DATABASE_URL", "mysql://db/x"),
        ("ASPEL_LICENSING_SMTP_URL", "http://mail"),
        ("ASPEL_LICENSING_LISTEN", "localhost"),
        ("ASPEL_LICENSING_METRICS_LISTEN", "127.0.0.1:99999"),
        ("ASPEL_LICENSING_TRUSTED_PROXIES", "10.0.0.0/8,nope"),
        ("ASPEL_LICENSING_BUSINESS_TIMEZONE", "America/Atlantis"),
        ("ASPEL_LICENSING_LOG_LEVEL", "LOUD"),
        ("ASPEL_LICENSING_MACHINE_MATCH_COMPONENTS", "5"),
        ("ASPEL_LICENSING_DEACTIVATION_RECEIPT_WINDOW_SECONDS", "0"),
    ],
)
def test_a_bad_setting_is_refused_in_one_line_naming_it(name: str, value: str) -> None:
    _one_line_refusal(run("aspel-licensing-server", "config", env={name: value}), name)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///var/x.db",
        "postgresql://u@db/x",
        "postgres://u@db/x",
        "postgresql+pool://u@db/x",
        "postgresql+pool://u@db/x?max_connections=14&stale_timeout=300",
    ],
)
def test_every_database_url_the_store_opens_is_accepted(url: str) -> None:
    # The README documents postgresql+pool:// for production; the check once refused it.
    assert Settings.from_env({"ASPEL_LICENSING_DATABASE_URL": url}).database_url == url


def test_a_pool_smaller_than_the_connections_a_process_keeps_is_refused() -> None:
    # 4 RPC threads each keep a connection, plus the background threads: 10.
    small = "postgresql+pool://u@db/x?max_connections=9"
    with pytest.raises(SettingsError, match=r"ASPEL_LICENSING_DATABASE_URL.*max_connections=10"):
        Settings.from_env({"ASPEL_LICENSING_DATABASE_URL": small})
    # The internal port has its own RPC threads: 4 x 2 + 6.
    with pytest.raises(SettingsError, match=r"max_connections=14"):
        Settings.from_env(
            {
                "ASPEL_LICENSING_DATABASE_URL": "postgresql+pool://u@db/x?max_connections=13",
                "ASPEL_LICENSING_INTERNAL_LISTEN": "127.0.0.1:0",
            }
        )
    assert (
        Settings.from_env(
            {"ASPEL_LICENSING_DATABASE_URL": small, "ASPEL_LICENSING_MAX_WORKERS": "3"}
        ).max_workers
        == 3
    )
    _one_line_refusal(run("aspel-licensing-server", "--database", small, "config"), "--database")


def test_booleans_take_only_the_documented_spellings() -> None:
    for text, value in [("on", True), ("No", False), ("1", True), ("off", False)]:
        assert Settings.from_env({"ASPEL_LICENSING_REFLECTION": text}).reflection is value
    with pytest.raises(SettingsError, match="ASPEL_LICENSING_MAIL_WORKER"):
        Settings.from_env({"ASPEL_LICENSING_MAIL_WORKER": "si"})


def test_an_unknown_variable_is_warned_about_with_the_closest_name() -> None:
    result = run("aspel-licensing-server", "config", env={"ASPEL_LICENSING_REFLECTON": "0"})
    assert result.returncode == 0
    (warning,) = result.stderr.strip().splitlines()
    assert "ASPEL_LICENSING_REFLECTON" in warning and "ASPEL_LICENSING_REFLECTION" in warning
    # The client's variables are no typo of the server's.
    quiet = run("aspel-licensing-server", "config", env={"ASPEL_LICENSING_SERVER": "x:1"})
    assert quiet.stderr == ""


def test_config_prints_the_effective_settings_without_passwords() -> None:
    result = run(
        "aspel-licensing-server",
        "config",
        "--database",
        "postgresql://licensing:db-secret-1@db.internal/licensing",
        env={
            "ASPEL_LICENSING_SMTP_URL": "smtp://mailer:smtp-secret-2@mail.internal:587",
            "ASPEL_LICENSING_WORKERS": "4",
        },
    )
    assert result.returncode == 0, result.stderr
    shown = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert shown["ASPEL_LICENSING_WORKERS"] == "4"
    assert shown["ASPEL_LICENSING_DATABASE_URL"] == (
        "postgresql://licensing:***@db.internal/licensing"
    )
    assert shown["ASPEL_LICENSING_SMTP_URL"] == "smtp://mailer:***@mail.internal:587"
    assert "secret" not in result.stdout


def test_an_unreachable_database_is_one_line_and_debug_keeps_the_traceback() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    url = "postgresql://nobody@127.0.0.1:1/licensing"
    _one_line_refusal(run("aspel-licensing-server", "migrate", "--database", url))
    debug = run("aspel-licensing-server", "--debug", "migrate", "--database", url)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_an_unbindable_port_and_an_unreadable_key_file_are_one_line(
    tmp_path: pathlib.Path,
) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert run("aspel-licensing-server", "migrate", "--database", url).returncode == 0
    keys = tmp_path / "keys.json"
    assert run("aspel-licensing-server", "keys", "generate", "--signing-key-file", str(keys))
    keys.chmod(0o644)
    _one_line_refusal(
        run("aspel-licensing-server", "serve", "--database", url, "--signing-key-file", str(keys)),
        str(keys),
    )
    keys.chmod(0o600)
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: it cannot be bound.
    _one_line_refusal(
        run(
            "aspel-licensing-server",
            "serve",
            "--database",
            url,
            "--signing-key-file",
            str(keys),
            "--listen",
            "192.0.2.1:50051",
        ),
        "192.0.2.1:50051",
    )


def test_global_flags_are_accepted_after_the_command(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path}/after.db"
    result = run("aspel-licensing-server", "migrate", "--database", url)
    assert result.returncode == 0 and "applied" in result.stdout
    assert (tmp_path / "after.db").exists()


@pytest.mark.parametrize(
    "program", ["aspel-licensing-server", "aspel-licensing", "aspel-licensing-admin"]
)
def test_version(program: str) -> None:
    result = run(program, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"{program} {__version__}"


def test_outbox_list_and_retry(database_url: str) -> None:
    store = Store.from_url(database_url)
    now = dt.datetime.now(dt.UTC)
    with store.write() as tx:
        tx.outbox.enqueue(
            kind="password_reset", recipient="demo@example.com", payload={"token": "t-1"}, now=now
        )
        message = OutboxMessage.get()
        OutboxMessage.update(state="FAILED", attempts=40, last_error="550 no such user").execute()
    store.close()

    listing = run(
        "aspel-licensing-server", "outbox", "list", "--state", "FAILED", "--database", database_url
    )
    assert listing.returncode == 0, listing.stderr
    (line,) = listing.stdout.splitlines()
    assert line.split("\t")[:2] == [str(message.id), "FAILED"]
    assert "t-1" not in listing.stdout and "demo@example.com" not in listing.stdout

    retried = run(
        "aspel-licensing-server", "outbox", "retry", str(message.id), "--database", database_url
    )
    assert retried.returncode == 0, retried.stderr
    store = Store.from_url(database_url)
    with store.read():
        again = OutboxMessage.get_by_id(message.id)
    store.close()
    assert (again.state, again.attempts) == ("PENDING", 0)
    # Once sent, or unknown, there is nothing to retry.
    missing = run("aspel-licensing-server", "outbox", "retry", "999999", "--database", database_url)
    assert missing.returncode == 1


@pytest.mark.parametrize(
    "command",
    [("reclaim-seats",), ("outbox", "list"), ("reminders",), ("service-keys", "list")],
)
def test_a_command_on_an_unmigrated_database_names_the_migrations_and_stops(
    tmp_path: pathlib.Path, command: tuple[str, ...]
) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("aspel-licensing-server", *command, "--database", empty)

    _one_line_refusal(result, "database needs migrations", "0001", "migrate")
