"""The installer commands of `aspel-licensing` (activate, validate, deactivate,
verify) end to end, through `main([...])`, against the real server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import pathlib
import sys
from collections.abc import Callable
from typing import Any

import pytest

from aspel.licensing.client import cli
from aspel.licensing.client.license_armor import BEGIN, END, dearmor
from aspel.licensing.server import cli as server_cli
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.settings import Settings
from tests.conftest import RunningServer

from .conftest import DemoSerial, upgrade

FINGERPRINT = "m1-cli-test-machine"


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture
def engine() -> str:
    return "sqlite"


@pytest.fixture(autouse=True)
def real_time(clock: FixedClock, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`verify` reads this computer's clock, so the server's clock starts there too;
    the remembered server time lives in the test's folder."""
    clock.set(dt.datetime.now(dt.UTC).replace(microsecond=0))
    monkeypatch.setenv("ASPEL_LICENSING_TRUSTED_TIME_FILE", str(tmp_path / "trusted.json"))
    monkeypatch.delenv("ASPEL_LICENSING_PINNED_KEYS", raising=False)


@pytest.fixture
def run(
    server: RunningServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    def run_cli(*argv: str, server_flag: bool = True) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        monkeypatch.delenv("ASPEL_LICENSING_SERVER", raising=False)
        prefix = ["--server", server.address] if server_flag else []
        code = cli.main([*prefix, *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run_cli


@pytest.fixture
def keys_file(
    settings: Settings, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> pathlib.Path:
    """The pinned keys, as the server operator exports them for the installer build."""
    code = server_cli.main(
        ["--signing-key-file", settings.signing_key_file, "keys", "list", "--json"]
    )
    assert code == 0
    path = tmp_path / "pinned-keys.json"
    path.write_text(capsys.readouterr().out)
    return path


@pytest.fixture
def licence(run: Run, sae: DemoSerial, keys_file: pathlib.Path, tmp_path: pathlib.Path) -> str:
    path = str(tmp_path / "sae.lic")
    result = run(
        "activate",
        sae.serial_number,
        "--razon-social",
        "comercializadora demo sa de cv",
        "--product",
        "sae",
        "--version",
        "7.0",
        "--fingerprint",
        FINGERPRINT,
        "--output",
        path,
        "--pinned-keys",
        str(keys_file),
    )
    assert result.code == 0, result.err
    assert "Sistema activado" in result.out and path in result.out
    return path


def verify(run: Run, licence: str, keys_file: pathlib.Path, *extra: str) -> Result:
    return run(
        "verify",
        licence,
        "--pinned-keys",
        str(keys_file),
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--fingerprint",
        FINGERPRINT,
        *extra,
    )


def test_an_activated_licence_verifies_offline(
    run: Run, licence: str, keys_file: pathlib.Path, sae: DemoSerial
) -> None:
    result = verify(run, licence, keys_file)

    assert result.code == 0, result.err
    assert "Licencia vigente" in result.out and sae.serial_number in result.out


def test_a_tampered_licence_file_fails_verification(
    run: Run, licence: str, keys_file: pathlib.Path
) -> None:
    data = bytearray(pathlib.Path(licence).read_bytes())
    data[10] ^= 0x01
    pathlib.Path(licence).write_bytes(bytes(data))

    result = verify(run, licence, keys_file)

    assert result.code == 1
    assert "SIGNATURE_INVALID" in result.err


def test_verify_on_another_machine_fails(run: Run, licence: str, keys_file: pathlib.Path) -> None:
    result = run(
        "verify",
        licence,
        "--pinned-keys",
        str(keys_file),
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--fingerprint",
        "m1-another-machine",
    )
    assert result.code == 1 and "FINGERPRINT_MISMATCH" in result.err


def test_verify_needs_pinned_keys(run: Run, licence: str) -> None:
    result = run("verify", licence, "--product", "SAE", "--version", "7.0")
    assert result.code == 1 and "--pinned-keys" in result.err


def test_validate_renews_the_licence_file(
    run: Run, licence: str, keys_file: pathlib.Path, clock: FixedClock
) -> None:
    before = pathlib.Path(licence).read_bytes()
    clock.advance(dt.timedelta(seconds=30))

    result = run("validate", licence, "--fingerprint", FINGERPRINT, "--pinned-keys", str(keys_file))

    assert result.code == 0, result.err
    assert "Activo" in result.out
    assert pathlib.Path(licence).read_bytes() != before
    assert verify(run, licence, keys_file).code == 0


def test_validate_of_a_superseded_serial_names_the_new_serial(
    run: Run, licence: str, server: RunningServer, portal: Any, sae: DemoSerial
) -> None:
    new_serial = upgrade(server, portal, sae.serial_number).subscription.serial_number

    result = run("validate", licence, "--fingerprint", FINGERPRINT)

    assert result.code == 0, result.err
    assert "Reemplazado" in result.out and new_serial in result.out


def test_deactivate_frees_the_machine_and_the_licence_stops_validating(
    run: Run, licence: str
) -> None:
    result = run("deactivate", licence, "--fingerprint", FINGERPRINT)
    again = run("validate", licence, "--fingerprint", FINGERPRINT)

    assert result.code == 0, result.err
    assert "desactivado" in result.out
    assert again.code == 69 and "ACTIVATION_NOT_FOUND" in again.err  # 64 + NOT_FOUND


def test_a_wrong_razon_social_is_reported_with_its_reason(
    run: Run, sae: DemoSerial, tmp_path: pathlib.Path
) -> None:
    result = run(
        "activate",
        sae.serial_number,
        "--razon-social",
        "Otra Empresa, S.C.",
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--output",
        str(tmp_path / "x.lic"),
    )

    assert result.code == 71  # 64 + PERMISSION_DENIED
    assert "RAZON_SOCIAL_MISMATCH" in result.err
    assert sae.razon_social not in result.err
    assert not (tmp_path / "x.lic").exists()


def test_without_a_fingerprint_this_machines_is_used(
    run: Run, sae: DemoSerial, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    path = str(tmp_path / "auto.lic")
    activated = run(
        "activate",
        sae.serial_number,
        "--razon-social",
        sae.razon_social,
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--output",
        path,
    )
    checked = run(
        "verify", path, "--pinned-keys", str(keys_file), "--product", "SAE", "--version", "7.0"
    )

    assert activated.code == 0, activated.err
    assert checked.code == 0, checked.err


# --- armored licences, inspect, the licence's server ----------------------------------


def activate(run: Run, sae: DemoSerial, path: pathlib.Path, *extra: str, **options: Any) -> Result:
    return run(
        "activate",
        sae.serial_number,
        "--razon-social",
        sae.razon_social,
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--fingerprint",
        FINGERPRINT,
        "--output",
        str(path),
        *extra,
        **options,
    )


def test_activate_armor_writes_text_for_a_ticket_that_verifies(
    run: Run, sae: DemoSerial, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "armored.lic"

    result = activate(run, sae, path, "--armor")

    assert result.code == 0, result.err
    lines = path.read_text(encoding="ascii").splitlines()
    assert (lines[0], lines[-1]) == (BEGIN, END)
    assert all(len(line) <= 64 for line in lines[1:-1])
    assert len(lines[1]) == 64
    assert verify(run, str(path), keys_file).code == 0


def test_a_pasted_armored_licence_is_the_same_licence(
    run: Run, licence: str, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    binary = pathlib.Path(licence).read_bytes()

    armored = run("armor", licence)

    assert armored.code == 0, armored.err
    assert dearmor(armored.out) == binary
    # Pasted into a ticket: text around it, indentation, Windows line ends.
    ticket = tmp_path / "ticket.lic"
    pasted = "\r\n".join("   " + line for line in armored.out.splitlines())
    ticket.write_text(f"Hola, adjunto mi licencia:\r\n{pasted}\r\nGracias.\r\n", "utf-8")
    assert verify(run, str(ticket), keys_file).code == 0
    assert run("inspect", str(ticket), "--json").code == 0


def test_a_damaged_armored_licence_is_malformed(
    run: Run, licence: str, tmp_path: pathlib.Path
) -> None:
    damaged = tmp_path / "damaged.lic"
    damaged.write_text(f"{BEGIN}\nno es base64 ***\n{END}\n", "ascii")

    result = run("inspect", str(damaged))

    assert result.code == 1
    assert "LICENSE_MALFORMED" in result.err


def test_inspect_shows_the_licence_without_a_network(
    run: Run, licence: str, sae: DemoSerial, server: RunningServer
) -> None:
    result = run("--server", "127.0.0.1:1", "inspect", licence, "--json", server_flag=False)

    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert shown["serial_number"] == sae.serial_number
    assert (shown["product_code"], shown["version"]) == ("SAE", "7.0")
    assert shown["machine_fingerprint"] == FINGERPRINT
    assert shown["this_machine"] is False
    assert shown["key_id"].startswith("ed25519-")
    assert shown["signature"] == "unchecked"
    assert shown["form"] == "binary"
    assert shown["server"] == server.address
    issue = dt.datetime.fromisoformat(shown["issue_time"])
    expire = dt.datetime.fromisoformat(shown["expire_time"])
    assert issue.tzinfo is not None and issue < expire
    assert shown["expired"] is False


def test_inspect_checks_the_signature_with_pinned_keys(
    run: Run, licence: str, keys_file: pathlib.Path, sae: DemoSerial
) -> None:
    good = run("inspect", licence, "--pinned-keys", str(keys_file))
    data = bytearray(pathlib.Path(licence).read_bytes())
    data[10] ^= 0x01
    pathlib.Path(licence).write_bytes(bytes(data))
    bad = run("inspect", licence, "--pinned-keys", str(keys_file), "--json")

    assert good.code == 0, good.err
    assert sae.serial_number in good.out and "válida" in good.out
    assert bad.code == 1
    assert json.loads(bad.out)["signature"] == "invalid"


def test_validate_without_server_goes_to_the_server_that_issued_the_licence(
    run: Run, licence: str, server: RunningServer
) -> None:
    assert pathlib.Path(licence + ".server").read_text().strip() == server.address

    result = run("validate", licence, "--fingerprint", FINGERPRINT, server_flag=False)

    assert result.code == 0, result.err
    assert "Activo" in result.out


def test_validate_keeps_an_armored_licence_armored(
    run: Run, sae: DemoSerial, keys_file: pathlib.Path, tmp_path: pathlib.Path, clock: FixedClock
) -> None:
    path = tmp_path / "armored.lic"
    assert activate(run, sae, path, "--armor").code == 0
    before = path.read_text("ascii")
    clock.advance(dt.timedelta(seconds=30))

    result = run("validate", str(path), "--fingerprint", FINGERPRINT, server_flag=False)

    assert result.code == 0, result.err
    after = path.read_text("ascii")
    assert after.startswith(BEGIN) and after != before
    assert verify(run, str(path), keys_file).code == 0


def test_verify_json_says_what_was_verified(
    run: Run, licence: str, keys_file: pathlib.Path, sae: DemoSerial
) -> None:
    result = verify(run, licence, keys_file, "--json")

    assert result.code == 0, result.err
    verified = json.loads(result.out)
    assert verified["valid"] is True
    assert verified["serial_number"] == sae.serial_number
    assert verified["key_id"].startswith("ed25519-")
    assert dt.datetime.fromisoformat(verified["expire_time"]).tzinfo is not None


def test_verify_json_of_a_licence_for_another_machine_says_why(
    run: Run, licence: str, keys_file: pathlib.Path
) -> None:
    result = run(
        "verify",
        licence,
        "--pinned-keys",
        str(keys_file),
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--fingerprint",
        "m1-another-machine",
        "--json",
    )

    verdict = json.loads(result.out)
    assert result.code == 1
    assert (verdict["valid"], verdict["reason"]) == (False, "FINGERPRINT_MISMATCH")
    assert verdict["message"]
    assert "FINGERPRINT_MISMATCH" in result.err


def test_activating_an_unknown_serial_exits_69(run: Run, tmp_path: pathlib.Path) -> None:
    result = run(
        "activate",
        serials.display(serials.generate()),
        "--razon-social",
        "Nadie, S.A.",
        "--product",
        "SAE",
        "--version",
        "7.0",
        "--output",
        str(tmp_path / "x.lic"),
    )
    assert result.code == 69  # 64 + NOT_FOUND
    assert "SERIAL_NOT_FOUND" in result.err
