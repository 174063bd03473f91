"""Shared fixtures: a migrated SQLite store in a temporary folder, a fixed
clock, and the real gRPC server on port 0 with a channel to it."""

from __future__ import annotations

import datetime as dt
import logging
import os
import pathlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest

from aspel.licensing.server.app import Services, build_services, create_server
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.credentials import Argon2Parameters, PasswordHasher
from aspel.licensing.server.domain.signing import generate_key_file
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.database import open_database
from aspel.licensing.server.store.migrate import migrate

from .support.memory import memory_dir
from .support.postgres import REQUIRE_ENV, DatabasePool, PostgresCluster, PostgresUnavailable

ENGINES = ["sqlite", "postgresql"]

# 2026-11-23 12:00 in Mexico City.
START = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)
# Cheap hashing for tests that log in many times; the parameters are still argon2id.
FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost_kib=1024, parallelism=1)


def pytest_configure(config: pytest.Config) -> None:
    """tmp_path and friends in RAM where there is room (tests/support/memory.py
    says why), unless --basetemp or PYTEST_DEBUG_TEMPROOT chose a place."""
    memory = memory_dir()
    if memory and config.option.basetemp is None and "PYTEST_DEBUG_TEMPROOT" not in os.environ:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = memory


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    """The root logger as it was: a command run in-process (`cli.main`) installs
    a handler on that moment's stderr, which pytest closes after the test; the
    next test's request log must not write to it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL 15 cluster for the whole run, started here and removed after."""
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1 makes this a failure)")
        pytest.skip(str(exc))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> str:
    """A migrated database that each test's database is copied from (fast)."""
    name = postgres_cluster.create_database()
    database = open_database(postgres_cluster.url(name))
    migrate(database)
    database.close()
    return name


@pytest.fixture(scope="session")
def postgres_databases(postgres_cluster: PostgresCluster, postgres_template: str) -> DatabasePool:
    """Copies of the template, each put back as the template was after its test."""
    return DatabasePool(postgres_cluster, postgres_template)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Every test that touches the database runs once per engine."""
    return str(request.param)


@pytest.fixture
def empty_database_url(engine: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest) -> str:
    """A database with no tables yet, on the engine under test."""
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'licensing.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.url(cluster.create_database())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A migrated SQLite file that each test's database is copied from: a copy
    takes milliseconds, running the migrations takes a tenth of a second."""
    path = tmp_path_factory.mktemp("sqlite-template") / "licensing.db"
    database = open_database(f"sqlite:///{path}")
    migrate(database)
    database.close()
    # The last connection's close checkpoints the WAL into the file and removes
    # it: the one file is the whole database.
    assert not pathlib.Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def database_url(
    engine: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A migrated, empty database on the engine under test."""
    if engine == "sqlite":
        path = tmp_path / "licensing.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    pool: DatabasePool = request.getfixturevalue("postgres_databases")
    name = pool.acquire()
    yield cluster.url(name)
    # After the fixtures that use the URL (servers, stores) are torn down.
    pool.release(name)


@pytest.fixture(scope="session", autouse=True)
def signing_key_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    """A licence signing key for every server the tests start, in this process or
    as a child (`aspel-licensing-server serve` refuses to start without one)."""
    path = tmp_path_factory.mktemp("signing") / "signing-keys.json"
    generate_key_file(path, START)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASPEL_LICENSING_SIGNING_KEY_FILE", str(path))
        yield path


@pytest.fixture
def settings(database_url: str, tmp_path: pathlib.Path) -> Settings:
    # A licence signing key of the test's own (ActivationService).
    signing_key_file = tmp_path / "signing-keys.json"
    generate_key_file(signing_key_file, START, if_missing=True)
    return Settings(
        database_url=database_url,
        listen="127.0.0.1:0",
        argon2=FAST_ARGON2,
        signing_key_file=str(signing_key_file),
    )


@pytest.fixture
def services(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    built = build_services(settings, clock)
    with built.store.connection():
        yield built
    built.store.close()


@pytest.fixture
def demo(services: Services) -> Services:
    """The services with the demo accounts and catalog loaded."""
    seed_demo(services.store, services.calendar, PasswordHasher(FAST_ARGON2))
    return services


@dataclass
class RunningServer:
    address: str
    channel: grpc.Channel
    services: Services


@pytest.fixture
def server(settings: Settings, clock: FixedClock) -> Iterator[RunningServer]:
    """The real server on port 0, with the demo data, and a channel to it."""
    grpc_server, port, built = create_server(settings, clock)
    with built.store.connection():
        seed_demo(built.store, built.calendar, PasswordHasher(FAST_ARGON2))
    grpc_server.start()
    address = f"127.0.0.1:{port}"
    channel = grpc.insecure_channel(address)
    try:
        yield RunningServer(address, channel, built)
    finally:
        channel.close()
        grpc_server.stop(None).wait()
        built.store.close()
