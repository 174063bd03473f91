"""PublishRelease and PublishUpgradeTerms."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.server.domain.upgrade_terms import DEFAULT_CLAUSES, PLACEHOLDERS
from aspel.licensing.server.store.models import UpgradeTermsText
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import licensing_service_pb2, licensing_service_pb2_grpc

from .conftest import Admin, failure

URL = "https://www.aspel.com.mx/descargas"


def _release(admin: Admin, version: str, sources: list[str], **fields: Any) -> Any:
    values = {
        "product_code": "SAE",
        "version": version,
        "upgrade_from_versions": sources,
        "download_url": URL,
        **fields,
    }
    return admin.catalog.PublishRelease(admin_pb.PublishReleaseRequest(**values))


def _terms(admin: Admin, clauses: Any = DEFAULT_CLAUSES, **fields: Any) -> Any:
    values = {"product_code": "SAE", "to_version": "8.0", "title": "Términos", **fields}
    return admin.catalog.PublishUpgradeTerms(
        admin_pb.PublishUpgradeTermsRequest(clauses=list(clauses), **values)
    )


def test_a_release_is_published_with_its_sources(admin: Admin) -> None:
    _release(admin, "7.0", [])
    release = _release(admin, "8.0", ["7.0"]).release
    assert (release.product_code, release.version, list(release.upgrade_from_versions)) == (
        "SAE",
        "8.0",
        ["7.0"],
    )
    assert release.publish_time.seconds > 0


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"product_code": "WORD"}, "product_code"),
        ({"version": "ocho"}, "version"),
        ({"download_url": "http://www.aspel.com.mx/descargas"}, "download_url"),
        ({"download_url": "descargas"}, "download_url"),
        ({"upgrade_from_versions": ["siete"]}, "upgrade_from_versions[0]"),
    ],
)
def test_malformed_release_fields_are_named(admin: Admin, fields: dict[str, Any], bad: str) -> None:
    values = {"version": "8.0", **fields}
    refused = failure(lambda: _release(admin, values.pop("version"), [], **values))
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert bad in refused.fields


def test_a_source_version_must_be_older(admin: Admin) -> None:
    _release(admin, "9.0", [])
    refused = failure(lambda: _release(admin, "8.0", ["9.0"]))
    assert refused.reason == "INVALID_ARGUMENT"
    assert refused.fields == {"upgrade_from_versions[0]"}


def test_a_source_version_must_be_published(admin: Admin) -> None:
    refused = failure(lambda: _release(admin, "8.0", ["7.0"]))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "RELEASE_NOT_PUBLISHED",
    )
    assert refused.metadata["version"] == "7.0"


def test_a_release_is_published_once(admin: Admin) -> None:
    _release(admin, "7.0", [])
    refused = failure(lambda: _release(admin, "7.0", []))
    assert (refused.code, refused.reason) == (grpc.StatusCode.ALREADY_EXISTS, "RELEASE_EXISTS")


def test_a_retried_publish_with_its_request_id_returns_the_release(admin: Admin) -> None:
    request_id = str(uuid.uuid4())
    first = _release(admin, "7.0", [], request_id=request_id).release
    assert _release(admin, "7.0", [], request_id=request_id).release == first


def test_terms_need_their_release(admin: Admin) -> None:
    refused = failure(lambda: _terms(admin))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "RELEASE_NOT_PUBLISHED",
    )


def test_terms_with_a_placeholder_no_serial_can_fill_are_refused(admin: Admin) -> None:
    _release(admin, "7.0", [])
    _release(admin, "8.0", ["7.0"])
    refused = failure(
        lambda: _terms(
            admin, ["Hola $razon_social.", "Tu precio: $precio_especial."], title="Para $cliente"
        )
    )
    assert refused.reason == "INVALID_ARGUMENT"
    assert refused.fields == {"clauses[1]", "title"}


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("clauses[0]", {"clauses": ["Tu ${product_name versión."]}),
        ("clauses[0]", {"clauses": ["Vacío: ${}."]}),
        ("introduction", {"introduction": "Ya está $producto."}),
        ("introduction", {"introduction": "Ya está ${to_version"}),
    ],
)
def test_malformed_or_unknown_placeholders_are_refused_listing_the_allowed_ones(
    admin: Admin, field: str, fields: dict[str, Any]
) -> None:
    _release(admin, "7.0", [])
    _release(admin, "8.0", ["7.0"])
    with pytest.raises(grpc.RpcError) as caught:
        _terms(admin, **fields)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    next(d for d in status.details if d.Is(bad.DESCRIPTOR)).Unpack(bad)
    [violation] = bad.field_violations
    assert violation.field == field
    for name in PLACEHOLDERS:
        assert f"${name}" in violation.description


def test_terms_with_an_introduction_show_it_to_the_customer(demo_admin: Admin, server: Any) -> None:
    template = _terms(
        demo_admin, ["Cláusula."], introduction="Hola, $razon_social: $product_name $to_version."
    ).upgrade_terms_template
    assert template.introduction == "Hola, $razon_social: $product_name $to_version."
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password="demo-aspel-2026")
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    rows = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(), metadata=session
    )
    sae = next(s for s in rows.subscriptions if s.product_code == "SAE")
    terms = portal.GetUpgradeTerms(
        licensing_service_pb2.GetUpgradeTermsRequest(serial_number=sae.serial_number),
        metadata=session,
    ).upgrade_terms
    assert terms.introduction == "Hola, Comercializadora Demo, S.A. de C.V.: Aspel SAE 8.0."
    assert list(terms.clauses) == ["Cláusula."]


@pytest.mark.parametrize("clauses", [[], ["  "]], ids=["none", "blank"])
def test_terms_need_clauses(admin: Admin, clauses: list[str]) -> None:
    refused = failure(lambda: _terms(admin, clauses))
    assert refused.reason == "INVALID_ARGUMENT"


def test_new_terms_change_every_terms_id_and_the_accepted_ones_stay_on_record(
    demo_admin: Admin, server: Any
) -> None:
    portal = licensing_service_pb2_grpc.LicensingServiceStub(server.channel)
    login = portal.Authenticate(
        licensing_service_pb2.AuthenticateRequest(username="demo", password="demo-aspel-2026")
    )
    session = [("authorization", f"Bearer {login.session_token}")]
    serials = portal.ListSubscriptions(
        licensing_service_pb2.ListSubscriptionsRequest(), metadata=session
    ).subscriptions
    sae, caja = serials[0].serial_number, serials[1].serial_number

    def terms(serial: str) -> Any:
        return portal.GetUpgradeTerms(
            licensing_service_pb2.GetUpgradeTermsRequest(serial_number=serial), metadata=session
        ).upgrade_terms

    # The customer accepts CAJA's terms; then SAE's terms are read.
    caja_terms = terms(caja)
    portal.AcceptUpgrade(
        licensing_service_pb2.AcceptUpgradeRequest(
            serial_number=caja, terms_id=caja_terms.terms_id
        ),
        metadata=session,
    )
    shown = terms(sae)
    template = _terms(
        demo_admin, ["Nueva condición para $product_name $to_version."], title="Nuevos términos"
    ).upgrade_terms_template
    assert template.template_id
    assert list(template.clauses) == ["Nueva condición para $product_name $to_version."]
    now_in_force = terms(sae)
    assert now_in_force.terms_id != shown.terms_id
    assert list(now_in_force.clauses) == ["Nueva condición para Aspel SAE 8.0."]
    outdated = failure(
        lambda: portal.AcceptUpgrade(
            licensing_service_pb2.AcceptUpgradeRequest(serial_number=sae, terms_id=shown.terms_id),
            metadata=session,
        )
    )
    assert outdated.reason == "TERMS_OUTDATED"
    # What CAJA's customer accepted is still on record, and the old SAE text too.
    caja_lookup = demo_admin.support.LookupSerial(admin_pb.LookupSerialRequest(serial_number=caja))
    assert caja_lookup.successors[0].serial_number
    successor = demo_admin.support.LookupSerial(
        admin_pb.LookupSerialRequest(serial_number=caja_lookup.successors[0].serial_number)
    )
    assert successor.accepted_terms_id == caja_terms.terms_id
    with server.services.store.connection():
        sae_texts = UpgradeTermsText.select().where(UpgradeTermsText.product_code == "SAE").count()
    assert sae_texts == 2
