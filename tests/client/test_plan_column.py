"""The CLI's "Plan actualizado" column and the RPC say the same thing: the
column is read from `Subscription.plan_status`, the server's one rule, for
every serial of the demo account (a free upgrade, a bought one, the latest,
and a replaced serial)."""

from __future__ import annotations

import json

from aspel.licensing.client.cli import portal
from aspel.licensing.client.licensing import LicensingClient
from aspel.licensing.v1 import subscription_pb2 as sub_pb
from tests.conftest import RunningServer

from .test_cli import PASSWORD, Run, logged_in, run  # noqa: F401 (fixtures)

#: What the column must read for each plan status the server answers.
EXPECTED = {
    sub_pb.PLAN_STATUS_UP_TO_DATE: "Sí",
    sub_pb.PLAN_STATUS_UPGRADE_AVAILABLE: "No: {version} disponible",
    sub_pb.PLAN_STATUS_UPGRADE_REQUIRES_PURCHASE: "No: {version} con costo",
    sub_pb.PLAN_STATUS_NOT_APPLICABLE: "—",
}


def _rpc_rows(server: RunningServer) -> list[sub_pb.Subscription]:
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        return list(client.list_subscriptions())


def test_the_plan_column_agrees_with_the_rpc_for_every_serial(
    logged_in: Run,  # noqa: F811
    server: RunningServer,
) -> None:
    # A replaced serial too: accept SAE's free upgrade first.
    with LicensingClient(server.address) as client:
        client.authenticate("demo", PASSWORD)
        sae = next(s for s in client.list_subscriptions() if s.product_code == "SAE")
        client.accept_upgrade(
            sae.serial_number, client.get_upgrade_terms(sae.serial_number).terms_id
        )
    rows = _rpc_rows(server)
    seen = {s.plan_status for s in rows}
    assert seen == set(EXPECTED), seen  # the demo covers every status

    result = logged_in("subscriptions")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    header = next(line for line in lines if line.startswith("Sistema "))
    column = header.index("Plan")
    for s in rows:
        expected = EXPECTED[s.plan_status].format(version=s.available_version)
        assert portal.subscription_row(s)[-1] == expected
        # The printed cell (its first line, when it wraps) is that text.
        line = next(line for line in lines if s.serial_number in line)
        printed = line[column:].strip()
        assert printed and expected.startswith(printed), (line, expected)

    # The perpetual licence is not up to date, and the output says where to buy it.
    coi = next(s for s in rows if s.product_code == "COI")
    assert coi.plan_status == sub_pb.PLAN_STATUS_UPGRADE_REQUIRES_PURCHASE
    assert coi.purchase_url and coi.purchase_url in " ".join(result.out.split())

    as_json = json.loads(logged_in("subscriptions", "--json").out)
    by_serial = {s["serial_number"]: s for s in as_json["subscriptions"]}
    for s in rows:
        assert by_serial[s.serial_number]["plan_status"] == sub_pb.PlanStatus.Name(s.plan_status)


def test_terms_print_the_introduction_before_the_clauses(
    logged_in: Run,  # noqa: F811
    server: RunningServer,
) -> None:
    sae = next(s for s in _rpc_rows(server) if s.product_code == "SAE")
    result = logged_in("terms", sae.serial_number)
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "Ya está disponible una nueva versión para tu sistema en renta, Aspel SAE 8.0" in text
    assert text.index("solo debes considerar los siguientes aspectos:") < text.index("1. ")
