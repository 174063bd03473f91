"""The documented list of error reasons stays in step with the code: errors.py,
the README's "Error reasons" table and the proto comments name the same
reasons with the same codes."""

from __future__ import annotations

import re
import string

import grpc
import pytest

from aspel.licensing.server import errors

from .registry import (
    api_reasons,
    error_classes,
    proto_comments,
    readme_table,
    reason_codes,
    rpcs,
    services,
)

# What the transport itself may answer on any RPC: listed in every service's header.
ANY_RPC = {"MALFORMED_REQUEST", "REQUEST_TOO_LARGE", "INTERNAL"}


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_has_a_canonical_code_and_an_upper_snake_reason(cls: type) -> None:
    assert cls.code in grpc.StatusCode.__members__ and cls.code != "OK"
    assert re.fullmatch(r"[A-Z][A-Z_]*[A-Z]", cls.reason)


def test_the_code_enum_is_grpcs_canonical_codes() -> None:
    assert {code.name for code in errors.Code} == set(grpc.StatusCode.__members__) - {"OK"}
    assert all(code.value == code.name for code in errors.Code)


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_every_error_declares_its_code_as_a_code_member(cls: type) -> None:
    assert isinstance(cls.code, errors.Code)


def _templates(cls: type) -> dict[str, str]:
    """Every es-MX template a class declares (the text and its optional parts)."""
    return {
        name: value
        for klass in cls.__mro__
        for name, value in vars(klass).items()
        if name.endswith("template") and isinstance(value, str)
    }


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_every_template_names_its_fields(cls: type) -> None:
    templates = _templates(cls)
    assert "template" in templates
    for text in templates.values():
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        assert all(re.fullmatch(r"[a-z][a-z_]*", name) for name in fields), text


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_no_template_writes_a_number_the_rules_decide(cls: type) -> None:
    """Lifetimes, limits and sizes arrive as fields from the policy that applies them."""
    templates = _templates(cls)
    assert templates
    assert {text for text in templates.values() if re.search(r"\d", text)} == set()


@pytest.mark.parametrize("cls", error_classes(), ids=lambda c: c.__name__)
def test_metadata_keys_are_snake_case_and_distinct(cls: type) -> None:
    keys = cls.metadata_keys
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z][a-z_]*[a-z]", key) for key in keys)


def test_each_reason_belongs_to_one_class() -> None:
    reasons = [cls.reason for cls in error_classes()]
    assert sorted(reasons) == sorted(set(reasons))


def test_the_readme_table_lists_every_reason_with_its_code() -> None:
    assert readme_table() == reason_codes()


def test_the_proto_comments_name_exactly_the_reasons_an_rpc_can_answer() -> None:
    comments = proto_comments()
    documented = set().union(*comments.methods.values(), *comments.headers.values())
    assert {reason for _, reason in documented} == api_reasons()
    # A reason mentioned any other way would escape this check.
    assert comments.all_reason_mentions == api_reasons()


def test_the_proto_comments_give_each_reason_its_code() -> None:
    comments = proto_comments()
    documented = set().union(*comments.methods.values(), *comments.headers.values())
    codes = reason_codes()
    assert {(code, reason) for code, reason in documented if codes[reason] != code} == set()


def test_every_rpc_of_every_service_has_its_errors_documented() -> None:
    comments = proto_comments()
    assert {r.path for r in rpcs()} == set(comments.methods)
    assert {s.full_name for s in services()} == set(comments.headers)


@pytest.mark.parametrize("service", [s.full_name for s in services()])
def test_every_service_header_lists_what_any_rpc_may_answer(service: str) -> None:
    assert {reason for _, reason in proto_comments().headers[service]} >= ANY_RPC
