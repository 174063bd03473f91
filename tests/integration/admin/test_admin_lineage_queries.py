"""The line of a serial (its predecessors and successors) is read in a fixed
number of queries, whatever its length: LookupSerial and RecordPayment's
billing day walk it with one recursive query, not a query per serial."""

from __future__ import annotations

import datetime as dt

import pytest

from aspel.licensing.server.app import Services
from aspel.licensing.server.domain import serials
from aspel.licensing.server.domain.states import ACTIVE, SUPERSEDED
from aspel.licensing.server.store.models import Subscription
from aspel.licensing.server.store.subscriptions import SubscriptionTerms

from ...support.queries import counting_queries

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)
# find the serial, its line, its successors' serials, the kept catalog's
# version (store/catalog.py), its account, its latest audit events, its
# latest activations, the seats held and the transfers used.
LOOKUP_QUERIES = 9


def _line_of(services: Services, length: int) -> list[str]:
    """A serial upgraded `length - 1` times: the serials oldest first."""
    with services.store.write() as tx:
        first = Subscription.select().order_by(Subscription.id).first()
        line = [first]
        for _ in range(length - 1):
            old = line[-1]
            line.append(
                tx.subscriptions.create_subscription(
                    serial_number=serials.generate(),
                    account_id=old.account_id,
                    terms=SubscriptionTerms.of(old),
                    activation_date=old.activation_date,
                    next_payment_date=old.next_payment_date,
                    predecessor_id=old.id,
                    now=NOW,
                )
            )
            tx.subscriptions.change_status(old.id, ACTIVE, SUPERSEDED)
    return [row.serial_number for row in line]


@pytest.mark.parametrize("length", [2, 4, 7])
def test_lookup_serial_reads_a_line_in_a_fixed_number_of_queries(
    demo: Services, length: int
) -> None:
    line = _line_of(demo, length)
    middle = line[len(line) // 2]
    with demo.store.read() as tx:
        tx.catalog.in_force()  # kept, as in a server that has answered one call
    with demo.store.read(), counting_queries() as statements:
        found = demo.admin.support.lookup_serial(middle)
    assert len(statements) == LOOKUP_QUERIES, statements
    shown = [v.serial_number for v in (*found.predecessors, found.subscription, *found.successors)]
    assert shown == line


def test_the_line_comes_oldest_first_from_any_of_its_serials(demo: Services) -> None:
    line = _line_of(demo, 4)
    with demo.store.read() as tx:
        ids = {
            serial: tx.subscriptions.find_by_serial(serial).id  # type: ignore[union-attr]
            for serial in line
        }
        for serial in line:
            with counting_queries() as statements:
                rows = tx.subscriptions.lineage(ids[serial])
            assert [r.serial_number for r in rows] == line
            assert len(statements) == 1
