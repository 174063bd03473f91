"""The tutorial's flow through the real server: log in, list, read terms, accept."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest

from aspel.licensing.server.store.models import AuditEvent, OutboxMessage
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import subscription_pb2

from .helpers import Portal, rich_error


@pytest.fixture
def portal(server) -> Portal:  # type: ignore[no-untyped-def]
    return Portal(server.channel).login()


def test_authenticate_returns_a_token_its_expiry_and_the_account(server) -> None:
    response = Portal(server.channel).stub.Authenticate(
        pb.AuthenticateRequest(username="DEMO", password="demo-aspel-2026")
    )
    assert response.session_token.startswith("als_")
    assert response.account.username == "demo"
    assert response.account.razon_social == "Comercializadora Demo, S.A. de C.V."
    assert response.account.account_id.startswith("acc_")
    expire = response.expire_time.ToDatetime(tzinfo=dt.UTC)
    assert expire - dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC) == dt.timedelta(hours=12)


def test_subscriptions_table_shows_only_the_callers_serials(server) -> None:
    mine = Portal(server.channel).login().subscriptions()
    theirs = Portal(server.channel).login("demo2", "demo2-aspel-2026").subscriptions()
    assert [s.product_code for s in mine] == ["SAE", "CAJA", "COI", "NOI"]
    assert [s.product_code for s in theirs] == ["SAE"]
    assert not {s.serial_number for s in mine} & {s.serial_number for s in theirs}


def test_subscription_row_has_every_column_of_the_portal(portal: Portal) -> None:
    sae, caja, coi, noi = portal.subscriptions()
    assert (sae.product_name, sae.version, sae.users) == ("Aspel SAE", "7.0", 1)
    assert sae.modality == subscription_pb2.MODALITY_SUBSCRIPTION
    assert sae.billing_period == subscription_pb2.BILLING_PERIOD_MONTHLY
    assert sae.state == subscription_pb2.SUBSCRIPTION_STATE_ACTIVE
    assert sae.HasField("activation_date") and sae.HasField("next_payment_date")
    assert (sae.upgrade_available, sae.available_version) == (True, "8.0")
    assert caja.billing_period == subscription_pb2.BILLING_PERIOD_ANNUAL
    assert coi.modality == subscription_pb2.MODALITY_PERPETUAL_LICENSE
    assert not coi.HasField("next_payment_date")
    assert (coi.upgrade_available, coi.available_version) == (False, "10.0")
    assert (noi.upgrade_available, noi.available_version) == (False, "")


def test_list_paginates_with_opaque_tokens(portal: Portal) -> None:
    seen, token = [], ""
    while True:
        page = portal.stub.ListSubscriptions(
            pb.ListSubscriptionsRequest(page_size=3, page_token=token), metadata=portal.auth
        )
        assert len(page.subscriptions) <= 3
        seen += [s.serial_number for s in page.subscriptions]
        token = page.next_page_token
        if not token:
            break
    assert seen == [s.serial_number for s in portal.subscriptions()]


def test_terms_name_the_product_versions_dates_and_razon_social(portal: Portal) -> None:
    sae = portal.subscriptions()[0]
    terms = portal.terms(sae.serial_number)
    assert (terms.product_code, terms.from_version, terms.to_version) == ("SAE", "7.0", "8.0")
    assert terms.locale == "es-MX" and terms.title
    text = " ".join(terms.clauses)
    assert "Aspel SAE 8.0" in text and "Aspel SAE 7.0" in text
    assert "23 de diciembre de 2026" in text  # the next payment date: the retire date
    assert "mensual" in text
    assert "Comercializadora Demo, S.A. de C.V." in text
    assert len(terms.clauses) == 6
    assert portal.terms(sae.serial_number).terms_id == terms.terms_id


def test_accepting_issues_a_new_serial_supersedes_the_old_and_queues_one_email(
    server, portal: Portal
) -> None:
    sae = portal.subscriptions()[0]
    response = portal.accept(sae.serial_number, portal.terms(sae.serial_number).terms_id)
    new, old = response.subscription, response.previous_subscription
    assert new.serial_number != sae.serial_number
    assert (new.version, new.users, new.billing_period) == ("8.0", 1, sae.billing_period)
    assert new.next_payment_date == sae.next_payment_date
    assert new.predecessor_serial_number == sae.serial_number
    assert old.state == subscription_pb2.SUBSCRIPTION_STATE_SUPERSEDED
    assert old.retire_date == sae.next_payment_date
    assert old.successor_serial_number == new.serial_number

    with server.services.store.connection():
        mails = list(OutboxMessage.select())
        events = [e.kind for e in AuditEvent.select().where(AuditEvent.kind.startswith("sub"))]
    assert [(m.kind, m.recipient) for m in mails] == [("upgrade_notification", "demo@example.com")]
    assert mails[0].payload["from_version"] == "7.0" and mails[0].payload["to_version"] == "8.0"
    assert mails[0].payload["new_serial_number"] == new.serial_number
    assert events == ["subscription.upgraded"]
    assert [s.serial_number for s in portal.subscriptions()][-1] == new.serial_number


def test_accepting_again_returns_the_same_serial_and_sends_no_second_email(
    server, portal: Portal
) -> None:
    serial = portal.serial("CAJA")
    terms_id = portal.terms(serial).terms_id
    first = portal.accept(serial, terms_id)
    again = portal.accept(serial, terms_id)
    assert again.subscription.serial_number == first.subscription.serial_number
    with server.services.store.connection():
        assert OutboxMessage.select().count() == 1


def test_retry_with_the_same_request_id_gets_the_first_answer(portal: Portal) -> None:
    serial = portal.serial("SAE")
    request_id = str(uuid.uuid4())
    terms_id = portal.terms(serial).terms_id
    first = portal.accept(serial, terms_id, request_id)
    retry = portal.accept(serial, terms_id, request_id)
    assert retry == first


def test_request_id_reused_for_another_serial_is_refused(portal: Portal) -> None:
    request_id = str(uuid.uuid4())
    sae, caja = portal.serial("SAE"), portal.serial("CAJA")
    portal.accept(sae, portal.terms(sae).terms_id, request_id)
    error = rich_error(lambda: portal.accept(caja, portal.terms(caja).terms_id, request_id))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


def test_serial_is_accepted_in_any_case_without_dashes(portal: Portal) -> None:
    serial = portal.serial("SAE")
    sloppy = serial.replace("-", "").lower()
    response = portal.stub.GetSubscription(
        pb.GetSubscriptionRequest(serial_number=sloppy), metadata=portal.auth
    )
    assert response.subscription.serial_number == serial


def test_sign_out_ends_the_session(portal: Portal) -> None:
    portal.stub.SignOut(pb.SignOutRequest(), metadata=portal.auth)
    error = rich_error(portal.subscriptions)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "SESSION_INVALID")


def test_server_offers_health_and_reflection(server) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    health = health_pb2_grpc.HealthStub(server.channel)
    answer = health.Check(
        health_pb2.HealthCheckRequest(service="aspel.licensing.v1.LicensingService")
    )
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    responses = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = {s.name for r in responses for s in r.list_services_response.service}
    assert "aspel.licensing.v1.LicensingService" in names
