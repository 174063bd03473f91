"""AdminService retries: every write replays its request_id and refuses it for
another request; twins racing with one request_id all get the first answer; a
payment counts once per payment reference, whoever records it; and the admin
CLI's --request-id reaches the server."""

from __future__ import annotations

import datetime as dt
import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from aspel.licensing.client.admin_cli import main
from aspel.licensing.server.domain import serials
from aspel.licensing.server.store.models import (
    Account,
    AuditEvent,
    IdempotencyRecord,
    Subscription,
)
from aspel.licensing.v1 import admin_service_pb2 as admin_pb
from aspel.licensing.v1 import subscription_pb2

from .conftest import Admin, failure
from .test_admin_scopes import REQUESTS, World

TWINS = 8

#: Each write, with one field changed to another valid value.
CHANGED: dict[str, Callable[[Any], None]] = {
    "CreateAccount": lambda r: setattr(r, "email", "otro@example.com"),
    "UpdateAccount": lambda r: setattr(r, "email", "tercero@example.com"),
    "DisableAccount": lambda r: setattr(r, "reason", "otro motivo"),
    "PublishRelease": lambda r: setattr(r, "download_url", r.download_url + "-bis"),
    "PublishUpgradeTerms": lambda r: setattr(r, "title", "Otros términos"),
    "CreateSubscription": lambda r: setattr(r, "users", 2),
    "RecordPayment": lambda r: setattr(r, "payment_reference", "FAC-OTRA"),
    "SuspendSubscription": lambda r: setattr(r, "reason", "otro motivo"),
    "ReinstateSubscription": lambda r: setattr(r, "reason", "otro motivo"),
    "ChangeSeats": lambda r: setattr(r, "users", 8),
    "StartPasswordReset": lambda r: setattr(r, "username", "demo2"),
    "IssueUpgrade": lambda r: setattr(r, "order_reference", "PED-OTRO"),
    "ImportSubscription": lambda r: setattr(r, "users", 2),
    "ReleaseActivation": lambda r: setattr(r, "reason", "otro motivo"),
    "RedeemOfflineRequest": lambda r: setattr(r, "razon_social", "Otra Empresa, S.A. de C.V."),
    "CreateWebhookEndpoint": lambda r: setattr(r, "url", "https://otro.example/eventos"),
    "DeleteWebhookEndpoint": lambda r: setattr(r, "endpoint_id", "whe_" + "0" * 20),
}


@pytest.fixture
def world(server: Any) -> World:
    """The demo data as AdminService sees it (test_admin_scopes.py's REQUESTS use it)."""
    services = server.services
    with services.store.connection():
        demo = Account.get(Account.username == "demo")
        demo2 = Account.get(Account.username == "demo2")
        by_product = {
            s.product_code: s.serial_number
            for s in Subscription.select().where(Subscription.account == demo.id)
        }
    return World(services, demo.public_id, demo2.public_id, by_product["SAE"], by_product["NOI"])


def race(call: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(TWINS)
    answers: list[Any] = []
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            answers.append(call())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(TWINS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers, failures


def codes(failures: list[BaseException]) -> list[str]:
    return [
        f.code().name if isinstance(f, grpc.RpcError) else repr(f)  # type: ignore[attr-defined]
        for f in failures
    ]


def same(answers: list[Any]) -> bool:
    return len({a.SerializeToString(deterministic=True) for a in answers}) == 1


def _due(server: Any, serial: str) -> dt.date:
    with server.services.store.connection():
        row = Subscription.get(Subscription.serial_number == serial.replace("-", ""))
        return row.next_payment_date  # type: ignore[no-any-return]


def _months(later: dt.date, earlier: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _payments(server: Any) -> int:
    with server.services.store.connection():
        return int(AuditEvent.select().where(AuditEvent.kind == "payment.recorded").count())


# --- every write -------------------------------------------------------------------


def test_every_write_has_a_changed_request() -> None:
    writes = {m for m, make in REQUESTS.items() if "request_id" in _fields(m)}
    assert writes == set(CHANGED)


def _fields(method: str) -> set[str]:
    # By the method, not the message's name: buf names some requests
    # AdminService<Method>Request (one LicensingService also has).
    service = admin_pb.DESCRIPTOR.services_by_name["AdminService"]
    return set(service.methods_by_name[method].input_type.fields_by_name)


@pytest.mark.parametrize("method", sorted(CHANGED))
def test_a_write_replays_its_request_id_and_refuses_it_for_another_request(
    method: str, world: World, demo_admin: Admin
) -> None:
    call = getattr(demo_admin.as_("everything"), method)
    request = REQUESTS[method](world)
    request.request_id = str(uuid.uuid4())
    first = call(request)

    assert call(request).SerializeToString() == first.SerializeToString()
    CHANGED[method](request)
    reused = failure(lambda: call(request))
    assert (reused.code, reused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED")


def test_twins_opening_an_account_with_one_request_id_open_one(
    demo_admin: Admin, server: Any
) -> None:
    request = admin_pb.CreateAccountRequest(
        username="gemelos",
        email="gemelos@example.com",
        razon_social="Gemelos, S.A.",
        request_id=str(uuid.uuid4()),
    )

    answers, failures = race(functools.partial(demo_admin.billing.CreateAccount, request))

    assert codes(failures) == []
    assert same(answers)
    with server.services.store.connection():
        assert Account.select().where(Account.username == "gemelos").count() == 1


def test_twins_selling_a_serial_with_one_request_id_sell_one(
    demo_admin: Admin, world: World, server: Any
) -> None:
    with server.services.store.connection():
        before = Subscription.select().count()
    request = admin_pb.CreateSubscriptionRequest(
        account_id=world.demo_account,
        product_code="SAE",
        version="8.0",
        users=3,
        modality=subscription_pb2.MODALITY_SUBSCRIPTION,
        billing_period=subscription_pb2.BILLING_PERIOD_MONTHLY,
        request_id=str(uuid.uuid4()),
    )

    answers, failures = race(functools.partial(demo_admin.billing.CreateSubscription, request))

    assert codes(failures) == []
    assert same(answers)
    with server.services.store.connection():
        assert Subscription.select().count() == before + 1


# --- payment references ----------------------------------------------------------


def test_a_payment_reference_counts_once_whoever_records_it(
    demo_admin: Admin, world: World, server: Any
) -> None:
    before = _due(server, world.sae_serial)

    def pay(key: str) -> Any:
        return demo_admin.as_(key).RecordPayment(
            admin_pb.RecordPaymentRequest(
                serial_number=world.sae_serial,
                request_id=str(uuid.uuid4()),
                payment_reference="FAC-1001",
            )
        )

    first = pay("billing-erp")
    again = pay("billing-erp")
    other_key = pay("everything")

    assert again.SerializeToString() == first.SerializeToString()
    assert other_key.SerializeToString() == first.SerializeToString()
    assert _months(_due(server, world.sae_serial), before) == 1
    assert _payments(server) == 1


def test_twins_recording_one_reference_with_other_request_ids_count_once(
    demo_admin: Admin, world: World, server: Any
) -> None:
    before = _due(server, world.sae_serial)

    def pay() -> Any:
        return demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(
                serial_number=world.sae_serial,
                request_id=str(uuid.uuid4()),
                payment_reference="FAC-2002",
            )
        )

    answers, failures = race(pay)

    assert codes(failures) == []
    assert same(answers)
    assert _months(_due(server, world.sae_serial), before) == 1
    assert _payments(server) == 1


def test_a_payment_reference_of_another_serial_is_refused(
    demo_admin: Admin, world: World, server: Any
) -> None:
    demo_admin.billing.RecordPayment(
        admin_pb.RecordPaymentRequest(
            serial_number=world.sae_serial,
            request_id=str(uuid.uuid4()),
            payment_reference="FAC-3003",
        )
    )
    before = _due(server, world.noi_serial)

    refused = failure(
        lambda: demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(
                serial_number=world.noi_serial,
                request_id=str(uuid.uuid4()),
                payment_reference="FAC-3003",
            )
        )
    )

    assert (refused.code, refused.reason) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "PAYMENT_REFERENCE_REUSED",
    )
    assert refused.metadata == {
        "payment_reference": "FAC-3003",
        "serial_number": serials.display(world.sae_serial),
    }
    assert _due(server, world.noi_serial) == before
    assert _payments(server) == 1


def test_payments_without_a_reference_count_by_request_id(
    demo_admin: Admin, world: World, server: Any
) -> None:
    before = _due(server, world.sae_serial)
    for _ in range(2):
        demo_admin.billing.RecordPayment(
            admin_pb.RecordPaymentRequest(
                serial_number=world.sae_serial, request_id=str(uuid.uuid4())
            )
        )
    assert _months(_due(server, world.sae_serial), before) == 2


# --- the admin CLI -----------------------------------------------------------------


@pytest.fixture
def cli(
    demo_admin: Admin,
    server: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("ASPEL_LICENSING_ADMIN_KEY", demo_admin.secrets["everything"])

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--server", server.address, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_record_payment_run_twice_with_one_reference_counts_once(
    cli: Callable[..., tuple[int, str, str]], world: World, server: Any
) -> None:
    before = _due(server, world.sae_serial)
    first = cli("record-payment", world.sae_serial, "--reference", "FAC-1001")
    second = cli("record-payment", world.sae_serial, "--reference", "FAC-1001")
    assert first[0] == second[0] == 0
    assert first[1] == second[1]
    assert _months(_due(server, world.sae_serial), before) == 1


def test_the_cli_request_id_reaches_the_server(
    cli: Callable[..., tuple[int, str, str]], world: World, server: Any
) -> None:
    request_id = str(uuid.uuid4())
    args = ("suspend", world.sae_serial, "--reason", "falta de pago", "--request-id", request_id)
    assert cli(*args)[0] == 0
    # Suspending twice would be refused (already SUSPENDED): the second run replays.
    assert cli(*args)[0] == 0
    with server.services.store.connection():
        stored = IdempotencyRecord.get(IdempotencyRecord.request_id == request_id)
    assert stored.operation == "SuspendSubscription"


def test_the_cli_refuses_a_request_id_that_is_no_uuid(
    cli: Callable[..., tuple[int, str, str]], world: World, server: Any
) -> None:
    code, _, err = cli("record-payment", world.sae_serial, "--request-id", "pago-1")
    assert code == 2
    assert "--request-id" in err
    assert _payments(server) == 0
