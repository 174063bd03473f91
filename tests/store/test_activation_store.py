"""The activation table: migration 0002 matches the model, and the database
itself refuses a second seat holder or a second activation of one machine."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aspel.licensing.server.app import Services
from aspel.licensing.server.errors import ConcurrentModification
from aspel.licensing.server.store.models import Activation, Subscription
from aspel.licensing.server.store.unit_of_work import UnitOfWork

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


def test_the_migrated_table_has_the_models_columns_and_guards(services: Services) -> None:
    database = services.store.database
    columns = {c.name for c in database.get_columns("activation")}
    indexes = {i.name: i for i in database.get_indexes("activation")}

    assert columns == {f.column_name for f in Activation._meta.sorted_fields}
    for name in ("activation_active_machine", "activation_active_seat"):
        assert indexes[name].unique
        assert "WHERE" in indexes[name].sql and "deactivate_time" in indexes[name].sql


def create(tx: UnitOfWork, subscription_id: int, machine: str, seat: int) -> Activation:
    return tx.activations.create_activation(
        public_id=f"act_{uuid.uuid4().hex[:16]}",
        subscription_id=subscription_id,
        machine_fingerprint=machine,
        hostname="",
        product_code="SAE",
        version="7.0",
        seat=seat,
        now=NOW,
    )


@pytest.fixture
def subscription_id(demo: Services) -> int:
    return int(Subscription.select(Subscription.id).order_by(Subscription.id).scalar())


def test_one_seat_has_one_active_holder(demo: Services, subscription_id: int) -> None:
    with demo.store.write() as tx:
        create(tx, subscription_id, "machine-a", 1)
    with pytest.raises(ConcurrentModification), demo.store.write() as tx:
        create(tx, subscription_id, "machine-b", 1)


def test_one_machine_has_one_active_activation(demo: Services, subscription_id: int) -> None:
    with demo.store.write() as tx:
        create(tx, subscription_id, "machine-a", 1)
    with pytest.raises(ConcurrentModification), demo.store.write() as tx:
        create(tx, subscription_id, "machine-a", 2)


def test_a_deactivated_activation_frees_its_seat_and_machine(
    demo: Services, subscription_id: int
) -> None:
    with demo.store.write() as tx:
        first = create(tx, subscription_id, "machine-a", 1)
        tx.activations.deactivate(first.id, NOW)
        create(tx, subscription_id, "machine-a", 1)
        assert tx.activations.count_active(subscription_id) == 1
