"""`aspel-licensing-server service-keys create|list|revoke`, against the
server that checks the keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import grpc
import pytest

from aspel.licensing.server import cli
from aspel.licensing.server.store.models import AuditEvent, ServiceKey
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin, failure


@pytest.fixture
def run_cli(empty_server: Any, database_url: str, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*args: str) -> tuple[int, str, str]:
        # The command opens its own Store in this process; the server under
        # test keeps its own (binding.py), nothing to give back.
        code = cli.main(["--database", database_url, "service-keys", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _secret(output: str) -> str:
    [line] = [x for x in output.splitlines() if x.startswith("alsvc_")]
    return line


def test_a_created_key_is_shown_once_stored_hashed_and_works(
    run_cli: Any, empty_server: Any
) -> None:
    code, out, _ = run_cli("create", "erp", "--scope", "billing", "--scope", "support")
    assert code == 0
    secret = _secret(out)
    with empty_server.services.store.connection():
        [row] = ServiceKey.select()
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (row.name, row.scopes) == ("erp", ["billing", "support"])
    code, listing, _ = run_cli("list")
    assert code == 0
    assert listing.startswith("erp\tbilling,support\tcreated ")
    assert "active" in listing
    assert secret not in listing
    admin = Admin(empty_server.channel, {"erp": secret})
    assert list(admin.as_("erp").ListAuditEvents(admin_pb.ListAuditEventsRequest()).audit_events)


def test_a_revoked_key_is_refused_and_its_name_not_reused(run_cli: Any, empty_server: Any) -> None:
    _, out, _ = run_cli("create", "soporte", "--scope", "support")
    admin = Admin(empty_server.channel, {"soporte": _secret(out)})
    request = admin_pb.ListAuditEventsRequest()
    admin.as_("soporte").ListAuditEvents(request)
    code, out, _ = run_cli("revoke", "soporte")
    assert code == 0
    refused = failure(lambda: admin.as_("soporte").ListAuditEvents(request))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "SERVICE_KEY_INVALID",
    )
    assert "revoked" in run_cli("list")[1]
    code, _, err = run_cli("revoke", "soporte")
    assert code == 1
    assert "No hay una llave de servicio vigente" in err
    code, _, err = run_cli("create", "soporte", "--scope", "support")
    assert code == 1
    assert "soporte" in err


def test_key_changes_are_audited_without_the_secret(run_cli: Any, empty_server: Any) -> None:
    _, out, _ = run_cli("create", "catalogo", "--scope", "catalog")
    secret = _secret(out)
    run_cli("revoke", "catalogo")
    with empty_server.services.store.connection():
        events = list(
            AuditEvent.select()
            .where(AuditEvent.kind.startswith("service_key."))
            .order_by(AuditEvent.id)
        )
    # The fixture's own keys come first.
    mine = [e for e in events if e.detail["name"] == "catalogo"]
    assert [e.kind for e in mine] == ["service_key.created", "service_key.revoked"]
    assert all(e.actor.startswith("cli:") for e in mine)
    for event in mine:
        assert secret not in str(event.detail)
        assert hashlib.sha256(secret.encode()).hexdigest() not in str(event.detail)


def test_list_json_gives_scripts_every_key_without_its_secret(run_cli: Any) -> None:
    _, out, _ = run_cli("create", "erp", "--scope", "billing")
    secret = _secret(out)
    run_cli("create", "soporte", "--scope", "support")
    run_cli("revoke", "soporte")
    code, listing, _ = run_cli("list", "--json")
    assert code == 0
    keys = {k["name"]: k for k in json.loads(listing)}
    assert keys["erp"]["scopes"] == ["billing"] and keys["erp"]["revoke_time"] is None
    assert dt.datetime.fromisoformat(keys["erp"]["create_time"]).tzinfo is not None
    assert dt.datetime.fromisoformat(keys["soporte"]["revoke_time"])
    assert secret not in listing and hashlib.sha256(secret.encode()).hexdigest() not in listing


@pytest.mark.parametrize("name", ["Con Espacios", "_empieza-mal", "x" * 64])
def test_a_bad_name_is_refused(run_cli: Any, name: str) -> None:
    code, out, err = run_cli("create", name, "--scope", "billing")
    assert code == 1
    assert "alsvc_" not in out
    assert "nombre de la llave" in err


@pytest.mark.parametrize("args", [(), ("--scope", "admin")], ids=["no-scope", "unknown-scope"])
def test_a_key_needs_known_scopes(run_cli: Any, args: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_cli("create", "sin-alcance", *args)
    assert exited.value.code == 2
