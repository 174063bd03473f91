"""U+0000 in any text field of any request is INVALID_ARGUMENT naming the fields,
on every RPC, before credentials are even looked at. (PostgreSQL cannot store it:
a login with such a username answered INTERNAL.)"""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import descriptor

from aspel.licensing.server.transport.validation import nul_characters
from aspel.licensing.v1 import admin_service_pb2

from .calls import call_raw
from .registry import rpcs


def test_every_text_field_with_a_nul_is_named_on_every_rpc(server: Any) -> None:
    wrong = {}
    for rpc in rpcs():
        request = rpc.request_class()()
        named = set()
        for field in rpc.input.fields:
            if field.type != descriptor.FieldDescriptor.TYPE_STRING:
                continue
            if field.is_repeated:
                getattr(request, field.name).append("a\x00b")
                named.add(f"{field.name}[0]")
            else:
                setattr(request, field.name, "a\x00b")
        # Of a oneof, only the member set last is left set.
        named |= {f.name for f, v in request.ListFields() if isinstance(v, str)}
        if not named:
            continue  # SignOut: no text field
        answer = call_raw(server.channel, rpc.path, request.SerializeToString())
        if (answer.code, answer.reason) != (
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_ARGUMENT",
        ) or set(answer.fields) != named:
            wrong[rpc.path] = (answer.code, answer.reason, answer.fields, named)
    assert wrong == {}


def test_nested_and_repeated_text_is_checked_too() -> None:
    request = admin_service_pb2.PublishUpgradeTermsRequest(
        title="ok", clauses=["bien", "mal\x00"], product_code="\x00SAE"
    )
    assert {f for f, _ in nul_characters(request)} == {"clauses[1]", "product_code"}
