"""Webhooks through the real server on both engines: CreateWebhookEndpoint,
ListWebhookEndpoints, DeleteWebhookEndpoint, and the delivery of audited
changes by the outbox worker to a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import pathlib
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.mail.transports import FileTransport
from aspel.licensing.server.mail.worker import OutboxWorker, build_worker
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import (
    AuditEvent,
    IdempotencyRecord,
    OutboxMessage,
    WebhookEndpoint,
)
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin, RunningServer, failure
from .webhook_receiver import Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test's receiver listens on plain http on 127.0.0.1."""
    return dataclasses.replace(settings, webhook_allow_loopback_http=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def worker(
    empty_server: RunningServer, settings: Settings, clock: FixedClock, tmp_path: pathlib.Path
) -> OutboxWorker:
    """The outbox worker `serve` and `mailer` run, email into a folder."""
    return build_worker(
        settings, empty_server.services.store, clock, FileTransport(tmp_path / "mail")
    )


def _create_endpoint(admin: Admin, url: str, *types: str, key: str = "billing-erp") -> Any:
    return admin.as_(key).CreateWebhookEndpoint(
        admin_pb.CreateWebhookEndpointRequest(url=url, event_types=list(types))
    )


def _create_account(admin: Admin, username: str = "papeleria") -> str:
    created = admin.billing.CreateAccount(
        admin_pb.CreateAccountRequest(
            username=username,
            email=f"{username}@papeleria.example",
            razon_social="Papelería El Lápiz, S.A. de C.V.",
            initial_password="correcta caballo batería grapa",
        )
    )
    return str(created.account.account_id)


def _deliver(server: RunningServer, worker: OutboxWorker) -> int:
    with server.services.store.connection():
        return worker.deliver_due()


def _webhook_rows(server: RunningServer) -> list[OutboxMessage]:
    with server.services.store.connection():
        return list(
            OutboxMessage.select().where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        )


def _of_type(receiver: Receiver, kind: str) -> list[Any]:
    return [r for r in receiver.received if json.loads(r.body)["type"] == kind]


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (the README's example, in short)."""
    timestamp = headers["Aspel-Webhook-Timestamp"]
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    given = headers["Aspel-Webhook-Signature"].removeprefix("v1=")
    return hmac.compare_digest(expected, given)


def test_an_audited_change_is_posted_signed_to_the_endpoint(
    admin: Admin,
    empty_server: RunningServer,
    worker: OutboxWorker,
    receiver: Receiver,
    clock: FixedClock,
) -> None:
    created = _create_endpoint(admin, receiver.url)
    secret = created.signing_secret
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created.endpoint.endpoint_id.startswith("whe_")
    account_id = _create_account(admin)

    _deliver(empty_server, worker)

    # Its own creation is the first event an endpoint gets (a check of the setup).
    [hello, got] = receiver.received
    assert json.loads(hello.body)["type"] == "webhook_endpoint.created"
    assert json.loads(hello.body)["detail"]["endpoint_id"] == created.endpoint.endpoint_id
    assert _verify(secret, hello.headers, hello.body)
    assert got.path == "/hooks/aspel?source=licensing"
    assert got.headers["Content-Type"].startswith("application/json")
    assert _verify(secret, got.headers, got.body)
    assert int(got.headers["Aspel-Webhook-Timestamp"]) == int(clock.now().timestamp())
    event = json.loads(got.body)
    assert event["type"] == "account.created"
    assert event["id"] == got.headers["Aspel-Webhook-Id"]
    assert event["id"].startswith("evt_")
    assert event["account_id"] == account_id
    assert event["serial_number"] is None
    assert event["time"] == "2026-11-23T18:00:00Z"
    assert event["detail"]["username"] == "papeleria"
    # A wrong secret or an altered body does not verify.
    assert not _verify("whsec_other", got.headers, got.body)
    assert not _verify(secret, got.headers, got.body.replace(b"papeleria", b"papelerix"))
    assert [(r.state, r.attempts) for r in _webhook_rows(empty_server)] == [("SENT", 1)] * 2
    assert _deliver(empty_server, worker) == 0
    assert len(receiver.received) == 2


def test_a_receiver_down_then_up_gets_the_event_once_with_the_same_id(
    admin: Admin,
    empty_server: RunningServer,
    worker: OutboxWorker,
    receiver: Receiver,
    clock: FixedClock,
) -> None:
    created = _create_endpoint(admin, receiver.url)
    receiver.stop()
    _create_account(admin)

    _deliver(empty_server, worker)
    rows = _webhook_rows(empty_server)
    assert [(r.state, r.attempts) for r in rows] == [("PENDING", 1)] * 2
    assert {r.last_error for r in rows} == {"connection refused"}
    assert all(r.next_attempt_time > clock.now() for r in rows)
    # Not due yet: nothing is tried before the backoff ends.
    assert _deliver(empty_server, worker) == 0

    receiver.start()
    clock.advance(dt.timedelta(minutes=2))
    _deliver(empty_server, worker)
    clock.advance(dt.timedelta(hours=2))
    _deliver(empty_server, worker)

    [got] = _of_type(receiver, "account.created")
    assert len(receiver.received) == 2
    assert _verify(created.signing_secret, got.headers, got.body)
    # Signed for the attempt that reached it.
    assert int(got.headers["Aspel-Webhook-Timestamp"]) == int(
        (clock.now() - dt.timedelta(hours=2)).timestamp()
    )
    assert [(r.state, r.attempts) for r in _webhook_rows(empty_server)] == [("SENT", 2)] * 2


def test_a_500_is_retried_with_the_same_body_and_event_id(
    admin: Admin,
    empty_server: RunningServer,
    worker: OutboxWorker,
    receiver: Receiver,
    clock: FixedClock,
) -> None:
    created = _create_endpoint(admin, receiver.url)
    receiver.status = 500
    _create_account(admin)
    _deliver(empty_server, worker)
    row = _webhook_rows(empty_server)[-1]
    assert (row.state, row.last_error) == ("PENDING", "HTTP 500")

    receiver.status = 204
    clock.advance(dt.timedelta(minutes=2))
    _deliver(empty_server, worker)

    first, second = _of_type(receiver, "account.created")
    assert first.body == second.body
    assert first.headers["Aspel-Webhook-Id"] == second.headers["Aspel-Webhook-Id"]
    assert _verify(created.signing_secret, second.headers, second.body)
    assert {r.state for r in _webhook_rows(empty_server)} == {"SENT"}


def test_a_deleted_endpoint_gets_nothing_not_even_what_was_queued(
    admin: Admin, empty_server: RunningServer, worker: OutboxWorker, receiver: Receiver
) -> None:
    created = _create_endpoint(admin, receiver.url)
    _create_account(admin, "antes")
    admin.billing.DeleteWebhookEndpoint(
        admin_pb.DeleteWebhookEndpointRequest(endpoint_id=created.endpoint.endpoint_id)
    )
    _create_account(admin, "despues")

    _deliver(empty_server, worker)

    assert receiver.received == []
    # Two rows were queued before the deletion (its creation, "antes"); they
    # failed without a POST, and nothing was queued after it.
    rows = _webhook_rows(empty_server)
    assert [r.state for r in rows] == ["FAILED", "FAILED"]
    assert all("deleted" in (r.last_error or "") for r in rows)
    listed = admin.support.ListWebhookEndpoints(admin_pb.ListWebhookEndpointsRequest())
    assert list(listed.endpoints) == []
    again = failure(
        lambda: admin.billing.DeleteWebhookEndpoint(
            admin_pb.DeleteWebhookEndpointRequest(endpoint_id=created.endpoint.endpoint_id)
        )
    )
    assert (again.code, again.reason) == (grpc.StatusCode.NOT_FOUND, "WEBHOOK_ENDPOINT_NOT_FOUND")
    assert again.metadata == {"endpoint_id": created.endpoint.endpoint_id}


def test_an_endpoint_gets_only_the_event_types_it_asked_for(
    admin: Admin, empty_server: RunningServer, worker: OutboxWorker, receiver: Receiver
) -> None:
    _create_endpoint(admin, receiver.url, "account.disabled", "webhook_endpoint.")
    account_id = _create_account(admin)
    admin.support.DisableAccount(
        admin_pb.DisableAccountRequest(account_id=account_id, reason="Cierre del cliente")
    )
    admin.billing.CreateWebhookEndpoint(
        admin_pb.CreateWebhookEndpointRequest(url=receiver.url, event_types=["payment.recorded"])
    )

    _deliver(empty_server, worker)

    types = sorted(json.loads(r.body)["type"] for r in receiver.received)
    # Its own creation and the second endpoint's, and the account disabled.
    assert types == ["account.disabled", "webhook_endpoint.created", "webhook_endpoint.created"]


def test_the_secret_is_never_logged_stored_in_clear_nor_listed(
    admin: Admin,
    empty_server: RunningServer,
    worker: OutboxWorker,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    request_id = str(uuid.uuid4())
    created = admin.billing.CreateWebhookEndpoint(
        admin_pb.CreateWebhookEndpointRequest(url=receiver.url, request_id=request_id)
    )
    secret = created.signing_secret
    _create_account(admin)
    receiver.status = 500
    _deliver(empty_server, worker)

    assert receiver.received
    assert secret not in caplog.text
    listed = admin.support.ListWebhookEndpoints(admin_pb.ListWebhookEndpointsRequest())
    [shown] = listed.endpoints
    assert shown == created.endpoint
    assert secret not in str(listed)
    with empty_server.services.store.connection():
        stored = [
            *(str(r.__data__) for r in WebhookEndpoint.select()),
            *(str(r.__data__) for r in OutboxMessage.select()),
            *(str(r.__data__) for r in AuditEvent.select()),
            *(str(r.__data__) for r in IdempotencyRecord.select()),
        ]
    assert stored and not any(secret in text for text in stored)
    assert not any(secret.removeprefix("whsec_") in text for text in stored)
    # A retry of the creation gets the same endpoint and secret back.
    again = admin.billing.CreateWebhookEndpoint(
        admin_pb.CreateWebhookEndpointRequest(url=receiver.url, request_id=request_id)
    )
    assert (again.endpoint, again.signing_secret) == (created.endpoint, secret)


def test_410_gone_disables_the_endpoint(
    admin: Admin,
    empty_server: RunningServer,
    worker: OutboxWorker,
    receiver: Receiver,
    clock: FixedClock,
) -> None:
    created = _create_endpoint(admin, receiver.url)
    receiver.status = 410
    _create_account(admin, "uno")
    _create_account(admin, "dos")
    _deliver(empty_server, worker)
    clock.advance(dt.timedelta(hours=3))
    _deliver(empty_server, worker)

    # The first POST (its creation) was answered 410; nothing was sent after it.
    assert len(receiver.received) == 1
    assert [r.state for r in _webhook_rows(empty_server)] == ["FAILED"] * 3
    assert (
        list(admin.support.ListWebhookEndpoints(admin_pb.ListWebhookEndpointsRequest()).endpoints)
        == []
    )
    events = admin.support.ListAuditEvents(
        admin_pb.ListAuditEventsRequest(kind="webhook_endpoint.disabled")
    ).audit_events
    assert [e.details["endpoint_id"] for e in events] == [created.endpoint.endpoint_id]


def test_endpoints_are_listed_in_pages(admin: Admin, receiver: Receiver) -> None:
    ids = [_create_endpoint(admin, receiver.url).endpoint.endpoint_id for _ in range(3)]
    first = admin.support.ListWebhookEndpoints(admin_pb.ListWebhookEndpointsRequest(page_size=2))
    second = admin.support.ListWebhookEndpoints(
        admin_pb.ListWebhookEndpointsRequest(page_size=2, page_token=first.next_page_token)
    )
    assert [e.endpoint_id for e in [*first.endpoints, *second.endpoints]] == ids
    assert second.next_page_token == ""
    bad = failure(
        lambda: admin.support.ListWebhookEndpoints(
            admin_pb.ListWebhookEndpointsRequest(page_token="nonsense")
        )
    )
    assert bad.reason == "INVALID_PAGE_TOKEN"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://billing.example/hooks",
        "ftp://127.0.0.1/hooks",
        "https://user:pass@billing.example/hooks",
        "https://token@billing.example/hooks",
        "https://billing.example/hooks#frag",
        "https:///hooks",
        "https://billing.example/hooks with space",
        "https://billing.example/\x00",
        "https://billing.example:99999/hooks",
        "https://billing.example/" + "a" * 2048,
        "http://10.0.0.1/hooks",
        # Addresses no endpoint is (the cloud metadata service, unspecified,
        # multicast), however they are written.
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:169.254.169.254]/hooks",
        "https://[fe80::1]/hooks",
        "https://0.0.0.0/hooks",
        "https://224.0.0.1/hooks",
    ],
)
def test_bad_urls_are_refused(admin: Admin, url: str) -> None:
    refused = failure(lambda: _create_endpoint(admin, url))
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert refused.fields == {"url"}


def test_bad_event_types_and_descriptions_are_refused(admin: Admin, receiver: Receiver) -> None:
    refused = failure(
        lambda: admin.billing.CreateWebhookEndpoint(
            admin_pb.CreateWebhookEndpointRequest(
                url=receiver.url, event_types=["ok.type", "Mal Tipo"], description="d" * 201
            )
        )
    )
    assert refused.fields == {"event_types[1]", "description"}
    too_many = failure(
        lambda: _create_endpoint(admin, receiver.url, *[f"t{i}." for i in range(51)])
    )
    assert too_many.fields == {"event_types"}
    bad_id = failure(
        lambda: admin.billing.DeleteWebhookEndpoint(
            admin_pb.DeleteWebhookEndpointRequest(endpoint_id="whe_../../x")
        )
    )
    assert bad_id.fields == {"endpoint_id"}


def test_https_is_required_unless_loopback_http_is_allowed(
    admin: Admin, empty_server: RunningServer
) -> None:
    empty_server.services.admin.webhooks.allow_loopback_http = False
    refused = failure(lambda: _create_endpoint(admin, "http://127.0.0.1:8080/hooks"))
    assert refused.fields == {"url"}
    assert _create_endpoint(admin, "https://crm.example/hooks").endpoint.url == (
        "https://crm.example/hooks"
    )


def test_billing_or_support_may_manage_endpoints_catalog_may_not(
    admin: Admin, receiver: Receiver
) -> None:
    by_support = _create_endpoint(admin, receiver.url, key="support-desk")
    assert by_support.endpoint.created_by == "service:support-desk"
    denied = failure(lambda: _create_endpoint(admin, receiver.url, key="catalog-team"))
    assert (denied.code, denied.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING")
    denied = failure(
        lambda: admin.catalog.ListWebhookEndpoints(admin_pb.ListWebhookEndpointsRequest())
    )
    assert denied.reason == "SCOPE_MISSING"


def test_the_endpoint_limit(admin: Admin, receiver: Receiver) -> None:
    for _ in range(20):
        _create_endpoint(admin, receiver.url)
    refused = failure(lambda: _create_endpoint(admin, receiver.url))
    assert (refused.code, refused.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "WEBHOOK_ENDPOINT_LIMIT",
    )
    assert refused.metadata == {"max_endpoints": "20"}


def test_the_admin_cli_creates_lists_and_deletes_endpoints(
    admin: Admin,
    empty_server: RunningServer,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aspel.licensing.client.cli.admin import main

    monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", admin.secrets["billing-erp"])

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--server", empty_server.address, "webhooks", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run(
        "create",
        receiver.url,
        "--event",
        "payment.",
        "--event",
        "account.created",
        "--description",
        "CRM",
    )
    assert code == 0
    assert "Guárdalo ahora: no se vuelve a mostrar." in out
    endpoint_id = out.split("registrado: ")[1].split()[0]
    secret = out.split("Secreto de firma: ")[1].split()[0]
    assert secret.startswith("whsec_")

    code, out, _ = run("list")
    assert code == 0
    assert endpoint_id in out and "account.created, payment." in out and "CRM" in out
    assert secret not in out
    code, out, _ = run("list", "--json")
    [listed] = json.loads(out)["endpoints"]
    assert listed["endpoint_id"] == endpoint_id

    assert run("delete", endpoint_id)[0] == 0
    assert "No hay destinos" in run("list")[1]
    code, _, err = run("delete", endpoint_id)
    assert code == 64 + grpc.StatusCode.NOT_FOUND.value[0]
    assert err
    code, _, err = run("create", "http://crm.example/hooks")
    assert code == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "https" in err


def test_a_serials_event_names_the_serial_as_printed_and_its_account(
    admin: Admin, empty_server: RunningServer, worker: OutboxWorker, receiver: Receiver
) -> None:
    from aspel.licensing.v1 import subscription_pb2

    _create_endpoint(admin, receiver.url, "subscription.created")
    admin.catalog.PublishRelease(
        admin_pb.PublishReleaseRequest(
            product_code="SAE", version="8.0", download_url="https://www.aspel.com.mx/descargas"
        )
    )
    account_id = _create_account(admin)
    sold = admin.billing.CreateSubscription(
        admin_pb.CreateSubscriptionRequest(
            account_id=account_id,
            product_code="SAE",
            version="8.0",
            users=1,
            modality=subscription_pb2.MODALITY_PERPETUAL_LICENSE,
        )
    ).subscription
    _deliver(empty_server, worker)
    [got] = receiver.received
    event = json.loads(got.body)
    assert (event["type"], event["account_id"]) == ("subscription.created", account_id)
    assert event["serial_number"] == sold.serial_number  # with its dashes


@pytest.mark.parametrize("host", ["localhost", "[::1]", "127.0.0.2"])
def test_http_to_any_loopback_name_is_allowed_when_the_setting_says_so(
    admin: Admin, host: str
) -> None:
    url = f"http://{host}:8080/hooks"
    assert _create_endpoint(admin, url).endpoint.url == url
