"""Rules that must hold with several server processes on one database."""

from __future__ import annotations

from aspel.licensing.server.domain.auth import Caller
from aspel.licensing.server.store.database import open_database
from aspel.licensing.server.store.migrate import MIGRATIONS_DIR, pending
from aspel.licensing.server.store.models import Account, OutboxMessage, Subscription

from ..support import workers

PROCESSES = 8


def test_eight_processes_accepting_one_upgrade_make_one_successor(demo, settings) -> None:
    row = (
        Subscription.select()
        .join(Account)
        .where((Account.username == "demo") & (Subscription.product_code == "SAE"))
        .get()
    )
    caller = Caller(row.account.id, row.account.public_id, 0, "demo")
    terms_id = demo.portal.get_upgrade_terms(caller, row.serial_number).terms_id

    answers = workers.run_in_processes(
        workers.accept_upgrade,
        (settings.database_url, "demo", row.serial_number, terms_id),
        PROCESSES,
    )
    assert len(set(answers)) == 1
    with demo.store.connection():
        assert Subscription.select().where(Subscription.predecessor == row.id).count() == 1
        assert OutboxMessage.select().count() == 1


def test_migrate_from_several_processes_applies_each_migration_once(
    empty_database_url: str,
) -> None:
    applied = workers.run_in_processes(workers.run_migrate, (empty_database_url,), 4)
    flat = [name for names in applied for name in names]  # type: ignore[attr-defined]
    assert sorted(flat) == sorted({p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")})
    assert pending(open_database(empty_database_url)) == []
