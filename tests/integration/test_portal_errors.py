"""Every reason of LicensingService, with its code, through the real server."""

from __future__ import annotations

import datetime as dt
import logging

import grpc
import pytest

from aspel.licensing.server.domain import serials
from aspel.licensing.v1 import licensing_service_pb2 as pb

from .helpers import Portal, rich_error


@pytest.fixture
def portal(server) -> Portal:  # type: ignore[no-untyped-def]
    return Portal(server.channel).login()


def login_error(server, username: str, password: str):  # type: ignore[no-untyped-def]
    return rich_error(lambda: Portal(server.channel).login(username, password))


@pytest.mark.parametrize(
    ("username", "password"),
    [("demo", "not the password"), ("nobody-here", "demo-aspel-2026")],
)
def test_unknown_user_and_wrong_password_get_the_same_answer(server, username, password) -> None:
    error = login_error(server, username, password)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS")
    assert error.metadata == {}
    assert error.localized.message == login_error(server, "x", "y").localized.message


def test_repeated_failures_lock_the_account_and_say_when_to_retry(server, clock) -> None:
    for _ in range(5):
        login_error(server, "demo", "wrong")
    error = login_error(server, "demo", "demo-aspel-2026")
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "ACCOUNT_LOCKED")
    retry = dt.datetime.fromisoformat(error.metadata["retry_time"])
    assert retry == clock.now() + dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "metadata",
    [[], [("authorization", "Bearer als_not-a-real-token")], [("authorization", "Basic abc")]],
)
def test_calls_without_a_valid_session_are_refused(server, metadata) -> None:
    stub = Portal(server.channel).stub
    error = rich_error(
        lambda: stub.ListSubscriptions(pb.ListSubscriptionsRequest(), metadata=metadata)
    )
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "SESSION_INVALID")


def test_another_accounts_serial_is_not_found(server) -> None:
    theirs = Portal(server.channel).login("demo2", "demo2-aspel-2026").serial("SAE")
    me = Portal(server.channel).login()
    for call in (
        lambda: me.terms(theirs),
        lambda: me.accept(theirs, "terms-x"),
        lambda: me.stub.GetSubscription(
            pb.GetSubscriptionRequest(serial_number=theirs), metadata=me.auth
        ),
    ):
        error = rich_error(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")


def test_a_well_formed_serial_nobody_has_is_not_found(portal: Portal) -> None:
    error = rich_error(lambda: portal.terms(serials.display(serials.generate())))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "SERIAL_NOT_FOUND")


def test_latest_version_has_no_upgrade(portal: Portal) -> None:
    error = rich_error(lambda: portal.terms(portal.serial("NOI")))
    assert (error.code, error.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "NO_UPGRADE_AVAILABLE",
    )


def test_perpetual_licence_upgrade_must_be_bought(portal: Portal) -> None:
    serial = portal.serial("COI")
    for call in (lambda: portal.terms(serial), lambda: portal.accept(serial, "terms-x")):
        error = rich_error(call)
        assert (error.code, error.reason) == (
            grpc.StatusCode.FAILED_PRECONDITION,
            "UPGRADE_REQUIRES_PURCHASE",
        )
        assert error.metadata["available_version"] == "10.0"


def test_terms_changed_since_shown_are_outdated(server, portal: Portal, clock) -> None:
    serial = portal.serial("SAE")
    shown = portal.terms(serial)
    # Through the catalog's repository, as every publisher: it tells the kept catalogs.
    with server.services.store.write() as tx:
        tx.catalog.add_terms(
            product_code="SAE",
            to_version="8.0",
            title="Nuevos términos",
            clauses=["Cláusula nueva de $product_name."],
            now=clock.now() + dt.timedelta(seconds=1),
        )
    error = rich_error(lambda: portal.accept(serial, shown.terms_id))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TERMS_OUTDATED")
    fresh = portal.terms(serial)
    assert fresh.terms_id != shown.terms_id
    assert portal.accept(serial, fresh.terms_id).subscription.version == "8.0"


def test_superseded_serial_is_not_active_and_names_its_successor(portal: Portal) -> None:
    serial = portal.serial("SAE")
    new = portal.accept(serial, portal.terms(serial).terms_id).subscription
    error = rich_error(lambda: portal.terms(serial))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SERIAL_NOT_ACTIVE")
    assert error.metadata["successor_serial_number"] == new.serial_number


@pytest.mark.parametrize(
    ("request_fields", "bad_fields"),
    [
        ({"serial_number": "", "terms_id": "t"}, ["serial_number"]),
        ({"serial_number": "NOT-A-SERIAL", "terms_id": "t"}, ["serial_number"]),
        ({"serial_number": "NOT-A-SERIAL", "terms_id": ""}, ["serial_number", "terms_id"]),
        (
            {"serial_number": "x", "terms_id": "t", "request_id": "not-a-uuid"},
            ["serial_number", "request_id"],
        ),
    ],
)
def test_bad_fields_are_named_in_a_bad_request(portal: Portal, request_fields, bad_fields) -> None:
    error = rich_error(
        lambda: portal.stub.AcceptUpgrade(
            pb.AcceptUpgradeRequest(**request_fields), metadata=portal.auth
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert error.field_violations == bad_fields


def test_a_mistyped_serial_is_invalid_not_missing(portal: Portal) -> None:
    serial = portal.serial("SAE")
    typo = serial[:-1] + ("0" if serial[-1] != "0" else "1")
    error = rich_error(lambda: portal.terms(typo))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


def test_negative_page_size_and_foreign_page_token_are_refused(portal: Portal) -> None:
    list_ = portal.stub.ListSubscriptions
    error = rich_error(
        lambda: list_(pb.ListSubscriptionsRequest(page_size=-1), metadata=portal.auth)
    )
    assert (error.reason, error.field_violations) == ("INVALID_ARGUMENT", ["page_size"])
    error = rich_error(
        lambda: list_(pb.ListSubscriptionsRequest(page_token="garbage!"), metadata=portal.auth)
    )
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")


def test_missing_login_fields_are_invalid(server) -> None:
    stub = Portal(server.channel).stub
    error = rich_error(lambda: stub.Authenticate(pb.AuthenticateRequest()))
    assert error.reason == "INVALID_ARGUMENT"
    assert error.field_violations == ["username", "password"]


def test_unexpected_failure_is_internal_logged_and_not_leaked(
    server, portal: Portal, monkeypatch, caplog
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("secret internals /var/lib/db")

    monkeypatch.setattr(server.services.portal, "list_subscriptions", explode)
    with caplog.at_level(logging.ERROR):
        error = rich_error(portal.subscriptions)
    assert (error.code, error.reason) == (grpc.StatusCode.INTERNAL, "INTERNAL")
    assert "secret internals" not in error.message + error.localized.message
    assert "secret internals" in caplog.text


def test_no_password_or_token_reaches_the_logs(server, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        portal = Portal(server.channel).login()
        portal.subscriptions()
        login_error(server, "demo", "a wrong secret")
    assert "demo-aspel-2026" not in caplog.text
    assert "a wrong secret" not in caplog.text
    assert portal.token and portal.token not in caplog.text
