"""`aspel-licensing installations` / `release`, `aspel-licensing-admin release`,
and the client methods behind them, against the real server."""

from __future__ import annotations

import io
import json
import sys

import pytest

from aspel.licensing.client import cli
from aspel.licensing.client.admin import AdminClient
from aspel.licensing.client.cli import admin as admin_cli
from aspel.licensing.client.cli.common import ACTIVATION_STATES
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.server.store.models import Subscription
from aspel.licensing.v1 import activation_pb2, activation_service_pb2, activation_service_pb2_grpc
from tests.conftest import RunningServer

PASSWORD = "demo-aspel-2026"


def _serial(server: RunningServer, installations: int = 1) -> str:
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        sae = next(s for s in client.list_subscriptions() if s.product_code == "SAE")
    with server.services.store.write():
        Subscription.update(installations_allowed=installations).where(
            Subscription.serial_number == sae.serial_number.replace("-", "")
        ).execute()
    return sae.serial_number


def _activate(server: RunningServer, serial: str, machine: str) -> str:
    stub = activation_service_pb2_grpc.ActivationServiceStub(server.channel)
    response = stub.ActivateInstallation(
        activation_service_pb2.ActivateInstallationRequest(
            serial_number=serial,
            razon_social="Comercializadora Demo, S.A. de C.V.",
            product_code="SAE",
            version="7.0",
            machine_fingerprint=machine,
            hostname=machine.upper(),
        )
    )
    return str(response.activation.activation_id)


def _run(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_installations_and_release_from_the_command_line(
    server: RunningServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = _serial(server)
    activation_id = _activate(server, serial, "caja-01")
    prefix = ["--server", server.address]
    assert _run([*prefix, "login", "demo", "--password-stdin"], capsys, monkeypatch)[0] == 0

    code, out, _ = _run([*prefix, "installations", serial], capsys, monkeypatch)
    assert code == 0
    assert "CAJA-01" in out and "Activa" in out and activation_id in out
    assert "release NO_SERIE ID_ACTIVACION" in out

    code, out, _ = _run([*prefix, "release", serial, activation_id], capsys, monkeypatch)
    assert code == 0
    assert "Se liberó la instalación de CAJA-01" in out
    assert "ya está libre" in out
    assert "Te queda 1 transferencia inmediata este año." in out

    code, out, _ = _run([*prefix, "installations", serial, "--json"], capsys, monkeypatch)
    listed = json.loads(out)["activations"]
    assert [(a["activation_id"], a["state"]) for a in listed] == [
        (activation_id, "ACTIVATION_STATE_RELEASED")
    ]

    with LicensingClient(server.address) as other:
        other.authenticate("demo2", "demo2-aspel-2026")
        strangers = next(iter(other.list_subscriptions())).serial_number
    code, _, err = _run([*prefix, "release", strangers, activation_id], capsys, monkeypatch)
    assert code != 0 and "SERIAL_NOT_FOUND" in err


def test_every_activation_state_has_a_spanish_label() -> None:
    states = [v for v in activation_pb2.ActivationState.values() if v]
    assert sorted(ACTIVATION_STATES) == sorted(states)


def test_the_client_follows_the_pages_of_installations(server: RunningServer) -> None:
    serial = _serial(server, installations=3)
    made = [_activate(server, serial, f"machine-{n}") for n in range(3)]
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        listed = [a.activation_id for a in client.list_activations(serial, page_size=1)]
        released = client.release_activation(serial, made[0])
    assert listed == made
    assert released.activation.state == activation_pb2.ACTIVATION_STATE_RELEASED
    assert released.transfers_remaining == 1


def test_support_releases_from_the_admin_command_line(
    server: RunningServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = _serial(server)
    activation_id = _activate(server, serial, "caja-01")
    with server.services.store.connection():
        secret = server.services.admin.keys.create("support-desk", ["support"], "pytest").secret
    monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", secret)

    missing = admin_cli.main(["--server", server.address, "release", serial, activation_id])
    assert missing == 2  # --reason is required
    capsys.readouterr()
    code = admin_cli.main(
        ["--server", server.address, "release", serial, activation_id, "--reason", "Ticket 7"]
    )
    out = capsys.readouterr().out

    assert code == 0
    assert "Se liberó la instalación de CAJA-01" in out
    with AdminClient(server.address, service_key=secret) as client:
        found = client.lookup_serial(serial)
    assert found.activations[0].state == activation_pb2.ACTIVATION_STATE_RELEASED
