"""The real server while its database fails: PostgreSQL stopped under calls,
a full disk under SQLite, and the health check and the mailer meanwhile.

Every call answers UNAVAILABLE with reason DATABASE_UNAVAILABLE or
STORAGE_UNAVAILABLE and a RetryInfo (never INTERNAL), the log says so once per
kind of failure (never a traceback per call), health turns NOT_SERVING, and
the same server serves again once the database is back.

PostgreSQL here is a cluster of this module's own: stopping the session's
cluster would break the tests that share it.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import pathlib
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from aspel.licensing.server.app import Services, build_services, create_server
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.credentials import PasswordHasher
from aspel.licensing.server.mail.worker import MailerThread, build_worker
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store import database
from aspel.licensing.server.store.database import OutageLog, open_database
from aspel.licensing.server.store.migrate import migrate
from aspel.licensing.server.store.models import AuditEvent, OutboxMessage, Session
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from ..conftest import FAST_ARGON2, START
from ..store.test_outages import _Faults, full_disk_database
from ..support.postgres import REQUIRE_ENV, PostgresCluster, PostgresUnavailable
from .test_server_process import SERVER, ServerProcess

SERVICES = [
    "",
    "aspel.licensing.v1.LicensingService",
    "aspel.licensing.v1.ActivationService",
    "aspel.licensing.v1.AdminService",
]
BOUND = 15.0  # seconds any wait here may take at most


@pytest.fixture(autouse=True)
def fresh_outage_log(monkeypatch: pytest.MonkeyPatch) -> OutageLog:
    fresh = OutageLog()
    monkeypatch.setattr(database, "outage_log", fresh)
    return fresh


# --- what a call answered ---------------------------------------------------------


@dataclass
class Answer:
    code: grpc.StatusCode
    reason: str = ""
    retry_delay: dt.timedelta | None = None


def answer(call: Callable[[], Any]) -> Answer:
    try:
        call()
    except grpc.RpcError as exc:
        status = rpc_status.from_call(exc)  # type: ignore[arg-type]
        result = Answer(exc.code())
        for detail in status.details if status else []:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                result.reason = info.reason
            if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry = error_details_pb2.RetryInfo()
                detail.Unpack(retry)
                result.retry_delay = retry.retry_delay.ToTimedelta()
        return result
    return Answer(grpc.StatusCode.OK)


def unavailable(reason: str, got: Answer) -> bool:
    return (
        got.code == grpc.StatusCode.UNAVAILABLE
        and got.reason == reason
        and got.retry_delay is not None
        and got.retry_delay > dt.timedelta(0)
    )


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {BOUND}s: {what}")


class Client:
    """The calls a customer's portal makes: one that writes, two that read."""

    def __init__(self, channel: grpc.Channel) -> None:
        self.stub = pb_grpc.LicensingServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)
        self.token = self.stub.Authenticate(self._login(), timeout=10).session_token
        listed = self.stub.ListSubscriptions(
            pb.ListSubscriptionsRequest(), metadata=self._auth, timeout=10
        )
        self.serial = listed.subscriptions[0].serial_number

    @property
    def _auth(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.token}")]

    @staticmethod
    def _login() -> pb.AuthenticateRequest:
        return pb.AuthenticateRequest(username="demo", password="demo-aspel-2026")

    def authenticate(self) -> Answer:
        return answer(lambda: self.stub.Authenticate(self._login(), timeout=10))

    def list_subscriptions(self) -> Answer:
        return answer(
            lambda: self.stub.ListSubscriptions(
                pb.ListSubscriptionsRequest(), metadata=self._auth, timeout=10
            )
        )

    def get_subscription(self) -> Answer:
        return answer(
            lambda: self.stub.GetSubscription(
                pb.GetSubscriptionRequest(serial_number=self.serial),
                metadata=self._auth,
                timeout=10,
            )
        )

    def calls(self) -> list[Answer]:
        return [self.authenticate(), self.list_subscriptions(), self.get_subscription()]

    def health_of(self, service: str) -> Any:
        request = health_pb2.HealthCheckRequest(service=service)
        return self.health.Check(request, timeout=5).status


# --- a PostgreSQL of this module's own ---------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    try:
        # Durable: an immediate stop is a crash, and a session committed just
        # before it must still be there after the restart.
        own = PostgresCluster(durable=True)
    except PostgresUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1 makes this a failure)")
        pytest.skip(str(exc))
    own.start()
    try:
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def template(cluster: PostgresCluster) -> str:
    name = cluster.create_database()
    db = open_database(cluster.url(name))
    migrate(db)
    db.close()
    return name


class Outage:
    """Stops and starts the module's cluster; it runs again after the test whatever happens."""

    def __init__(self, cluster: PostgresCluster) -> None:
        self.cluster = cluster
        self.down = False

    def halt(self, mode: str = "fast") -> None:
        self.cluster.halt(mode)
        self.down = True

    def resume(self) -> None:
        self.cluster.resume()
        self.down = False


@pytest.fixture
def outage(cluster: PostgresCluster) -> Iterator[Outage]:
    control = Outage(cluster)
    yield control
    if control.down:
        control.resume()


@dataclass
class Running:
    channel: grpc.Channel
    services: Services
    client: Client


def server_settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        listen="127.0.0.1:0",
        argon2=FAST_ARGON2,
        signing_key_file=os.environ["ASPEL_LICENSING_SIGNING_KEY_FILE"],
        health_check_seconds=0.1,
    )


class Served:
    """The real server on port 0 over `services`, with the demo data, and a client."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self.server, port, self.services = create_server(settings, services=services)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")

    def __enter__(self) -> Running:
        with self.services.store.connection():
            seed_demo(self.services.store, self.services.calendar, PasswordHasher(FAST_ARGON2))
        self.server.start()
        return Running(self.channel, self.services, Client(self.channel))

    def __exit__(self, *exc: object) -> None:
        self.channel.close()
        self.server.stop(None).wait()
        for reporter in self.services.health:
            reporter.stop()
        self.services.store.close()


@pytest.fixture(params=["postgresql", "postgresql+pool"])
def pg_server(
    request: pytest.FixtureRequest, cluster: PostgresCluster, template: str
) -> Iterator[Running]:
    """The server on the module's cluster, connecting per call or from a pool."""
    url = cluster.url(cluster.create_database(template=template))
    settings = server_settings(url.replace("postgresql", request.param, 1))
    with Served(settings, build_services(settings, FixedClock(START))) as running:
        yield running


# --- PostgreSQL down ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_calls_answer_database_unavailable_while_postgres_is_down_then_ok_again(
    pg_server: Running,
    outage: Outage,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = pg_server.client
    assert all(a.code == grpc.StatusCode.OK for a in client.calls())
    answers: list[Answer] = []
    stop = threading.Event()

    def keep_calling() -> None:  # calls in flight while the database goes away
        while not stop.is_set():
            answers.extend(client.calls())

    caller = threading.Thread(target=keep_calling)
    with caplog.at_level(logging.INFO):
        caller.start()
        try:
            # Calls are in flight before the halt: wait for the first answers
            # rather than a fixed pause, which a loaded machine can outlast.
            deadline = time.monotonic() + BOUND
            while len(answers) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            halt_started = len(answers)
            outage.halt(mode)
            down = [a for _ in range(5) for a in client.calls()]
        finally:
            stop.set()
            caller.join(BOUND)
    assert halt_started > 0
    assert all(unavailable("DATABASE_UNAVAILABLE", a) for a in down), down
    for got in answers:  # before, during and after the stop: OK or a retryable answer
        assert got.code == grpc.StatusCode.OK or unavailable("DATABASE_UNAVAILABLE", got), got
    assert tracebacks(caplog) == []
    # The request log names the reason of each call (one line per RPC, by
    # design); the outage itself is what must be logged only once.
    outage_lines = [
        r
        for r in caplog.records
        if "DATABASE_UNAVAILABLE" in r.getMessage() and r.name != "aspel.licensing.server.requests"
    ]
    # One line per kind of failure (the session ended; the connection refused).
    assert 1 <= len(outage_lines) <= 3, [r.getMessage() for r in outage_lines]

    outage.resume()
    # The same server, no restart; a pool hands out no connection that died.
    assert [a.code for a in client.calls()] == [grpc.StatusCode.OK] * 3


def test_health_is_not_serving_while_postgres_is_down_and_serving_when_it_is_back(
    pg_server: Running, outage: Outage
) -> None:
    client = pg_server.client
    serving = health_pb2.HealthCheckResponse.SERVING
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    assert [client.health_of(s) for s in SERVICES] == [serving] * len(SERVICES)
    outage.halt()
    wait_for(
        lambda: [client.health_of(s) for s in SERVICES] == [not_serving] * len(SERVICES),
        "health NOT_SERVING for the server and every service",
    )
    outage.resume()
    wait_for(
        lambda: [client.health_of(s) for s in SERVICES] == [serving] * len(SERVICES),
        "health SERVING again",
    )


def test_the_mailer_waits_quietly_while_postgres_is_down_and_delivers_after(
    cluster: PostgresCluster,
    template: str,
    tmp_path: pathlib.Path,
    outage: Outage,
    fresh_outage_log: OutageLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        database_url=cluster.url(cluster.create_database(template=template)),
        smtp_url=f"file:{tmp_path / 'mail'}",
    )
    services = build_services(settings, FixedClock(START))
    mailer = MailerThread(build_worker(settings, services.store, FixedClock(START)), 0.02)
    outage.halt()
    with caplog.at_level(logging.INFO):
        mailer.start()
        try:
            # Many delivery rounds fail; the log keeps count instead of speaking.
            wait_for(
                lambda: fresh_outage_log.failures >= 10,
                "ten failed delivery rounds",
            )
            outage.resume()
            with services.store.write() as tx:
                queued = tx.outbox.enqueue(
                    kind="password_changed",
                    recipient="persona@example.com",
                    payload={
                        "username": "demo",
                        "razon_social": "Comercializadora Demo, S.A. de C.V.",
                        "change_time": START.isoformat(),
                        "change_time_text": "12:00 del 23 de noviembre de 2026",
                    },
                    now=START,
                ).id

            def sent() -> bool:
                with services.store.connection():
                    return bool(OutboxMessage.get_by_id(queued).state == "SENT")

            wait_for(sent, "the message delivered once the database is back")
        finally:
            assert mailer.stop(BOUND)
            services.store.close()
    assert tracebacks(caplog) == []
    # The request log names the reason of each call (one line per RPC, by
    # design); the outage itself is what must be logged only once.
    outage_lines = [
        r
        for r in caplog.records
        if "DATABASE_UNAVAILABLE" in r.getMessage() and r.name != "aspel.licensing.server.requests"
    ]
    assert 1 <= len(outage_lines) <= 2, [r.getMessage() for r in outage_lines]


# --- SQLite on a full disk -----------------------------------------------------------


def rows() -> tuple[int, int]:
    return Session.select().count(), AuditEvent.select().count()


@pytest.mark.parametrize("at", ["COMMIT", "INSERT"])
def test_writes_on_a_full_disk_answer_storage_unavailable_and_reads_still_work(
    tmp_path: pathlib.Path, at: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault injection, on every machine: the connections fail as SQLite does
    when the disk fills, at COMMIT (where SQLite rolls back by itself, and
    peewee's own ROLLBACK then fails) or at a statement."""
    path = tmp_path / "full.db"
    migrate(open_database(f"sqlite:///{path}"))
    settings = server_settings(f"sqlite:///{path}")
    faults = _Faults()
    services = build_services(settings, FixedClock(START))
    services.store.close()
    services.store.database = full_disk_database(str(path), faults)
    with Served(settings, services) as r:
        client = r.client
        with services.store.connection():
            before = rows()
        faults.at = at
        with caplog.at_level(logging.INFO):
            assert unavailable("STORAGE_UNAVAILABLE", client.authenticate())
            assert [a.code for a in (client.list_subscriptions(), client.get_subscription())] == [
                grpc.StatusCode.OK
            ] * 2
        with services.store.connection():
            assert rows() == before  # nothing of the failed login was written
        assert tracebacks(caplog) == []
        faults.at = None
        assert client.authenticate().code == grpc.StatusCode.OK
        with services.store.connection():
            assert rows() == (before[0] + 1, before[1] + 1)


@pytest.fixture
def small_tmpfs() -> Iterator[pathlib.Path]:
    """A real 3 MiB file system, mounted here (needs root and mount rights)."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if os.geteuid() != 0 or mount is None or umount is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    where = pathlib.Path(tempfile.mkdtemp(prefix="aspel-licensing-full-"))
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        where.rmdir()
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run([umount, "-l", str(where)], capture_output=True)
        where.rmdir()


def fill(directory: pathlib.Path) -> pathlib.Path:
    """Writes a file until the file system says it is full."""
    filler = directory / "filler"
    chunk = b"\0" * 4096
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_real_full_file_system_answers_storage_unavailable_until_space_is_freed(
    small_tmpfs: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = small_tmpfs / "licensing.db"
    migrate(open_database(f"sqlite:///{path}"))
    settings = server_settings(f"sqlite:///{path}")
    services = build_services(settings, FixedClock(START))
    with Served(settings, services) as r:
        client = r.client
        # An empty write-ahead log, so the next write needs new space.
        with services.store.connection():
            services.store.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            before = rows()
        filler = fill(small_tmpfs)
        with caplog.at_level(logging.INFO):
            assert unavailable("STORAGE_UNAVAILABLE", client.authenticate())
            assert client.list_subscriptions().code == grpc.StatusCode.OK
        with services.store.connection():
            assert rows() == before
        assert tracebacks(caplog) == []
        filler.unlink()
        assert client.authenticate().code == grpc.StatusCode.OK


# --- SIGTERM ---------------------------------------------------------------------------


def test_sigterm_turns_health_not_serving_before_in_flight_calls_drain(
    tmp_path: pathlib.Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'drain.db'}"
    for step in ("migrate", "seed-demo"):
        assert (
            subprocess.run([*SERVER, "--database", url, step], capture_output=True).returncode == 0
        )
    server = ServerProcess(
        url, "--log-level", "DEBUG", "--log-format", "text", "serve", "--no-mailer"
    )
    lock = sqlite3.connect(str(tmp_path / "drain.db"), isolation_level=None)
    try:
        (port,) = server.ports(1)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=""), timeout=BOUND * 2
        )
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        # A slow call: its login waits for the write lock this test holds.
        lock.execute("BEGIN IMMEDIATE")
        stub = pb_grpc.LicensingServiceStub(channel)
        slow = stub.Authenticate.future(
            pb.AuthenticateRequest(username="demo", password="demo-aspel-2026"), timeout=BOUND * 2
        )
        # peewee logs each query's text (never its parameters) at DEBUG: the
        # login has read the account, so the server has the call; it cannot end
        # before this test lets it write.
        wait_for(
            lambda: any("peewee" in x and 'FROM "account"' in x for x in list(server.lines)),
            "the slow call in the server",
        )
        server.process.send_signal(15)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        assert not slow.done()  # still in flight: health told first
        lock.execute("ROLLBACK")
        assert slow.result().session_token  # drained, not cut off
        watch.cancel()
        assert server.process.wait(timeout=BOUND) == 0
        channel.close()
    finally:
        lock.close()
        server.kill()
