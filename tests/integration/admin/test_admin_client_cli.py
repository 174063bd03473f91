"""`AdminClient` and the `aspel-licensing-admin` command against the real server."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

import pytest

from aspel.licensing.client import AdminClient
from aspel.licensing.client.cli import admin_tables
from aspel.licensing.client.cli.admin import main
from aspel.licensing.client.errors import NotFoundError, PermissionDeniedError
from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES
from aspel.licensing.v1 import activation_pb2, audit_event_pb2, subscription_pb2

from .conftest import Admin


@pytest.fixture
def run(
    admin: Admin,
    empty_server: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    """Runs the CLI with a key of the given name; returns (exit code, stdout, stderr)."""

    def run_cli(*args: str, key: str | None = "everything") -> tuple[int, str, str]:
        if key is None:
            monkeypatch.delenv("ASPEL_LICENSING_ADMIN_KEY", raising=False)
        else:
            monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", admin.secrets[key])
        code = main(["--server", empty_server.address, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


def _value(output: str, label: str) -> str:
    """The value printed beside `label` in a "label  value" block."""
    for line in output.splitlines():
        if line.startswith(label + "  "):
            return line[len(label) :].strip()
    raise AssertionError(f"{label!r} not in output:\n{output}")


def test_a_customer_from_nothing_with_the_cli_and_support_reads_it(
    run: Any, tmp_path: pathlib.Path
) -> None:
    url = "https://www.aspel.com.mx/descargas"
    assert run("publish-release", "sae", "7.0", "--url", url)[0] == 0
    code, out, _ = run("publish-release", "SAE", "8.0", "--url", url, "--from", "7.0")
    assert code == 0
    assert "Publicada Aspel SAE 8.0." in out
    clauses = tmp_path / "clausulas.txt"
    clauses.write_text("\n\n".join(DEFAULT_CLAUSES), encoding="utf-8")
    code, out, _ = run(
        "publish-terms", "SAE", "8.0", "--title", "Términos", "--clauses-file", str(clauses)
    )
    assert code == 0
    assert f"con {len(DEFAULT_CLAUSES)} cláusulas" in out
    code, out, _ = run(
        "create-account",
        "abarrotes",
        "--email",
        "dueña@abarrotes.example",
        "--razon-social",
        "Abarrotes Doña Mary, S.A. de C.V.",
    )
    assert code == 0
    assert "el correo para elegir la contraseña" in out
    account_id = _value(out, "Cuenta").split("(")[1].rstrip(")")
    code, out, _ = run(
        "create-subscription",
        account_id,
        "SAE",
        "7.0",
        "--users",
        "2",
        "--modality",
        "suscripcion",
        "--period",
        "mensual",
    )
    assert code == 0
    serial = _value(out, "Número de serie")
    assert _value(out, "Próximo pago") == "23/12/2026"
    assert _value(out, "Versión disponible") == "8.0 (sin costo)"
    code, out, _ = run("record-payment", serial, "--reference", "FAC-77")
    assert code == 0
    assert "Próximo pago: 23/12/2026 → 23/01/2027" in out

    code, out, _ = run("lookup", serial, key="support-desk")
    assert code == 0
    assert _value(out, "Sistema") == "Aspel SAE 7.0"
    assert _value(out, "Estado") == "Activo"
    assert _value(out, "Modalidad") == "Suscripción mensual"
    assert _value(out, "Razón social") == "Abarrotes Doña Mary, S.A. de C.V."
    assert "Pago registrado" in out and "payment_reference=FAC-77" in out
    assert out.index("Pago registrado") < out.index("Número de serie emitido")

    code, out, _ = run("events", "--serial", serial, key="support-desk")
    assert code == 0
    assert out.index("Número de serie emitido") < out.index("Pago registrado")
    code, out, _ = run("show-account", "abarrotes", key="support-desk")
    assert code == 0
    assert serial in out and "Números de serie (1):" in out


def test_without_a_key_the_cli_says_how_to_get_one(run: Any) -> None:
    code, out, err = run("lookup", "ABCDE-12345-FGH7K", key=None)
    assert code == 1
    assert "ASPEL_LICENSING_ADMIN_KEY" in err
    assert out == ""


def test_a_key_without_the_scope_is_told_which_scope_it_needs(run: Any) -> None:
    code, _, err = run("publish-release", "SAE", "7.0", "--url", "https://x.mx", key="support-desk")
    assert code == 71  # 64 + PERMISSION_DENIED
    assert "(SCOPE_MISSING)" in err
    assert "alcance catalog" in err


def test_server_errors_show_their_reason_and_bad_fields(run: Any) -> None:
    code, _, err = run("show-account", "nadie")
    assert (code, "(ACCOUNT_NOT_FOUND)" in err) == (69, True)  # 64 + NOT_FOUND
    code, _, err = run("publish-release", "SAE", "7.0", "--url", "http://inseguro.mx")
    assert code == 67  # 64 + INVALID_ARGUMENT
    assert "(INVALID_ARGUMENT)" in err and "download_url" in err


def test_the_admin_client_raises_typed_errors_and_pages_through_events(
    admin: Admin, empty_server: Any
) -> None:
    with AdminClient(channel=empty_server.channel, service_key=admin.secrets["everything"]) as a:
        with pytest.raises(NotFoundError) as missing:
            a.get_account(username="nadie")
        assert missing.value.reason == "ACCOUNT_NOT_FOUND"
        a.publish_release("COI", "9.0", "https://www.aspel.com.mx/descargas")
        account = a.create_account(
            "contador",
            "c@example.com",
            "Despacho, S.C.",
            initial_password="una frase bastante larga",
        ).account
        sold = a.create_subscription(
            account.account_id,
            "COI",
            "9.0",
            users=1,
            modality=subscription_pb2.MODALITY_PERPETUAL_LICENSE,
        )
        request_id = "6f1c2d9e-2a65-4c1b-9a37-1d1d0f7e0a11"
        a.change_seats(sold.serial_number, users=3, request_id=request_id)
        assert a.change_seats(sold.serial_number, users=3, request_id=request_id).users == 3
        kinds = [e.kind for e in a.list_audit_events(page_size=2)]
    assert kinds[-4:] == [
        "release.published",
        "account.created",
        "subscription.created",
        "subscription.seats_changed",
    ]
    with AdminClient(channel=empty_server.channel, service_key=admin.secrets["catalog-team"]) as a:
        with pytest.raises(PermissionDeniedError) as denied:
            a.lookup_serial(sold.serial_number)
        assert (denied.value.reason, denied.value.metadata["scope"]) == ("SCOPE_MISSING", "support")


# --- for scripts: --json, exit codes, Spanish usage, tables ------------------------------


@pytest.fixture
def sold(run: Any) -> dict[str, str]:
    """A customer with one SAE 7.0 serial, made with the CLI; its account id and serial."""
    assert run("publish-release", "SAE", "7.0", "--url", "https://www.aspel.com.mx/d")[0] == 0
    code, out, err = run(
        "create-account", "ferreteria", "--email", "f@example.com", "--razon-social", "Ferretería"
    )
    assert code == 0, err
    account_id = _value(out, "Cuenta").split("(")[1].rstrip(")")
    code, out, err = run(
        "create-subscription", account_id, "SAE", "7.0", "--users", "1", "--modality", "licencia"
    )
    assert code == 0, err
    return {"account_id": account_id, "serial": _value(out, "Número de serie")}


def test_lookup_json_is_the_whole_lookup(run: Any, sold: dict[str, str]) -> None:
    code, out, err = run("lookup", sold["serial"], "--json", key="support-desk")

    assert code == 0, err
    found = json.loads(out)
    assert found["subscription"]["serial_number"] == sold["serial"]
    assert found["subscription"]["modality"] == "MODALITY_PERPETUAL_LICENSE"
    assert found["subscription"]["next_payment_date"] is None
    assert found["account"]["account_id"] == sold["account_id"]
    assert found["activations"] == []
    kinds = [e["kind"] for e in found["recent_events"]]
    assert "subscription.created" in kinds
    for event in found["recent_events"]:
        assert dt.datetime.fromisoformat(event["event_time"]).tzinfo is not None


def test_show_account_and_events_json(run: Any, sold: dict[str, str]) -> None:
    code, out, err = run("show-account", "ferreteria", "--json", key="support-desk")
    assert code == 0, err
    account = json.loads(out)
    assert account["account"]["username"] == "ferreteria"
    assert [s["serial_number"] for s in account["subscriptions"]] == [sold["serial"]]

    code, out, err = run("events", "--serial", sold["serial"], "--json", key="support-desk")
    assert code == 0, err
    events = json.loads(out)["audit_events"]
    assert [e["kind"] for e in events] == ["subscription.created"]
    assert events[0]["details"]["product_code"] == "SAE"


def test_a_bad_service_key_exits_80(
    empty_server: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", "alsvc_not-a-real-key")

    code = main(["--server", empty_server.address, "lookup", "ABCDE-12345-FGH7K"])

    assert code == 80  # 64 + UNAUTHENTICATED
    assert "(SERVICE_KEY_INVALID)" in capsys.readouterr().err


def test_a_usage_error_exits_2_in_spanish(run: Any) -> None:
    code, out, err = run("suspend", "ABCDE-12345-FGH7K")

    assert code == 2
    assert out == ""
    assert err.startswith("uso: aspel-licensing-admin suspend")
    assert "error: faltan argumentos obligatorios: --reason" in err


def test_help_documents_the_same_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from aspel.licensing.client import cli

    assert main(["--help"]) == 0
    admin_help = capsys.readouterr().out
    assert cli.main(["--help"]) == 0
    customer_help = capsys.readouterr().out

    section = admin_help[admin_help.index("códigos de salida:") :]
    assert section in customer_help
    assert "80 UNAUTHENTICATED" in section and "muestra esta ayuda y termina" in admin_help


def _global_options(help_text: str) -> list[str]:
    """The help's lines of the flags before the command, but --server (its
    source differs: the saved session or none)."""
    options = help_text[help_text.index("opciones:") : help_text.index("ejemplos:")]
    blocks = options.split("\n  -")[1:]
    return sorted(b for b in blocks if not b.startswith("-server"))


def test_both_programs_share_their_global_flags_and_checks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aspel.licensing.client import cli

    monkeypatch.setenv("COLUMNS", "100")  # the same wrapping in both helps
    assert main(["--help"]) == 0
    admin_help = capsys.readouterr().out
    assert cli.main(["--help"]) == 0
    customer_help = capsys.readouterr().out
    assert _global_options(admin_help) == _global_options(customer_help)
    assert any(block.startswith("-deadline") for block in _global_options(admin_help))

    for argv in (["--deadline", "0"], ["--tls-cert", "c.pem"]):
        admin_code = main([*argv, "lookup", "ABCDE-12345-FGH7K"])
        admin_err = capsys.readouterr().err
        customer_code = cli.main([*argv, "subscriptions"])
        customer_err = capsys.readouterr().err
        assert admin_code == customer_code == 2, argv
        assert admin_err.splitlines()[-1].replace("aspel-licensing-admin", "X") == (
            customer_err.splitlines()[-1].replace("aspel-licensing", "X")
        )


def test_admin_tables_fit_100_columns_with_the_longest_values() -> None:
    event = audit_event_pb2.AuditEvent(
        kind="password_reset.requested",
        actor="user:" + "u" * 40,
        peer="ipv6:[2001:db8:85a3:1234:5678:8a2e:370:7334]:51234",
        serial_number="ABCDE-12345-FGH7K",
        details={"terms_id": "tmpl_" + "a" * 32, "reason": "Falta de pago " * 6},
    )
    event.event_time.FromDatetime(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC))
    activation = activation_pb2.Activation(
        activation_id="act_" + "b" * 26,
        hostname="CONTABILIDAD-PISO-3-" + "X" * 40,
        machine_fingerprint="m1-" + "c" * 40,
        product_code="FACTURE",
        version="10.0",
    )
    activation.create_time.FromDatetime(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC))
    activation.deactivate_time.CopyFrom(activation.create_time)
    serial = subscription_pb2.Subscription(
        serial_number="ABCDE-12345-FGH7K",
        product_name="Aspel FACTURE",
        version="10.0",
        users=250,
        installations_allowed=99,
        state=subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED,
    )
    tables = {
        "events": admin_tables.event_lines([event]),
        "activations": admin_tables.activation_table([activation]),
        "serials": admin_tables.serial_table([serial]),
    }
    for name, lines in tables.items():
        assert max(len(line) for line in lines) <= 100, name
        assert any("ABCDE-12345-FGH7K" in line for line in lines) or name == "activations"
    assert any(activation.activation_id in line for line in tables["activations"])


def test_issue_upgrade_from_the_cli_once_per_order(run: Any, tmp_path: pathlib.Path) -> None:
    url = "https://www.aspel.com.mx/descargas"
    assert run("publish-release", "COI", "9.0", "--url", url)[0] == 0
    assert run("publish-release", "COI", "10.0", "--url", url, "--from", "9.0")[0] == 0
    intro = tmp_path / "clausulas.txt"
    intro.write_text("Primera.\n\nSegunda.", encoding="utf-8")
    code, _, err = run(
        "publish-terms",
        "COI",
        "10.0",
        "--title",
        "Términos",
        "--clauses-file",
        str(intro),
        "--introduction",
        "Ya está $product_name ${to_version",
    )
    assert code == 67 and "INVALID_ARGUMENT" in err
    code, out, _ = run(
        "create-account",
        "contadores",
        "--email",
        "contadores@example.com",
        "--razon-social",
        "Contadores Unidos, S.C.",
    )
    account_id = _value(out, "Cuenta").split("(")[1].rstrip(")")
    code, out, _ = run(
        "create-subscription", account_id, "COI", "9.0", "--users", "1", "--modality", "licencia"
    )
    serial = _value(out, "Número de serie")
    assert _value(out, "Versión disponible") == "10.0 (se adquiere por separado)"

    order = ("--order", "PED-9", "--kind", "purchased", "--to-version", "10.0")
    code, out, err = run("issue-upgrade", serial, *order, "--modality", "licencia")
    assert code == 0, err
    new_serial = _value(out, "Número de serie")
    assert _value(out, "Sistema") == "Aspel COI 10.0"
    assert f"reemplaza a {serial}" in out
    # The same order again: the same serial, nothing new.
    code, out, _ = run("issue-upgrade", serial, *order, "--modality", "licencia")
    assert (code, _value(out, "Número de serie")) == (0, new_serial)
    # The same order with other fields: refused, exit 64 + ALREADY_EXISTS (6).
    code, _, err = run(
        "issue-upgrade", serial, *order, "--modality", "suscripcion", "--billing-period", "anual"
    )
    assert code == 70 and "ORDER_REFERENCE_REUSED" in err
    # Bad usage never reaches the server.
    code, _, err = run("issue-upgrade", serial, *order, "--modality", "licencia", "--overlap", "x")
    assert code == 2
    code, out, _ = run("lookup", serial, key="support-desk")
    assert new_serial in out and "Actualización comprada" in out


def test_issue_upgrade_a_modality_change_with_an_overlap_date(run: Any) -> None:
    url = "https://www.aspel.com.mx/descargas"
    assert run("publish-release", "NOI", "11.0", "--url", url)[0] == 0
    code, out, _ = run(
        "create-account",
        "nomina",
        "--email",
        "nomina@example.com",
        "--razon-social",
        "Nómina Fácil, S.A.",
    )
    account_id = _value(out, "Cuenta").split("(")[1].rstrip(")")
    code, out, _ = run(
        "create-subscription", account_id, "NOI", "11.0", "--users", "1", "--modality", "licencia"
    )
    serial = _value(out, "Número de serie")
    code, out, err = run(
        "issue-upgrade",
        serial,
        "--kind",
        "modality",
        "--modality",
        "suscripcion",
        "--billing-period",
        "mensual",
        "--order",
        "PED-10",
        "--overlap",
        "2026-12-31",
    )
    assert code == 0, err
    assert "se puede usar hasta el 31/12/2026" in out
    assert _value(out, "Modalidad") == "Suscripción mensual"
    assert _value(out, "Sistema") == "Aspel NOI 11.0"
