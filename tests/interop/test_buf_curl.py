"""A support engineer's session with `buf curl` (grpcurl-compatible) against the
real server, through server reflection only: no proto file is given."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from .conftest import BufCurl

SERVICE = "aspel.licensing.v1.LicensingService"


def url(server: Any, method: str = "") -> str:
    return f"http://{server.address}/{method}"


def login(buf_curl: BufCurl, server: Any) -> str:
    result = buf_curl(
        "-d",
        '{"username": "demo", "password": "demo-aspel-2026"}',
        url(server, f"{SERVICE}/Authenticate"),
    )
    assert result.returncode == 0, result.stderr
    token: str = result.json["sessionToken"]
    return token


def test_lists_the_services(buf_curl: BufCurl, server: Any) -> None:
    result = buf_curl("--list-services", url(server))
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) >= {
        SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


def test_lists_every_method_of_the_portal(buf_curl: BufCurl, server: Any) -> None:
    result = buf_curl("--list-methods", url(server))
    assert result.returncode == 0, result.stderr
    methods = {m.split("/")[1] for m in result.stdout.split() if m.startswith(SERVICE + "/")}
    assert methods == {
        "Authenticate",
        "SignOut",
        "ListSubscriptions",
        "GetSubscription",
        "GetUpgradeTerms",
        "AcceptUpgrade",
        "RequestPasswordReset",
        "ResetPassword",
        "ListActivations",
        "ReleaseActivation",
        "RedeemOfflineRequest",
    }


def test_describes_a_message_through_reflection(server: Any) -> None:
    # buf curl cannot describe (grpcurl's `describe` can); the same reflection
    # service answers Python's reflection client, as it answers grpcurl.
    with grpc.insecure_channel(server.address) as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        subscription = pool.FindMessageTypeByName("aspel.licensing.v1.Subscription")
        fields = {f.name: (f.number, f.type, f.message_type) for f in subscription.fields}
    assert fields["serial_number"][:2] == (1, descriptor_pb2.FieldDescriptorProto.TYPE_STRING)
    assert fields["users"][:2] == (5, descriptor_pb2.FieldDescriptorProto.TYPE_INT32)
    assert fields["retire_date"][0] == 15
    assert fields["retire_date"][2].full_name == "google.type.Date"
    state = subscription.fields_by_name["state"].enum_type
    assert state.values_by_number[0].name == "SUBSCRIPTION_STATE_UNSPECIFIED"


def test_reflection_also_describes_the_error_detail_types(server: Any) -> None:
    # grpcurl prints an error's details decoded by resolving their types here.
    with grpc.insecure_channel(server.address) as channel:
        pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        for name in ("ErrorInfo", "LocalizedMessage", "BadRequest"):
            assert pool.FindMessageTypeByName(f"google.rpc.{name}").fields


def test_health_check_says_serving(buf_curl: BufCurl, server: Any) -> None:
    for service in ("", SERVICE):
        result = buf_curl(
            "-d", json.dumps({"service": service}), url(server, "grpc.health.v1.Health/Check")
        )
        assert result.returncode == 0, result.stderr
        assert result.json == {"status": "SERVING"}


def test_logs_in_and_lists_subscriptions_with_the_bearer_token(
    buf_curl: BufCurl, server: Any
) -> None:
    token = login(buf_curl, server)
    assert token.startswith("als_")
    result = buf_curl(
        "-H",
        f"authorization: Bearer {token}",
        "-d",
        '{"page_size": 2}',
        url(server, f"{SERVICE}/ListSubscriptions"),
    )
    assert result.returncode == 0, result.stderr
    page = result.json
    assert [s["productCode"] for s in page["subscriptions"]] == ["SAE", "CAJA"]
    sae = page["subscriptions"][0]
    assert sae["state"] == "SUBSCRIPTION_STATE_ACTIVE"
    assert sae["nextPaymentDate"] == {"year": 2026, "month": 12, "day": 23}
    assert page["nextPageToken"]


def test_an_error_shows_its_code_and_details(buf_curl: BufCurl, server: Any) -> None:
    result = buf_curl(url(server, f"{SERVICE}/ListSubscriptions"))
    assert result.grpc_code == grpc.StatusCode.UNAUTHENTICATED.value[0]
    error = result.error
    assert error["code"] == "unauthenticated"
    assert [d["type"] for d in error["details"]] == [
        "google.rpc.ErrorInfo",
        "google.rpc.LocalizedMessage",
        "google.rpc.RequestInfo",
    ]


@pytest.mark.parametrize("verbose", [False, True], ids=["error-json", "verbose-trailer"])
def test_decode_status_makes_buf_curls_details_readable(
    buf_curl: BufCurl, server: Any, verbose: bool
) -> None:
    flags = ["-v"] if verbose else []
    result = buf_curl(
        *flags,
        "-d",
        '{"username": "demo", "password": "wrong"}',
        url(server, f"{SERVICE}/Authenticate"),
    )
    assert result.grpc_code == grpc.StatusCode.UNAUTHENTICATED.value[0]
    decoded = subprocess.run(
        [sys.executable, "-m", "aspel.licensing.client.decode_status"],
        input=result.stderr,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    status = json.loads(decoded.stdout)
    assert status["code"] == "UNAUTHENTICATED"
    info, localized, request = status["details"]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert (info["reason"], info["domain"]) == ("INVALID_CREDENTIALS", "licensing.aspel.com.mx")
    assert localized["locale"] == "es-MX" and localized["message"]
    # The id support matches to the server's request log line.
    assert request["@type"] == "type.googleapis.com/google.rpc.RequestInfo"
    assert request["request_id"]
