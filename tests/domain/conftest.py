"""The rules run against a migrated SQLite `:memory:` store with a fixed
clock: the same `Store` and repositories as the server, no database file, no
second engine. (The store's own tests, tests/store/, run on both engines.)

`services` here replaces the one of tests/conftest.py for every test of this
folder, so `demo` (the demo data on top of it) is in memory too.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from aspel.licensing.server.app import Services, build_services
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.signing import generate_key_file
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.database import Store
from aspel.licensing.server.store.migrate import migrate

from ..conftest import FAST_ARGON2, START

MEMORY_URL = "sqlite:///:memory:"


@pytest.fixture
def services(tmp_path: pathlib.Path, clock: FixedClock) -> Iterator[Services]:
    signing_key_file = tmp_path / "signing-keys.json"
    generate_key_file(signing_key_file, START, if_missing=True)
    settings = Settings(
        database_url=MEMORY_URL,
        listen="127.0.0.1:0",
        argon2=FAST_ARGON2,
        signing_key_file=str(signing_key_file),
    )
    store = Store.from_url(MEMORY_URL)
    # An in-memory database lives as long as its one connection: held open
    # for the whole test (migrate's own connection context nests inside it).
    with store.database.connection_context(), store.connection():
        migrate(store.database)
        yield build_services(settings, clock, store=store)
    store.close()
