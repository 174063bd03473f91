"""The reads whose comments promise a number of queries keep it, whatever
the number of rows (counted on the in-memory store, tests/support/queries.py)."""

from __future__ import annotations

import re

from aspel.licensing.server.app import Services

from ..support.queries import counting_queries
from .test_rules_in_memory import _activate
from .test_subscription_state import caller_for, demo_serial


def test_a_page_of_serials_is_three_queries_however_many_rows(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    demo.portal.list_subscriptions(caller, 10, 0)  # the first call reads the catalog
    with demo.store.read(), counting_queries() as statements:
        page = demo.portal.list_subscriptions(caller, 10, 0)
    # The page with each predecessor's serial and the account, the successors,
    # the catalog's version (the catalog itself is kept, store/catalog.py).
    assert len(page.subscriptions) == 4
    assert len(statements) == 3, statements


def test_upgrade_terms_are_two_queries_once_the_catalog_is_kept(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    serial = demo_serial("SAE").serial_number
    demo.portal.get_upgrade_terms(caller, serial)
    with demo.store.read(), counting_queries() as statements:
        demo.portal.get_upgrade_terms(caller, serial)
    # The serial with its account, the catalog's version.
    assert len(statements) == 2, statements


def test_a_session_is_resolved_with_its_account_in_one_query(demo: Services) -> None:
    token = demo.auth.authenticate("demo", "demo-aspel-2026", None).session_token
    with demo.store.read(), counting_queries() as statements:
        caller = demo.auth.resolve_session(token)
    assert caller.username == "demo"
    assert len(statements) == 1, statements


def test_a_validation_reads_the_serial_and_its_activation_in_one_query(
    demo: Services,
) -> None:
    sae = demo_serial("SAE")
    activation = _activate(demo, sae.serial_number, "machine-a").activation
    validate = {
        "serial_number": sae.serial_number,
        "activation_id": activation.activation_id,
        "machine_fingerprint": "machine-a",
        "peer": "test",
    }
    demo.activation.validate(**validate)  # the first one records its time
    with demo.store.read(), counting_queries() as statements:
        demo.activation.validate(**validate)
    assert len(statements) == 1, statements


def test_accepting_an_upgrade_reads_no_catalog_table_once_it_is_kept(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    serial = demo_serial("SAE").serial_number
    terms = demo.portal.get_upgrade_terms(caller, serial)
    with demo.store.read(), counting_queries() as statements:
        demo.portal.accept_upgrade(caller, serial, terms.terms_id, None, "test")
    # The terms are checked against the kept catalog: its version is read, not its tables.
    assert not [s for s in statements if re.search(r'\b(release|upgrade_terms_text)\b"?', s)]
    assert sum("cache_version" in s for s in statements) >= 2  # before and inside the write
