"""`aspel-licensing offline-request`, `offline-redeem` and `offline-install`
end to end through `main([...])`: the offline machine's folder and the
connected device's, against the real server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import pathlib
import sys
from collections.abc import Callable

import pytest
import zxingcpp
from PIL import Image

from aspel.licensing.client import cli, session_file
from aspel.licensing.client.offline_code import LICENSE_BEGIN, REQUEST_BEGIN
from aspel.licensing.server import cli as server_cli
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.settings import Settings
from tests.conftest import RunningServer

from .conftest import DEMO_PASSWORD, demo_serial

FINGERPRINT = "m1-cli-offline-machine"


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
    """The request and `offline-install` read this computer's clock."""
    clock.set(dt.datetime.now(dt.UTC).replace(microsecond=0))
    monkeypatch.setenv("ASPEL_LICENSING_TRUSTED_TIME_FILE", str(tmp_path / "trusted.json"))
    monkeypatch.setenv(session_file.SESSION_FILE_ENV, str(tmp_path / "session.json"))
    monkeypatch.delenv("ASPEL_LICENSING_PINNED_KEYS", raising=False)
    monkeypatch.delenv("ASPEL_LICENSING_SERVER", raising=False)


@pytest.fixture
def run(
    server: RunningServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    def run_cli(*argv: str, stdin: str = "", where: pathlib.Path | None = None) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        if where is not None:
            where.mkdir(parents=True, exist_ok=True)
            monkeypatch.chdir(where)
        code = cli.main(["--server", server.address, *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run_cli


@pytest.fixture
def keys_file(
    settings: Settings, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> pathlib.Path:
    code = server_cli.main(
        ["--signing-key-file", settings.signing_key_file, "keys", "list", "--json"]
    )
    assert code == 0
    path = tmp_path / "pinned-keys.json"
    path.write_text(capsys.readouterr().out)
    return path


def test_request_redeem_and_install_by_file_and_by_qr(
    server: RunningServer, run: Run, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    coi = demo_serial(server, "demo", "COI")
    machine, office = tmp_path / "sin-internet", tmp_path / "oficina"
    made = run(
        "offline-request",
        coi.serial_number.lower(),
        "--product",
        "COI",
        "--version",
        "9.0",
        "--fingerprint",
        FINGERPRINT,
        "--qr",
        "solicitud.png",
        where=machine,
    )
    assert made.code == 0, made.err
    assert "Código para dictar" in made.out
    request_file = machine / f"{coi.serial_number}.lic.request"
    assert request_file.read_text().startswith(REQUEST_BEGIN)
    assert (machine / f"{coi.serial_number}.lic.key").exists()
    (scanned,) = zxingcpp.read_barcodes(Image.open(machine / "solicitud.png"))

    assert run("login", "demo", "--password-stdin", stdin=DEMO_PASSWORD + "\n").code == 0
    (office / "solicitud.txt").parent.mkdir(parents=True)
    (office / "solicitud.txt").write_text(request_file.read_text())
    redeemed = run(
        "offline-redeem",
        "solicitud.txt",
        "--razon-social",
        coi.razon_social,
        "--qr",
        "respuesta.png",
        where=office,
    )
    assert redeemed.code == 0, redeemed.err
    response = office / f"{coi.serial_number}.respuesta.txt"
    assert response.read_text().startswith(LICENSE_BEGIN)
    # The QR code's request, redeemed again: the same licence (idempotent).
    again = run("offline-redeem", scanned.text, "--razon-social", coi.razon_social, where=office)
    assert again.code == 0, again.err
    (back,) = zxingcpp.read_barcodes(Image.open(office / "respuesta.png"))

    # Without pinned keys nothing is installed.
    assert run("offline-install", back.text, where=machine).code == 1
    installed = run("offline-install", back.text, "--pinned-keys", str(keys_file), where=machine)
    assert installed.code == 0, installed.err
    assert "Licencia instalada" in installed.out
    licence = machine / f"{coi.serial_number}.lic"
    verified = run(
        "verify",
        str(licence),
        "--product",
        "COI",
        "--version",
        "9.0",
        "--fingerprint",
        FINGERPRINT,
        "--pinned-keys",
        str(keys_file),
    )
    assert verified.code == 0, verified.err

    # The same answer on another machine (its own key, no such pending request).
    other = tmp_path / "otro"
    run(
        "offline-request",
        coi.serial_number,
        "--product",
        "COI",
        "--version",
        "9.0",
        "--fingerprint",
        FINGERPRINT,
        where=other,
    )
    refused = run("offline-install", str(response), "--pinned-keys", str(keys_file), where=other)
    assert refused.code == 1
    assert "INSTALLATION_KEY_MISMATCH" in refused.err and "otra instalación" in refused.err
    assert not (other / f"{coi.serial_number}.lic").exists()


def test_renewal_request_carries_the_activation(
    server: RunningServer, run: Run, keys_file: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    coi = demo_serial(server, "demo", "COI")
    args = ("--product", "COI", "--version", "9.0", "--fingerprint", FINGERPRINT)
    assert run("offline-request", coi.serial_number, *args, where=tmp_path).code == 0
    assert run("login", "demo", "--password-stdin", stdin=DEMO_PASSWORD + "\n").code == 0
    request = f"{coi.serial_number}.lic.request"
    first = run("offline-redeem", request, "--razon-social", coi.razon_social, where=tmp_path)
    assert first.code == 0, first.err
    response = f"{coi.serial_number}.respuesta.txt"
    assert run("offline-install", response, "--pinned-keys", str(keys_file)).code == 0
    renew = run("offline-request", coi.serial_number, *args, "--renew", "--qr-terminal")
    assert renew.code == 0, renew.err
    assert "renovación" in renew.out
    second = run("offline-redeem", request, "--razon-social", coi.razon_social)
    assert second.code == 0, second.err
    assert first.out.split("activación ")[1][:20] == second.out.split("activación ")[1][:20]
    assert run("offline-install", response, "--pinned-keys", str(keys_file)).code == 0
    # The old answer no longer matches the pending request: nothing pending now.
    stale = run("offline-install", response, "--pinned-keys", str(keys_file))
    assert stale.code == 1 and "NO_PENDING_REQUEST" in stale.err
