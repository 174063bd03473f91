"""The reads whose comments promise a number of queries keep it, whatever
the number of rows (counted on the in-memory store, tests/support/queries.py)."""

from __future__ import annotations

from aspel.licensing.server.app import Services

from ..support.queries import counting_queries
from .test_rules_in_memory import _activate
from .test_subscription_state import caller_for, demo_serial


def test_a_page_of_serials_is_three_queries_however_many_rows(demo: Services) -> None:
    caller = caller_for(demo, "demo")
    with demo.store.read(), counting_queries() as statements:
        page = demo.portal.list_subscriptions(caller, 10, 0)
    # The page with each predecessor's serial, the successors, the releases.
    assert len(page.subscriptions) == 4
    assert len(statements) == 3, statements


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
