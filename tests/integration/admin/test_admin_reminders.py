"""Customer reminders through the real server on both engines, on a fixed
clock: a payment coming due (7 and 1 days before), an installation that
stopped validating, an upgrade published for the serial; each sent once,
however many runs (or workers) there are."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from google.type import date_pb2

from aspel.licensing.server import cli
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.reminders import ReminderService
from aspel.licensing.server.mail.render import RenderContext, render
from aspel.licensing.server.reminders import build_reminders
from aspel.licensing.server.settings import Settings, SettingsError, payment_days
from aspel.licensing.server.store.models import (
    Activation,
    AuditEvent,
    OutboxMessage,
    ReminderSent,
)
from aspel.licensing.v1 import (
    activation_service_pb2,
    activation_service_pb2_grpc,
    subscription_pb2,
)
from aspel.licensing.v1 import admin_service_pb2 as admin_pb

from .conftest import Admin, RunningServer

RAZON_SOCIAL = "Taller Mecánico <El Pistón>, S.A."
CONTEXT = RenderContext(password_reset_url="https://www.aspel.com.mx/restablecer")


def _release(admin: Admin, version: str, *sources: str) -> None:
    admin.catalog.PublishRelease(
        admin_pb.PublishReleaseRequest(
            product_code="SAE",
            version=version,
            upgrade_from_versions=list(sources),
            download_url="https://www.aspel.com.mx/descargas",
        )
    )


@pytest.fixture
def serial(admin: Admin, empty_server: RunningServer) -> str:
    """SAE 7.0 bought monthly on 2026-10-30 (next payment 2026-11-30, seven days
    after the clock's today), activated on one machine now."""
    _release(admin, "7.0")
    account_id = admin.billing.CreateAccount(
        admin_pb.CreateAccountRequest(
            username="taller",
            email="taller@example.com",
            razon_social=RAZON_SOCIAL,
            initial_password="una contraseña de quince o más",
        )
    ).account.account_id
    sold = admin.billing.CreateSubscription(
        admin_pb.CreateSubscriptionRequest(
            account_id=account_id,
            product_code="SAE",
            version="7.0",
            users=1,
            modality=subscription_pb2.MODALITY_SUBSCRIPTION,
            billing_period=subscription_pb2.BILLING_PERIOD_MONTHLY,
            activation_date=date_pb2.Date(year=2026, month=10, day=30),
        )
    ).subscription
    assert (sold.next_payment_date.month, sold.next_payment_date.day) == (11, 30)
    activation_service_pb2_grpc.ActivationServiceStub(empty_server.channel).ActivateInstallation(
        activation_service_pb2.ActivateInstallationRequest(
            serial_number=sold.serial_number,
            razon_social=RAZON_SOCIAL,
            product_code="SAE",
            version="7.0",
            machine_fingerprint="machine-fp-0001",
            hostname="CAJA-01",
        ),
        timeout=10,
    )
    return str(sold.serial_number).replace("-", "")


@pytest.fixture
def reminders(empty_server: RunningServer, settings: Settings) -> ReminderService:
    services = empty_server.services
    return build_reminders(settings, services.store, services.calendar)


def _run(server: RunningServer, service: ReminderService, **kw: Any) -> list[tuple[str, str]]:
    with server.services.store.connection():
        return [(r.kind, r.occasion) for r in service.run(**kw)]


def _mail(server: RunningServer) -> list[OutboxMessage]:
    with server.services.store.connection():
        return list(
            OutboxMessage.select()
            .where(OutboxMessage.kind.startswith("reminder_"))
            .order_by(OutboxMessage.id)
        )


def test_a_payment_reminder_goes_once_at_seven_days_and_once_at_one(
    empty_server: RunningServer, serial: str, reminders: ReminderService, clock: FixedClock
) -> None:
    assert _run(empty_server, reminders) == [("reminder_payment_due", "2026-11-30/7")]
    assert _run(empty_server, reminders) == []
    clock.advance(dt.timedelta(days=3))
    assert _run(empty_server, reminders) == []
    clock.advance(dt.timedelta(days=3))  # 2026-11-29: due tomorrow
    assert _run(empty_server, reminders) == [("reminder_payment_due", "2026-11-30/1")]
    assert _run(empty_server, reminders) == []

    seven, one = _mail(empty_server)
    assert seven.recipient == "taller@example.com"
    text = render(seven.kind, seven.payload, CONTEXT)
    assert text.subject == "Tu pago de Aspel SAE 7.0 vence en 7 días"
    assert "el 30 de noviembre de 2026" in text.text
    assert serial[:5] in text.text
    # The razón social is escaped in the HTML, never markup.
    assert "&lt;El Pistón&gt;" in text.html and "<El Pistón>" not in text.html
    assert render(one.kind, one.payload, CONTEXT).subject.endswith("vence mañana")


def test_a_late_first_run_sends_only_the_nearest_threshold(
    empty_server: RunningServer, serial: str, reminders: ReminderService, clock: FixedClock
) -> None:
    clock.advance(dt.timedelta(days=6, hours=12))
    assert _run(empty_server, reminders) == [("reminder_payment_due", "2026-11-30/1")]


def test_a_paid_or_overdue_serial_gets_no_payment_reminder(
    admin: Admin,
    empty_server: RunningServer,
    serial: str,
    reminders: ReminderService,
    clock: FixedClock,
) -> None:
    admin.billing.RecordPayment(
        admin_pb.RecordPaymentRequest(
            serial_number=serial, request_id="6f1c1a52-3f6e-4d0e-9d0a-1d6f4e7b2a11"
        )
    )
    # The next payment is now 2026-12-30: more than seven days away.
    assert _run(empty_server, reminders) == []
    clock.advance(dt.timedelta(days=40))  # 2027-01-02: overdue, not "coming due"
    assert [k for k, _ in _run(empty_server, reminders)] == ["reminder_idle_installation"]


def test_an_idle_installation_is_told_once_until_it_validates_again(
    empty_server: RunningServer, serial: str, reminders: ReminderService, clock: FixedClock
) -> None:
    _run(empty_server, reminders)  # the payment reminder
    clock.advance(dt.timedelta(days=29))
    assert _run(empty_server, reminders) == []
    clock.advance(dt.timedelta(days=1, seconds=1))
    sent = _run(empty_server, reminders)
    assert [k for k, _ in sent] == ["reminder_idle_installation"]
    assert _run(empty_server, reminders) == []
    [mail] = [m for m in _mail(empty_server) if m.kind == "reminder_idle_installation"]
    rendered = render(mail.kind, mail.payload, CONTEXT)
    assert "«CAJA-01»" in rendered.text
    assert "23 de noviembre de 2026" in rendered.text
    assert "validado desde hace 30 días" in rendered.subject


def test_an_upgrade_is_announced_once_per_release(
    admin: Admin,
    empty_server: RunningServer,
    serial: str,
    reminders: ReminderService,
) -> None:
    _run(empty_server, reminders)
    _release(admin, "8.0", "7.0")
    assert _run(empty_server, reminders) == [("reminder_upgrade_available", "8.0")]
    assert _run(empty_server, reminders) == []
    _release(admin, "9.0", "7.0", "8.0")
    assert _run(empty_server, reminders) == [("reminder_upgrade_available", "9.0")]
    assert _run(empty_server, reminders) == []
    mail = _mail(empty_server)[-1]
    rendered = render(mail.kind, mail.payload, CONTEXT)
    assert rendered.subject == "Ya está disponible Aspel SAE 9.0 para tu número de serie"
    assert "https://www.aspel.com.mx/descargas" in rendered.html
    # Audited, so the webhooks of billing and CRM see every reminder too.
    with empty_server.services.store.connection():
        kinds = [
            e.detail["reminder"]
            for e in AuditEvent.select().where(AuditEvent.kind == "reminder.sent")
        ]
    assert kinds == ["reminder_payment_due", *["reminder_upgrade_available"] * 2]


def test_a_dry_run_lists_and_writes_nothing_then_a_run_sends(
    empty_server: RunningServer, serial: str, reminders: ReminderService
) -> None:
    assert _run(empty_server, reminders, dry_run=True) == [("reminder_payment_due", "2026-11-30/7")]
    assert _mail(empty_server) == []
    with empty_server.services.store.connection():
        assert ReminderSent.select().count() == 0
    assert len(_run(empty_server, reminders)) == 1
    assert _run(empty_server, reminders, dry_run=True) == []


def test_the_command_dry_run_writes_nothing(
    empty_server: RunningServer,
    serial: str,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The command runs on the system clock; whatever it finds, a dry run sends none.
    status = cli.main(["reminders", "--dry-run", "--database", settings.database_url])
    assert status == 0
    assert "would queue" in capsys.readouterr().err
    assert _mail(empty_server) == []
    status = cli.main(["reminders", "--database", settings.database_url])
    assert status == 0
    out = capsys.readouterr()
    queued = [line for line in out.out.splitlines() if line]
    assert len(_mail(empty_server)) == len(queued)
    assert "taller@example.com" not in out.out + out.err
    assert cli.main(["reminders", "--database", settings.database_url]) == 0
    assert capsys.readouterr().out == ""


def test_concurrent_runs_send_each_reminder_once(
    admin: Admin,
    empty_server: RunningServer,
    serial: str,
    settings: Settings,
    clock: FixedClock,
) -> None:
    _release(admin, "8.0", "7.0")
    services = empty_server.services
    start = threading.Barrier(4)
    sent: list[int] = []

    def run() -> None:
        service = build_reminders(settings, services.store, services.calendar)
        start.wait()
        with services.store.connection():
            sent.append(len(service.run()))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sent) == 2
    assert [m.kind for m in _mail(empty_server)] == [
        "reminder_payment_due",
        "reminder_upgrade_available",
    ]


@pytest.mark.parametrize("text", ["", "7,x", "0", "7,400", " , "])
def test_bad_payment_days_stop_the_start(text: str) -> None:
    with pytest.raises(SettingsError, match="ASPEL_LICENSING_REMINDER_PAYMENT_DAYS"):
        Settings.from_env({"ASPEL_LICENSING_REMINDER_PAYMENT_DAYS": text})


def test_payment_days_are_read_largest_first_without_repeats() -> None:
    settings = Settings.from_env({"ASPEL_LICENSING_REMINDER_PAYMENT_DAYS": "1, 7,3,7"})
    assert payment_days(settings.reminder_payment_days) == (7, 3, 1)


def test_a_machine_licensed_for_a_long_stay_offline_is_not_idle(
    empty_server: RunningServer, serial: str, reminders: ReminderService, clock: FixedClock
) -> None:
    """An offline redemption gives a licence for months (a perpetual one, a
    year): its machine never calls, and is told only near that licence's end."""
    with empty_server.services.store.connection():
        Activation.update(license_expire_time=clock.now() + dt.timedelta(days=395)).execute()
    _run(empty_server, reminders)  # the payment reminder
    clock.advance(dt.timedelta(days=31))
    assert "reminder_idle_installation" not in [k for k, _ in _run(empty_server, reminders)]
    clock.advance(dt.timedelta(days=305))
    assert "reminder_idle_installation" in [k for k, _ in _run(empty_server, reminders)]
