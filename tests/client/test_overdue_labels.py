"""The CLIs name the OVERDUE state in es-MX and tell the customer what it means."""

from __future__ import annotations

from google.type import date_pb2

from aspel.licensing.client.cli.common import state_label
from aspel.licensing.client.cli.portal import _note
from aspel.licensing.v1 import subscription_pb2 as sub_pb


def test_overdue_reads_pago_vencido_with_a_note() -> None:
    assert state_label(sub_pb.SUBSCRIPTION_STATE_OVERDUE) == "Pago vencido"
    overdue = sub_pb.Subscription(
        serial_number="7K3QD-M9X2A-PTW4H",
        state=sub_pb.SUBSCRIPTION_STATE_OVERDUE,
        next_payment_date=date_pb2.Date(year=2026, month=11, day=20),
    )

    note = _note(overdue)

    assert "venció el 20/11/2026" in note and "modo consulta (solo lectura)" in note
