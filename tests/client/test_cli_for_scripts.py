"""`aspel-licensing` for people and scripts: exit codes, argparse in Spanish,
--json, tables within 100 columns, the user agent and TLS."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import pathlib
import sys
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2

from aspel.licensing.client import __version__, cli
from aspel.licensing.client.cli import common, portal
from aspel.licensing.client.cli.spanish import SpanishArgumentParser
from aspel.licensing.client.errors import UnavailableError
from aspel.licensing.server.app import create_server
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.credentials import PasswordHasher
from aspel.licensing.server.settings import Settings
from aspel.licensing.v1 import subscription_pb2 as sub_pb
from tests.conftest import FAST_ARGON2, RunningServer
from tests.integration.admin.test_admin_tls import Authority

from .conftest import ScriptedServer
from .test_cli import PASSWORD, Run, demo_serials, logged_in, run  # noqa: F401 - fixtures

ISO_DAY = "%Y-%m-%d"


def _is_iso_day(text: str) -> bool:
    return dt.datetime.strptime(text, ISO_DAY).date().isoformat() == text


# --- exit codes ---------------------------------------------------------------------


def test_an_unknown_serial_exits_69_not_found(logged_in: Run) -> None:  # noqa: F811
    result = logged_in("terms", serials.display(serials.generate()))  # well formed, nobody's
    assert result.code == 64 + grpc.StatusCode.NOT_FOUND.value[0] == 69
    assert "SERIAL_NOT_FOUND" in result.err


def test_a_wrong_password_exits_80_unauthenticated(run: Run) -> None:  # noqa: F811
    result = run("login", "demo", "--password-stdin", stdin="no-es-la-contraseña\n")
    assert result.code == 80


def test_a_usage_error_exits_2_and_argparse_speaks_spanish(run: Run) -> None:  # noqa: F811
    result = run("terms")

    assert result.code == 2
    assert result.err.startswith("uso: aspel-licensing terms")
    assert "aspel-licensing terms: error: faltan argumentos obligatorios: NO_SERIE" in result.err
    assert "required" not in result.err


def test_an_unknown_command_and_a_bad_number_are_spanish_too(run: Run) -> None:  # noqa: F811
    unknown = run("subscripciones")
    bad_deadline = run("--deadline", "pronto", "subscriptions", server_flag=False)

    assert unknown.code == bad_deadline.code == 2
    assert "valor no válido: 'subscripciones'" in unknown.err
    assert "argumento --deadline: no es un número de segundos" in bad_deadline.err


def test_help_is_spanish_and_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: aspel-licensing")
    assert "-h, --help" in out and "muestra esta ayuda y termina" in out
    assert "opciones:" in out
    assert "códigos de salida:" in out
    assert "80 UNAUTHENTICATED" in out and "69 NOT_FOUND" in out


def test_other_parsers_in_the_process_keep_their_language() -> None:
    SpanishArgumentParser(prog="x").format_help()
    assert argparse.ArgumentParser(prog="y").format_usage().startswith("usage: y")


# --- --json -------------------------------------------------------------------------


def test_subscriptions_json_has_every_field_and_iso_dates(
    logged_in: Run,  # noqa: F811
    server: RunningServer,
) -> None:
    result = logged_in("subscriptions", "--json")

    assert result.code == 0, result.err
    document = json.loads(result.out)
    serials = {s["serial_number"] for s in document["subscriptions"]}
    assert serials == set(demo_serials(server).values())
    expected_keys = [f.name for f in sub_pb.Subscription.DESCRIPTOR.fields]
    for item in document["subscriptions"]:
        assert list(item) == expected_keys
        assert _is_iso_day(item["activation_date"])
        assert item["state"].startswith("SUBSCRIPTION_STATE_")
        assert item["retire_date"] is None or _is_iso_day(item["retire_date"])


def test_terms_json_is_the_terms(logged_in: Run, server: RunningServer) -> None:  # noqa: F811
    serial = demo_serials(server)["SAE"]

    result = logged_in("terms", serial, "--json")

    assert result.code == 0, result.err
    terms = json.loads(result.out)
    assert terms["serial_number"] == serial
    assert terms["clauses"] and all(isinstance(c, str) for c in terms["clauses"])
    assert terms["terms_id"]


# --- tables -------------------------------------------------------------------------


def _longest_subscriptions() -> list[sub_pb.Subscription]:
    """The widest values the portal table can realistically get."""
    superseded = sub_pb.Subscription(
        serial_number="ABCDE-12345-FGH7K",
        product_code="FACTURE",
        product_name="Aspel FACTURE",
        version="10.0",
        users=250,
        state=sub_pb.SUBSCRIPTION_STATE_SUPERSEDED,
        successor_serial_number="ZYXWV-98765-TSRQP",
    )
    superseded.activation_date.year, superseded.activation_date.month = 2026, 12
    superseded.activation_date.day = 31
    superseded.retire_date.CopyFrom(superseded.activation_date)
    active = sub_pb.Subscription()
    active.CopyFrom(superseded)
    active.state = sub_pb.SUBSCRIPTION_STATE_ACTIVE
    active.upgrade_available = True
    active.plan_status = sub_pb.PLAN_STATUS_UPGRADE_AVAILABLE
    active.available_version = "10.0"
    active.next_payment_date.CopyFrom(superseded.activation_date)
    return [superseded, active]


def test_the_subscriptions_table_fits_100_columns_with_the_longest_values() -> None:
    subscriptions = _longest_subscriptions()

    lines = portal.subscription_table([portal.subscription_row(s) for s in subscriptions])

    assert max(len(line) for line in lines) <= 100
    text = "\n".join(lines)
    # Serial numbers are never wrapped (people copy them), the rest only between words.
    assert "ABCDE-12345-FGH7K" in text
    for word in ("FACTURE", "Reemplazado", "31/12/2026", "disponible"):
        assert word in text


def test_a_table_that_fits_is_left_as_it_is() -> None:
    lines = common.format_table(("A", "B"), [("uno dos", "tres")])
    assert lines == ["A        B", "-------  ----", "uno dos  tres"]


# --- user agent -----------------------------------------------------------------------


def test_the_cli_names_itself_and_its_version_in_the_user_agent(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))

    assert cli.main(["--server", scripted.address, "login", "demo", "--password-stdin"]) == 0

    agent = scripted.calls("Authenticate")[0].metadata["user-agent"]
    assert agent.startswith(f"aspel-licensing/{__version__} ")
    assert __version__ == "0.1.0"


# --- TLS ------------------------------------------------------------------------------


@dataclasses.dataclass
class TlsServer:
    address: str
    ca_file: str


@pytest.fixture
def tls_server(
    settings: Settings, clock: FixedClock, tmp_path: pathlib.Path
) -> Iterator[TlsServer]:
    """The real server with the demo data, serving only TLS with a certificate of a test CA."""
    authority = Authority("Aspel Licensing Test CA")
    issued = authority.issue("localhost", server=True)
    (tmp_path / "server.pem").write_bytes(issued.cert_pem)
    (tmp_path / "server.key").write_bytes(issued.key_pem)
    (tmp_path / "ca.pem").write_bytes(authority.pem)
    grpc_server, port, built = create_server(
        dataclasses.replace(
            settings,
            tls_cert_file=str(tmp_path / "server.pem"),
            tls_key_file=str(tmp_path / "server.key"),
        ),
        clock,
    )
    with built.store.connection():
        seed_demo(built.store, built.calendar, PasswordHasher(FAST_ARGON2))
    grpc_server.start()
    try:
        yield TlsServer(f"localhost:{port}", str(tmp_path / "ca.pem"))
    finally:
        grpc_server.stop(None).wait()
        built.store.close()


def test_the_customer_cli_talks_tls_with_the_servers_ca(
    tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tls = ["--server", tls_server.address, "--tls-ca", tls_server.ca_file]
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))

    assert cli.main([*tls, "login", "demo", "--password-stdin"]) == 0
    assert cli.main([*tls, "subscriptions", "--json"]) == 0

    out = capsys.readouterr().out
    assert json.loads(out[out.index("{") :])["subscriptions"]


def test_without_the_tls_flags_a_tls_server_cannot_be_reached(
    tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["--server", tls_server.address, "--deadline", "2", "login", "demo", "--password-stdin"]

    assert cli.main(argv) == 78  # 64 + UNAVAILABLE
    assert "(UNAVAILABLE)" in capsys.readouterr().err


def test_a_client_certificate_needs_its_key(
    run: Run,  # noqa: F811
    tmp_path: pathlib.Path,
) -> None:
    result = run("--tls-cert", str(tmp_path / "c.pem"), "subscriptions")
    assert result.code == 2
    assert "--tls-cert y --tls-key van juntos" in result.err


def test_an_error_with_request_info_shows_the_reference_for_support() -> None:
    error = UnavailableError(
        "Intenta en un momento.",
        reason="SERVER_BUSY",
        request_info=error_details_pb2.RequestInfo(request_id="req-7f3a"),
    )
    assert "Referencia para soporte: req-7f3a" in common.describe_error(error, "x:1")
