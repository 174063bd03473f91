"""The upgrade notification: AcceptUpgrade through the real gRPC server, then the
outbox worker delivers it to a real SMTP server. (`server` is tests/conftest.py's
RunningServer with the demo data on the fixed clock.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.spanish import long_date
from aspel.licensing.server.store.models import Account, OutboxMessage
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc
from tests.conftest import RunningServer

from .mail_support import SmtpServer, login, new_worker


@pytest.fixture(autouse=True)
def _connection(server: RunningServer) -> Iterator[None]:
    with server.services.store.connection():
        yield


def accept_sae_upgrade(server: RunningServer) -> pb.AcceptUpgradeResponse:
    stub = pb_grpc.LicensingServiceStub(server.channel)
    session = login(stub, "demo", "demo-aspel-2026")
    listed = stub.ListSubscriptions(pb.ListSubscriptionsRequest(), metadata=session)
    [sae] = [s for s in listed.subscriptions if s.product_code == "SAE"]
    terms = stub.GetUpgradeTerms(
        pb.GetUpgradeTermsRequest(serial_number=sae.serial_number), metadata=session
    ).upgrade_terms
    response: pb.AcceptUpgradeResponse = stub.AcceptUpgrade(
        pb.AcceptUpgradeRequest(serial_number=sae.serial_number, terms_id=terms.terms_id),
        metadata=session,
    )
    return response


def test_the_upgrade_email_arrives_with_the_right_content(
    server: RunningServer, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    result = accept_sae_upgrade(server)
    new, old = result.subscription, result.previous_subscription

    assert new_worker(server.services.store, clock, smtp_server.transport()).deliver_due() == 1

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["demo@example.com"]
    message = mail.message
    assert message["Subject"] == "Actualización de tu número de serie de Aspel SAE 7.0 a 8.0"
    [row] = OutboxMessage.select()
    assert message["Message-ID"] == row.message_id
    retire = old.retire_date
    retire_text = long_date(dt.date(retire.year, retire.month, retire.day))
    for body in (mail.text(), mail.html()):
        assert new.serial_number in body
        assert old.serial_number in body
        assert retire_text in body
        assert "https://www.aspel.com.mx/descargas" in body
        assert "Comercializadora Demo, S.A. de C.V." in body
        assert "asistente de activación" in body
    assert "de la versión 7.0 a la versión 8.0" in " ".join(mail.text().split())


def test_a_razon_social_with_markup_is_escaped_in_the_html(
    server: RunningServer, clock: FixedClock, smtp_server: SmtpServer
) -> None:
    Account.update(razon_social='<script>alert("hola")</script> & Hijos').where(
        Account.username == "demo"
    ).execute()
    accept_sae_upgrade(server)
    new_worker(server.services.store, clock, smtp_server.transport()).deliver_due()

    [mail] = smtp_server.received
    html = mail.html()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;hola&quot;)&lt;/script&gt; &amp; Hijos" in html
    assert '<script>alert("hola")</script> & Hijos' in mail.text()
