"""Bought upgrades, the one "Plan actualizado" rule and the terms as the vendor
writes them, on the in-memory store with a fixed clock (demo data: SAE 7.0
monthly with 8.0 free, COI 9.0 perpetual with 10.0 published, NOI 11.0 latest)."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.app import Services
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain import subscriptions as plan
from aspel.licensing.server.domain.admin.upgrades import (
    MODALITY_CHANGE,
    OVERLAP_NEXT_VALIDATION,
    OVERLAP_NONE,
    OVERLAP_UNTIL_DATE,
    PURCHASED_UPGRADE,
    UpgradeOrder,
)
from aspel.licensing.server.domain.products import DEFAULT_PURCHASE_URL
from aspel.licensing.server.domain.service_keys import Actor
from aspel.licensing.server.domain.states import (
    ACTIVE,
    INACTIVE,
    PERPETUAL_LICENSE,
    SUBSCRIPTION,
    SUPERSEDED,
)
from aspel.licensing.server.domain.upgrade_terms import (
    DEFAULT_CLAUSES,
    DEFAULT_INTRODUCTION,
    PLACEHOLDERS,
    placeholder_problems,
)
from aspel.licensing.server.store.models import AuditEvent, OutboxMessage

from .test_subscription_state import caller_for, demo_serial, upgrade

BILLING = Actor("billing-erp", frozenset({"billing"}), peer="test")


def order(serial: str, **fields: object) -> UpgradeOrder:
    values: dict[str, object] = {
        "serial_number": serial,
        "kind": PURCHASED_UPGRADE,
        "to_version": "10.0",
        "modality": PERPETUAL_LICENSE,
        "billing_period": None,
        "order_reference": "PED-1",
        "overlap": OVERLAP_NEXT_VALIDATION,
        "overlap_end_date": None,
        **fields,
    }
    return UpgradeOrder(**values)  # type: ignore[arg-type]


# --- the one rule of "Plan actualizado" -------------------------------------------


@pytest.mark.parametrize(
    ("product", "status", "version"),
    [
        ("SAE", plan.UPGRADE_AVAILABLE, "8.0"),
        ("COI", plan.UPGRADE_REQUIRES_PURCHASE, "10.0"),
        ("NOI", plan.UP_TO_DATE, None),
    ],
)
def test_plan_status_is_decided_once_per_serial(
    demo: Services, product: str, status: str, version: str | None
) -> None:
    view = demo.portal.get_subscription(
        caller_for(demo, "demo"), demo_serial(product).serial_number
    )
    assert (view.plan_status, view.available_version) == (status, version)
    # upgrade_available is that same rule, not a second one.
    assert view.upgrade_available is (status == plan.UPGRADE_AVAILABLE)


def test_a_perpetual_licence_with_a_paid_newer_version_is_not_up_to_date(demo: Services) -> None:
    coi = demo.portal.get_subscription(caller_for(demo, "demo"), demo_serial("COI").serial_number)
    assert coi.plan_status != plan.UP_TO_DATE
    with pytest.raises(errors.UpgradeRequiresPurchase) as refused:
        demo.portal.get_upgrade_terms(caller_for(demo, "demo"), coi.serial_number)
    assert refused.value.metadata["purchase_url"] == DEFAULT_PURCHASE_URL
    assert DEFAULT_PURCHASE_URL in refused.value.message_es


def test_a_replaced_serial_has_no_plan_to_update(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    result = upgrade(demo, caller, demo_serial("SAE").serial_number)
    assert result.previous_subscription.plan_status == plan.NOT_APPLICABLE
    assert result.subscription.plan_status == plan.UP_TO_DATE


# --- IssueUpgrade -------------------------------------------------------------------


def test_a_bought_upgrade_goes_through_the_succession_step(demo: Services) -> None:
    coi = demo_serial("COI")
    issued = demo.admin.upgrades.issue_upgrade(BILLING, order(coi.serial_number), key=None)
    new, old = issued.subscription, issued.previous_subscription
    assert (new.version, new.modality, new.predecessor_serial_number) == (
        "10.0",
        PERPETUAL_LICENSE,
        coi.serial_number,
    )
    assert (old.state, old.successor_serial_number) == (SUPERSEDED, new.serial_number)
    assert old.retire_date == demo.calendar.today()
    [email] = OutboxMessage.select().where(OutboxMessage.kind == "upgrade_notification")
    assert email.payload["what_happened"].startswith("Compraste Aspel COI 10.0")
    [event] = AuditEvent.select().where(AuditEvent.kind == "subscription.upgrade_purchased")
    assert event.detail["order_reference"] == "PED-1"
    assert event.detail["new_serial_number"] == new.serial_number


def test_the_free_upgrade_and_the_bought_one_write_the_same_kind_of_email(
    demo: Services,
) -> None:
    upgrade(demo, caller_for(demo, "demo"), demo_serial("SAE").serial_number)
    demo.admin.upgrades.issue_upgrade(BILLING, order(demo_serial("COI").serial_number), key=None)
    free, bought = OutboxMessage.select().order_by(OutboxMessage.id)
    assert free.kind == bought.kind == "upgrade_notification"
    assert set(free.payload) == set(bought.payload)
    assert "sin costo" in free.payload["what_happened"]
    assert "Compraste" in bought.payload["what_happened"]


def test_a_modality_change_without_overlap_retires_the_old_serial_today(
    demo: Services, clock: object
) -> None:
    coi = demo_serial("COI")
    issued = demo.admin.upgrades.issue_upgrade(
        BILLING,
        order(
            coi.serial_number,
            kind=MODALITY_CHANGE,
            to_version="",
            modality=SUBSCRIPTION,
            billing_period="ANNUAL",
            overlap=OVERLAP_NONE,
        ),
        key=None,
    )
    today = demo.calendar.today()
    assert issued.previous_subscription.state == INACTIVE
    assert (issued.subscription.version, issued.subscription.billing_period) == ("9.0", "ANNUAL")
    assert issued.subscription.next_payment_date == dt.date(today.year + 1, today.month, today.day)
    assert issued.subscription.state == ACTIVE


def test_the_same_order_issues_one_successor(demo: Services) -> None:
    coi = demo_serial("COI").serial_number
    first = demo.admin.upgrades.issue_upgrade(BILLING, order(coi), key=None)
    other_key = Actor("otra-llave", frozenset({"billing"}))
    again = demo.admin.upgrades.issue_upgrade(other_key, order(coi), key=None)
    assert again.subscription.serial_number == first.subscription.serial_number
    with pytest.raises(errors.OrderReferenceReused) as reused:
        demo.admin.upgrades.issue_upgrade(BILLING, order(coi, overlap=OVERLAP_NONE), key=None)
    shown = serials.display(first.subscription.serial_number)
    assert reused.value.metadata["successor_serial_number"] == shown


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to_version": ""}, "to_version"),
        ({"billing_period": "MONTHLY"}, "billing_period"),
        ({"modality": SUBSCRIPTION}, "billing_period"),
        ({"overlap": OVERLAP_UNTIL_DATE}, "overlap_end_date"),
        ({"overlap_end_date": dt.date(2027, 1, 1)}, "overlap_end_date"),
        (
            {"overlap": OVERLAP_UNTIL_DATE, "overlap_end_date": dt.date(2001, 1, 1)},
            "overlap_end_date",
        ),
        ({"to_version": "9.0"}, "to_version"),
        ({"kind": MODALITY_CHANGE}, "new_modality"),
    ],
)
def test_orders_that_cannot_be_issued_are_refused_before_anything_changes(
    demo: Services, fields: dict[str, object], field: str
) -> None:
    coi = demo_serial("COI").serial_number
    with pytest.raises(errors.InvalidArgument) as refused:
        demo.admin.upgrades.issue_upgrade(BILLING, order(coi, **fields), key=None)
    assert field in {name for name, _ in refused.value.field_violations}
    assert demo_serial("COI").status == ACTIVE
    assert OutboxMessage.select().count() == 0


# --- the terms as the vendor writes them -----------------------------------------


def test_the_default_terms_follow_the_seed(demo: Services) -> None:
    terms = demo.portal.get_upgrade_terms(
        caller_for(demo, "demo"), demo_serial("SAE").serial_number
    )
    assert terms.introduction == (
        "Ya está disponible una nueva versión para tu sistema en renta, Aspel SAE 8.0, puedes "
        "obtenerla sin costo adicional en este momento, solo debes considerar los siguientes "
        "aspectos:"
    )
    assert len(terms.clauses) == len(DEFAULT_CLAUSES) == 6
    assert (
        "a bien de que puedas trasladar la información de una versión a otra" in (terms.clauses[2])
    )
    assert "$" not in " ".join((terms.introduction, *terms.clauses))


@pytest.mark.parametrize(
    "text",
    [
        DEFAULT_INTRODUCTION,
        *DEFAULT_CLAUSES,
        "Precio especial: $1,500 o $ 2,000; $$product_name es literal.",
        "${product_name} ${to_version}",
    ],
)
def test_good_placeholders_pass(text: str) -> None:
    assert placeholder_problems(text) == []


@pytest.mark.parametrize(
    "text", ["$producto", "${producto}", "${product_name", "${}", "${1}", "Hola ${ product_name }"]
)
def test_bad_placeholders_are_named_with_the_allowed_ones(text: str) -> None:
    problems = placeholder_problems(text)
    assert problems
    for name in PLACEHOLDERS:
        assert f"${name}" in problems[-1]


def test_published_terms_carry_their_introduction(demo: Services) -> None:
    catalog = Actor("catalog", frozenset({"catalog"}))
    template = demo.admin.catalog.publish_upgrade_terms(
        catalog,
        product_code="SAE",
        to_version="8.0",
        title="Nueva versión",
        clauses=["Cláusula para $serial_number."],
        introduction="Hola: $product_name $to_version te espera.",
        key=None,
    )
    assert template.introduction == "Hola: $product_name $to_version te espera."
    terms = demo.portal.get_upgrade_terms(
        caller_for(demo, "demo"), demo_serial("SAE").serial_number
    )
    assert terms.introduction == "Hola: Aspel SAE 8.0 te espera."
    with pytest.raises(errors.InvalidArgument) as refused:
        demo.admin.catalog.publish_upgrade_terms(
            catalog,
            product_code="SAE",
            to_version="8.0",
            title="Nueva versión",
            clauses=["Bien."],
            introduction="Hola ${producto",
            key=None,
        )
    assert [field for field, _ in refused.value.field_violations] == ["introduction"]
