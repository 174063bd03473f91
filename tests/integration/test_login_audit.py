"""The audit of failed logins keeps the typed username only when it is an
account's: a password typed into the username field must not be stored."""

from __future__ import annotations

import json
from typing import Any

import grpc

from aspel.licensing.server.store.models import AuditEvent
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from .helpers import rich_error

# What a person types into the username field when the cursor was in the wrong place.
PASSWORD_AS_USERNAME = "Caballo-Correcto-Batería-2026"


def _failed_login(stub: Any, username: str, password: str) -> None:
    error = rich_error(
        lambda: stub.Authenticate(pb.AuthenticateRequest(username=username, password=password))
    )
    assert (error.code, error.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
    )


def _failed_logins(server: Any) -> list[tuple[str, str | None, str]]:
    with server.services.store.connection():
        rows = AuditEvent.select().where(AuditEvent.kind == "login.failed").order_by(AuditEvent.id)
        return [
            (
                row.actor,
                row.account_public_id,
                json.dumps([row.actor, row.peer, row.detail], ensure_ascii=False),
            )
            for row in rows
        ]


def test_a_failed_login_records_the_typed_name_only_when_it_is_an_accounts(
    server: Any,
) -> None:
    stub = pb_grpc.LicensingServiceStub(server.channel)

    _failed_login(stub, PASSWORD_AS_USERNAME, "demo-aspel-2026")
    _failed_login(stub, " Demo ", "not the password")

    [(unknown, no_account, text), (known, account, _)] = _failed_logins(server)
    assert (unknown, no_account) == ("user:?", None)
    assert PASSWORD_AS_USERNAME.lower() not in text.lower()
    assert known == "user:demo"
    assert account is not None
