"""The catalog every store keeps (store/catalog.py) is never served stale: a
release or a text of terms published through one store (another process, or
another machine) is what a second store over the same database shows on its
very next call, on both engines."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.app import Services
from aspel.licensing.server.domain.portal import PortalService
from aspel.licensing.server.domain.service_keys import Actor
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.models import Release

from ..domain.test_subscription_state import caller_for, demo_serial
from ..support.queries import counting_queries

CATALOG = Actor("catalog", frozenset({"catalog"}))
SERVER = pathlib.Path(__file__).parents[2] / "server" / "aspel" / "licensing" / "server"


@pytest.fixture
def other(demo: Services, database_url: str) -> Iterator[PortalService]:
    """The portal of a second store over the demo's database, as another
    server process would hold it."""
    store = Store.from_url(database_url)
    yield PortalService(store, demo.calendar)
    store.close()


def _sae(portal: PortalService, demo: Services):  # type: ignore[no-untyped-def]
    caller = caller_for(demo, "demo")
    serial = demo_serial("SAE").serial_number
    page = portal.list_subscriptions(caller, 10, 0)
    return next(s for s in page.subscriptions if s.serial_number == serial)


def _publish_release(demo: Services, version: str, upgrade_from: list[str]) -> None:
    demo.admin.catalog.publish_release(
        CATALOG,
        product_code="SAE",
        version=version,
        upgrade_from_versions=upgrade_from,
        download_url="https://www.aspel.com.mx/descargas",
        key=None,
    )


def _publish_terms(demo: Services, to_version: str, title: str) -> None:
    demo.admin.catalog.publish_upgrade_terms(
        CATALOG,
        product_code="SAE",
        to_version=to_version,
        title=title,
        clauses=["Cláusula para $serial_number."],
        key=None,
    )


def test_a_release_published_by_one_store_is_offered_by_another_on_its_next_call(
    demo: Services, other: PortalService
) -> None:
    assert _sae(other, demo).available_version == "8.0"  # kept by the other store now
    _publish_release(demo, "9.0", ["7.0", "8.0"])
    assert _sae(other, demo).available_version == "9.0"
    # No terms for 9.0 yet: GetUpgradeTerms of the other store says so at once.
    caller = caller_for(demo, "demo")
    with pytest.raises(errors.NoUpgradeAvailable):
        other.get_upgrade_terms(caller, demo_serial("SAE").serial_number)


def test_terms_published_by_one_store_are_shown_by_another_on_its_next_call(
    demo: Services, other: PortalService
) -> None:
    caller = caller_for(demo, "demo")
    serial = demo_serial("SAE").serial_number
    before = other.get_upgrade_terms(caller, serial)
    _publish_terms(demo, "8.0", "Términos nuevos")
    after = other.get_upgrade_terms(caller, serial)
    assert (before.title, after.title) == ("Actualiza la versión de tu sistema", "Términos nuevos")
    assert after.terms_id != before.terms_id
    # And accepting the old text through the other store is refused.
    with pytest.raises(errors.TermsOutdated):
        other.accept_upgrade(caller, serial, before.terms_id, None, "test")
    assert other.accept_upgrade(caller, serial, after.terms_id, None, "test").subscription


def test_the_kept_catalog_is_revalidated_with_one_query_and_reread_after_a_change(
    demo: Services,
) -> None:
    caller = caller_for(demo, "demo")
    demo.portal.list_subscriptions(caller, 10, 0)
    with demo.store.read() as tx, counting_queries() as statements:
        tx.catalog.in_force()
    assert len(statements) == 1, statements  # the version only
    _publish_terms(demo, "8.0", "Otra vez")
    with demo.store.read() as tx, counting_queries() as statements:
        catalog = tx.catalog.in_force()
    assert catalog.current_terms("SAE", "8.0").title == "Otra vez"  # type: ignore[union-attr]
    assert len(statements) == 3, statements  # the version, the terms, the releases


def test_a_change_rolled_back_is_not_kept(demo: Services) -> None:
    class Undo(Exception):
        pass

    with pytest.raises(Undo), demo.store.write() as tx:
        tx.catalog.add_release_once(
            product_code="SAE",
            version="9.0",
            upgrade_from=["8.0"],
            download_url="https://www.aspel.com.mx/descargas",
            now=demo.calendar.now(),
        )
        # Its own transaction sees the release, but does not keep that catalog.
        assert "9.0" in {r.version for r in tx.catalog.releases_of(["SAE"])}
        raise Undo
    with demo.store.read() as tx:
        assert "9.0" not in {r.version for r in tx.catalog.releases_of(["SAE"])}
    # A later commit that reuses the version number is still seen.
    _publish_release(demo, "9.5", ["8.0"])
    with demo.store.read() as tx:
        assert "9.5" in {r.version for r in tx.catalog.releases_of(["SAE"])}


def test_a_write_outside_the_repository_is_seen_too(demo: Services) -> None:
    """An operator's SQL, or a server of an older release during a rolling
    deploy, writes the tables directly: the database's triggers bump the
    version (migration 0015), so the kept catalog is reread."""
    with demo.store.read() as tx:
        before = {r.version: r.download_url for r in tx.catalog.releases_of(["SAE"])}
    fixed = "https://www.aspel.com.mx/descargas/corregido"
    with demo.store.write():
        Release.update(download_url=fixed).where(Release.product_code == "SAE").execute()
    with demo.store.read() as tx:
        after = {r.version: r.download_url for r in tx.catalog.releases_of(["SAE"])}
    assert set(after) == set(before) and set(after.values()) == {fixed}
    with demo.store.write():
        Release.delete().where(
            (Release.product_code == "SAE") & (Release.version == max(before))
        ).execute()
    with demo.store.read() as tx:
        assert max(before) not in {r.version for r in tx.catalog.releases_of(["SAE"])}
