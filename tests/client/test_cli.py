"""The `aspel-licensing` CLI end to end, through `main([...])`, against the real server."""

from __future__ import annotations

import io
import json
import pathlib
import re
import stat
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from aspel.licensing.client import cli
from aspel.licensing.client.cli import portal
from aspel.licensing.client.errors import UnauthenticatedError
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.client.session_file import Session, load_session, save_session
from aspel.licensing.v1 import subscription_pb2 as sub_pb
from tests.conftest import RunningServer

PASSWORD = "demo-aspel-2026"
DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def run(
    server: RunningServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    """Runs the CLI against the test server with `stdin` as the standard input."""

    def run_cli(*argv: str, stdin: str = "", server_flag: bool = True) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        prefix = ["--server", server.address] if server_flag else []
        code = cli.main([*prefix, *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run_cli


@pytest.fixture
def logged_in(run: Run) -> Run:
    result = run("login", "demo", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.code == 0, result.err
    return run


def demo_serials(server: RunningServer) -> dict[str, str]:
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        return {s.product_code: s.serial_number for s in client.list_subscriptions()}


def subscription(server: RunningServer, serial: str) -> sub_pb.Subscription:
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        return client.get_subscription(serial)


# --- login / logout ----------------------------------------------------------------


def test_login_with_password_stdin_saves_a_private_session(
    run: Run, server: RunningServer, session_path: pathlib.Path
) -> None:
    result = run("login", "demo", "--password-stdin", stdin=PASSWORD + "\n")

    assert result.code == 0, result.err
    assert "demo" in result.out
    assert stat.S_IMODE(session_path.stat().st_mode) == 0o600
    saved = json.loads(session_path.read_text())
    assert saved["server"] == server.address
    assert saved["username"] == "demo"
    assert saved["session_token"]
    assert saved["session_token"] not in result.out + result.err
    assert PASSWORD not in session_path.read_text()


def test_login_asks_for_username_and_reads_the_password_without_echo(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr(portal.getpass, "getpass", fake_getpass)
    result = run("login", stdin="demo\n")

    assert result.code == 0, result.err
    assert prompts == ["Contraseña: "]
    assert "Usuario: " in result.out
    assert load_session() is not None


def test_wrong_password_reports_the_reason_and_saves_nothing(
    run: Run, session_path: pathlib.Path
) -> None:
    result = run("login", "demo", "--password-stdin", stdin="wrong-password\n")

    assert result.code == 80  # 64 + UNAUTHENTICATED
    assert "INVALID_CREDENTIALS" in result.err
    assert "Traceback" not in result.err
    assert not session_path.exists()


def test_password_stdin_needs_the_username(run: Run) -> None:
    result = run("login", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.code == 1
    assert "USUARIO" in result.err


def test_logout_ends_the_session_and_removes_the_file(
    logged_in: Run, server: RunningServer, session_path: pathlib.Path
) -> None:
    saved = load_session()
    assert saved is not None

    result = logged_in("logout")

    assert result.code == 0, result.err
    assert not session_path.exists()
    with (
        LicensingClient(server.address, token=saved.session_token) as stale,
        pytest.raises(UnauthenticatedError) as raised,
    ):
        stale.list_subscriptions_page()
    assert raised.value.reason == "SESSION_INVALID"


def test_after_logout_commands_say_to_log_in(logged_in: Run) -> None:
    assert logged_in("logout").code == 0

    result = logged_in("subscriptions")

    assert result.code == 1
    assert "No has iniciado sesión" in result.err
    assert "login" in result.err
    assert "Traceback" not in result.err


def test_a_session_the_server_no_longer_knows_is_forgotten(
    run: Run, server: RunningServer, session_path: pathlib.Path
) -> None:
    save_session(Session(server=server.address, username="demo", session_token="dead-token"))

    result = run("subscriptions")

    assert result.code == 80
    assert "SESSION_INVALID" in result.err
    assert not session_path.exists()


def test_the_token_is_never_sent_to_another_server(
    logged_in: Run, session_path: pathlib.Path
) -> None:
    result = logged_in("--server", "127.0.0.1:1", "subscriptions", server_flag=False)

    assert result.code == 1
    assert "127.0.0.1:1" in result.err
    assert session_path.exists()


def test_commands_without_server_flag_use_the_sessions_server(logged_in: Run) -> None:
    result = logged_in("subscriptions", server_flag=False)
    assert result.code == 0, result.err


def test_an_unreachable_server_is_a_clear_message(run: Run) -> None:
    result = run(
        "--server",
        "127.0.0.1:1",
        "--deadline",
        "3",
        "login",
        "demo",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        server_flag=False,
    )
    assert result.code == 78  # 64 + UNAVAILABLE
    assert "No se pudo conectar con el servidor 127.0.0.1:1" in result.err
    assert "UNAVAILABLE" in result.err


# --- subscriptions / terms / upgrade ---------------------------------------------


def test_subscriptions_prints_the_portal_table(logged_in: Run, server: RunningServer) -> None:
    serials = demo_serials(server)

    result = logged_in("subscriptions")

    assert result.code == 0, result.err
    lines = result.out.splitlines()
    header = next(line for line in lines if line.startswith("Sistema "))
    rule = next(n for n, line in enumerate(lines) if line.startswith("---"))
    # Headers may wrap onto two lines to keep the table within 100 columns.
    header_words = " ".join(lines[lines.index(header) : rule]).split()
    for column in portal.SUBSCRIPTION_HEADERS:
        assert set(column.split()) <= set(header_words)
    assert all(len(line) <= 100 for line in lines)
    for product, serial in serials.items():
        row = next(line for line in lines if serial in line)
        assert product in row
        assert DATE.search(row), row  # dd/mm/yyyy
        # Aligned: every row starts its serial where the header's column starts.
        assert row.index(serial) == header.index("No. serie")


def test_terms_prints_title_and_numbered_clauses(logged_in: Run, server: RunningServer) -> None:
    sae = demo_serials(server)["SAE"]
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        terms = client.get_upgrade_terms(sae)

    result = logged_in("terms", sae)

    assert result.code == 0, result.err
    assert terms.title in result.out
    for number, clause in enumerate(terms.clauses, start=1):
        assert f"\n{number}. {clause.split()[0]}" in result.out


def test_terms_of_a_perpetual_licence_print_the_reason(
    logged_in: Run, server: RunningServer
) -> None:
    result = logged_in("terms", demo_serials(server)["COI"])
    assert result.code == 73  # 64 + FAILED_PRECONDITION
    assert "UPGRADE_REQUIRES_PURCHASE" in result.err


def test_upgrade_yes_prints_the_new_serial_and_the_retire_date(
    logged_in: Run, server: RunningServer
) -> None:
    sae = demo_serials(server)["SAE"]

    result = logged_in("upgrade", sae, "--yes")

    assert result.code == 0, result.err
    old = subscription(server, sae)
    new_serial = old.successor_serial_number
    assert new_serial
    assert new_serial in result.out
    retire = old.retire_date
    assert f"{retire.day:02d}/{retire.month:02d}/{retire.year}" in result.out


def test_upgrading_the_same_serial_again_gives_the_same_new_serial(
    logged_in: Run, server: RunningServer
) -> None:
    sae = demo_serials(server)["SAE"]
    first = logged_in("upgrade", sae, "--yes")
    assert first.code == 0, first.err
    new_serial = subscription(server, sae).successor_serial_number

    second = logged_in("upgrade", sae, "--yes")

    assert second.code == 0, second.err
    assert new_serial in second.out
    assert len(demo_serials(server)) == 4  # product codes: SAE now maps to one serial
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        assert len(list(client.list_subscriptions())) == 5  # one new serial, not two


def test_upgrade_asks_and_a_no_changes_nothing(logged_in: Run, server: RunningServer) -> None:
    caja = demo_serials(server)["CAJA"]

    result = logged_in("upgrade", caja, stdin="n\n")

    assert result.code == 1
    assert "¿Aceptas los términos? [s/N]" in result.out
    assert not subscription(server, caja).successor_serial_number


def test_upgrade_asks_and_a_yes_upgrades(logged_in: Run, server: RunningServer) -> None:
    caja = demo_serials(server)["CAJA"]

    result = logged_in("upgrade", caja, stdin="s\n")

    assert result.code == 0, result.err
    new_serial = subscription(server, caja).successor_serial_number
    assert new_serial and new_serial in result.out


# --- the command line itself ---------------------------------------------------------


def test_help_lists_the_portal_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("login", "subscriptions", "terms", "upgrade", "logout"):
        assert command in out


def test_a_module_appended_to_command_modules_adds_its_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = types.ModuleType("extra")

    def add_commands(subparsers: object) -> None:
        hello = subparsers.add_parser("hello")
        hello.set_defaults(handler=lambda args, ctx: ctx.out.write("hola\n") and 0)

    extra.add_commands = add_commands
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*cli.COMMAND_MODULES, extra])

    assert cli.main(["hello"]) == 0
    assert capsys.readouterr().out == "hola\n"


def test_the_server_can_come_from_the_environment(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPEL_LICENSING_SERVER", server.address)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["login", "demo", "--password-stdin"]) == 0
    saved = load_session()
    assert saved is not None and saved.server == server.address
