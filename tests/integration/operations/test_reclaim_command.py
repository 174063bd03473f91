"""`aspel-licensing-server reclaim-seats`: the automatic reclaim run once, from
a timer, beside running servers (both engines)."""

from __future__ import annotations

import datetime as dt

from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.clock import BusinessCalendar, SystemClock
from aspel.licensing.server.domain.credentials import PasswordHasher
from aspel.licensing.server.store.activations import Installation
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.models import Activation, AuditEvent, Subscription
from tests.conftest import FAST_ARGON2

from .test_server_cli import run


def _activation(store: Store, machine: str, licence_expired_days_ago: int) -> str:
    now = dt.datetime.now(dt.UTC)
    with store.write() as tx:
        serial = Subscription.select().order_by(Subscription.id).first()
        Subscription.update(installations_allowed=5).where(Subscription.id == serial.id).execute()
        row = tx.activations.create_activation(
            public_id=f"act_{machine}",
            subscription_id=serial.id,
            installation=Installation(machine, machine, serial.product_code, serial.version),
            seat=len(tx.activations.seats_in_use(serial.id)) + 1,
            now=now - dt.timedelta(days=licence_expired_days_ago + 30),
            license_expire_bound=now - dt.timedelta(days=licence_expired_days_ago),
        )
        return str(row.public_id)


def test_reclaim_seats_prints_how_many_and_reclaims_each_once(database_url: str) -> None:
    store = Store.from_url(database_url)
    with store.connection():
        seed_demo(store, BusinessCalendar(SystemClock()), PasswordHasher(FAST_ARGON2))
    silent = _activation(store, "silent0000000001", licence_expired_days_ago=31)
    recent = _activation(store, "recent0000000001", licence_expired_days_ago=29)
    store.close()

    first = run("aspel-licensing-server", "reclaim-seats", "--database", database_url)
    second = run("aspel-licensing-server", "reclaim-seats", "--database", database_url)
    # The flag wins over the environment.
    longer = run(
        "aspel-licensing-server",
        "reclaim-seats",
        "--seat-reclaim-after-days",
        "20",
        "--database",
        database_url,
        env={"ASPEL_LICENSING_SEAT_RECLAIM_AFTER_DAYS": "60"},
    )

    assert (first.returncode, first.stdout) == (0, "reclaimed 1 seats\n"), first.stderr
    assert second.stdout == "reclaimed 0 seats\n"
    assert longer.stdout == "reclaimed 1 seats\n"  # the one 29 days silent
    store = Store.from_url(database_url)
    with store.read():
        reclaimed = [
            e.detail["activation_id"]
            for e in AuditEvent.select().where(AuditEvent.kind == "activation.reclaimed")
        ]
        released = Activation.get(Activation.public_id == silent)
    store.close()
    assert reclaimed == [silent, recent]
    assert (released.release_kind, released.seat_freed_time) == (
        "RECLAIMED",
        released.deactivate_time,
    )


def test_a_bad_reclaim_setting_is_refused_in_one_line() -> None:
    refused = run(
        "aspel-licensing-server",
        "reclaim-seats",
        env={"ASPEL_LICENSING_SEAT_RECLAIM_AFTER_DAYS": "0"},
    )
    assert refused.returncode == 2
    assert "ASPEL_LICENSING_SEAT_RECLAIM_AFTER_DAYS" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
