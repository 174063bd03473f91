"""Credentials for calling every service of the real server: a customer's
session token and a service key holding every scope."""

from __future__ import annotations

from typing import Any

from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

ALL_SCOPES = ("billing", "catalog", "support")
DEMO_USER, DEMO_PASSWORD = "demo", "demo-aspel-2026"


def service_key(server: Any, name: str = "every-scope") -> str:
    with server.services.store.connection():
        return str(server.services.admin.keys.create(name, ALL_SCOPES, "pytest").secret)


def session_token(server: Any, username: str = DEMO_USER, password: str = DEMO_PASSWORD) -> str:
    stub = pb_grpc.LicensingServiceStub(server.channel)
    answer = stub.Authenticate(
        pb.AuthenticateRequest(username=username, password=password), timeout=10
    )
    return str(answer.session_token)


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def for_service(path: str, session: str, key: str) -> list[tuple[str, str]]:
    """The credentials the method at `path` takes (none for ActivationService)."""
    if "/aspel.licensing.v1.AdminService/" in path:
        return bearer(key)
    if "/aspel.licensing.v1.LicensingService/" in path:
        return bearer(session)
    return []
