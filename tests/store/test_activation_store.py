"""The activation table: migration 0002 matches the model, and the database
itself refuses a second seat holder or a second activation of one machine."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aspel.licensing.server.app import Services
from aspel.licensing.server.errors import ConcurrentModification
from aspel.licensing.server.store.activations import Installation
from aspel.licensing.server.store.models import Activation, Subscription
from aspel.licensing.server.store.unit_of_work import UnitOfWork

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


def test_the_migrated_table_has_the_models_columns_and_guards(services: Services) -> None:
    database = services.store.database
    columns = {c.name for c in database.get_columns("activation")}
    indexes = {i.name: i for i in database.get_indexes("activation")}

    assert columns == {f.column_name for f in Activation._meta.sorted_fields}
    for name, held in (
        ("activation_active_machine", "deactivate_time"),
        ("activation_held_seat", "seat_freed_time"),
    ):
        assert indexes[name].unique
        assert "WHERE" in indexes[name].sql and held in indexes[name].sql


def create(tx: UnitOfWork, subscription_id: int, machine: str, seat: int) -> Activation:
    return tx.activations.create_activation(
        public_id=f"act_{uuid.uuid4().hex[:16]}",
        subscription_id=subscription_id,
        installation=Installation(machine, "", "SAE", "7.0"),
        seat=seat,
        now=NOW,
        license_expire_bound=NOW + dt.timedelta(days=30),
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
        tx.activations.release(first.id, NOW, kind="TRANSFER", seat_freed=NOW)
        create(tx, subscription_id, "machine-a", 1)
        assert tx.activations.count_active(subscription_id) == 1


def test_a_pending_release_keeps_its_seat_number_until_its_licence_expires(
    demo: Services, subscription_id: int
) -> None:
    """The partial unique index covers RELEASE_PENDING seats: the database
    itself refuses a new holder of a seat that still counts."""
    with demo.store.write() as tx:
        first = create(tx, subscription_id, "machine-a", 1)
        tx.activations.release(first.id, NOW, kind="PENDING", seat_freed=None)
    with pytest.raises(ConcurrentModification), demo.store.write() as tx:
        create(tx, subscription_id, "machine-b", 1)
    expiry = NOW + dt.timedelta(days=30)
    with demo.store.write() as tx:
        # Not yet: one second before the licence's expiry the seat still counts.
        assert tx.activations.free_expired_seats(subscription_id, expiry - dt.timedelta(0, 1)) == 0
        assert tx.activations.seats_in_use(subscription_id) == {1}
        assert tx.activations.free_expired_seats(subscription_id, expiry) == 1
        assert tx.activations.seats_in_use(subscription_id) == set()
        create(tx, subscription_id, "machine-b", 1)
    assert Activation.get_by_id(first.id).seat_freed_time == expiry


def test_the_licence_bound_is_only_ever_raised(demo: Services, subscription_id: int) -> None:
    later = NOW + dt.timedelta(days=40)
    with demo.store.write() as tx:
        first = create(tx, subscription_id, "machine-a", 1)
        tx.activations.extend_license_bound(first.id, later)
        tx.activations.record_validations([(first.id, NOW, NOW)])
        tx.activations.extend_license_bound(first.id, NOW + dt.timedelta(days=1))
    row = Activation.get_by_id(first.id)
    assert row.license_expire_time == later
    assert row.last_validate_time == NOW


def test_a_reclaim_happens_once_and_not_after_a_validation(
    demo: Services, subscription_id: int
) -> None:
    cutoff = NOW + dt.timedelta(days=60)
    with demo.store.write() as tx:
        silent = create(tx, subscription_id, "machine-a", 1)
        validated = create(tx, subscription_id, "machine-b", 2)
        tx.activations.extend_license_bound(validated.id, cutoff + dt.timedelta(hours=1))
        found = tx.activations.reclaim_candidates(cutoff, 10)
        assert [a.id for a in found] == [silent.id]
        assert tx.activations.reclaim(silent.id, NOW, kind="RECLAIMED", expired_before=cutoff)
        assert not tx.activations.reclaim(silent.id, NOW, kind="RECLAIMED", expired_before=cutoff)
        assert not tx.activations.reclaim(
            validated.id, NOW, kind="RECLAIMED", expired_before=cutoff
        )
        assert tx.activations.reclaim_candidates(cutoff, 10) == []


def test_recorded_validations_only_ever_raise_the_time_and_the_bound(
    demo: Services, subscription_id: int
) -> None:
    bound = NOW + dt.timedelta(days=30)
    with demo.store.write() as tx:
        first = create(tx, subscription_id, "machine-a", 1)
        second = create(tx, subscription_id, "machine-b", 2)
        later = NOW + dt.timedelta(hours=2)
        tx.activations.record_validations(
            [(first.id, later, bound + dt.timedelta(hours=2)), (second.id, None, bound)]
        )
        # An older batch landing after (another process): changes nothing.
        tx.activations.record_validations([(first.id, NOW, bound)])
    one, two = Activation.get_by_id(first.id), Activation.get_by_id(second.id)
    assert (one.last_validate_time, one.license_expire_time) == (
        later,
        bound + dt.timedelta(hours=2),
    )
    # None: the bound only, the time as it was.
    assert (two.last_validate_time, two.license_expire_time) == (NOW, bound)


def test_seats_for_a_machine_are_freed_in_one_statement(
    demo: Services, subscription_id: int
) -> None:
    from ..support.queries import counting_queries

    expiry = NOW + dt.timedelta(days=30)
    with demo.store.write() as tx:
        expired = create(tx, subscription_id, "machine-a", 1)
        mine = create(tx, subscription_id, "machine-b", 2)
        other = create(tx, subscription_id, "machine-c", 3)
        for row in (expired, mine, other):
            tx.activations.release(row.id, NOW, kind="PENDING", seat_freed=None)
        tx.activations.extend_license_bound(mine.id, expiry + dt.timedelta(days=5))
        tx.activations.extend_license_bound(other.id, expiry + dt.timedelta(days=5))
        at = expiry + dt.timedelta(days=1)
        with counting_queries() as statements:
            freed = tx.activations.free_seats_for_machine(subscription_id, "machine-b", at)
        assert (freed, len(statements)) == (2, 1)
    freed_at = {r.id: Activation.get_by_id(r.id).seat_freed_time for r in (expired, mine, other)}
    assert freed_at == {expired.id: expiry, mine.id: at, other.id: None}


def test_a_validation_reads_its_serial_and_activation_as_the_models_hold_them(
    demo: Services, subscription_id: int
) -> None:
    with demo.store.write() as tx:
        made = create(tx, subscription_id, "machine-a", 1)
    model = Subscription.get_by_id(subscription_id)
    with demo.store.read() as tx:
        found = tx.activations.for_validation(model.serial_number, made.public_id, "machine-a")
        other_machine = tx.activations.for_validation(
            model.serial_number, made.public_id, "machine-b"
        )
        no_serial = tx.activations.for_validation("NO-SUCH", made.public_id, "machine-a")
    assert found is not None and found.activation is not None
    serial = found.serial
    assert (serial.id, serial.serial_number, serial.users, serial.modality, serial.status) == (
        model.id,
        model.serial_number,
        model.users,
        model.modality,
        model.status,
    )
    assert (serial.next_payment_date, serial.retire_date) == (
        model.next_payment_date,
        model.retire_date,
    )
    assert serial.razon_social == model.account.razon_social
    row = Activation.get_by_id(made.id)
    assert (
        found.activation.id,
        found.activation.last_validate_time,
        found.activation.license_expire_time,
    ) == (row.id, row.last_validate_time, row.license_expire_time)
    assert other_machine is not None and other_machine.activation is None
    assert no_serial is None


def _columns(row: Activation) -> dict[str, object]:
    # __data__: the foreign key as its id, with no query for the serial.
    return {f.name: row.__data__.get(f.name) for f in Activation._meta.sorted_fields}


@pytest.mark.parametrize(
    ("components", "key"),
    [({"system_disk": "dísco-1", "machine_id": "m-1"}, None), (None, bytes(range(32)))],
)
def test_a_new_activation_reads_back_as_it_was_answered(
    demo: Services,
    subscription_id: int,
    components: dict[str, str] | None,
    key: bytes | None,
) -> None:
    # Not UTC, with microseconds: stored as naive UTC, read back aware.
    now = dt.datetime(2026, 11, 23, 12, 0, 0, 654321, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    with demo.store.write() as tx:
        made = tx.activations.create_activation(
            public_id="act_read_back",
            subscription_id=subscription_id,
            installation=Installation("machine-a", "PC-Ñ", "SAE", "7.0"),
            seat=1,
            now=now,
            license_expire_bound=now + dt.timedelta(days=30),
            machine_components=components,
            installation_public_key=key,
        )
    stored = Activation.get_by_id(made.id)
    assert _columns(made) == _columns(stored)
    assert stored.create_time == now and stored.create_time.tzinfo is dt.UTC
    assert stored.machine_components == components
    assert stored.installation_public_key == (key.hex() if key else None)


def test_a_refused_activation_leaves_the_transaction_usable(
    demo: Services, subscription_id: int
) -> None:
    """Both partial unique indexes refuse with CONCURRENT_MODIFICATION, and
    what the transaction did before and after still commits."""
    with demo.store.write() as tx:
        first = create(tx, subscription_id, "machine-a", 1)
        with pytest.raises(ConcurrentModification):
            create(tx, subscription_id, "machine-b", 1)  # the seat is held
        with pytest.raises(ConcurrentModification):
            create(tx, subscription_id, "machine-a", 2)  # the machine is active
        second = create(tx, subscription_id, "machine-b", 2)
    with demo.store.read() as tx:
        active = tx.activations.active_of_subscription(subscription_id)
    assert [(a.id, a.machine_fingerprint, a.seat) for a in active] == [
        (first.id, "machine-a", 1),
        (second.id, "machine-b", 2),
    ]


def test_an_installers_serial_is_the_portals_row_of_it(demo: Services) -> None:
    model = Subscription.select().order_by(Subscription.id).first()
    with demo.store.read() as tx:
        found = tx.activations.find_subscription(model.serial_number)
        owned = tx.subscriptions.find_for_account(model.account_id, model.serial_number)
        missing = tx.activations.find_subscription("NO-SUCH-SERIAL")
    assert found is not None and found == owned
    assert (found.id, found.installations_allowed, found.account.razon_social) == (
        model.id,
        model.installations_allowed,
        model.account.razon_social,
    )
    assert missing is None
