"""Issue 15: what an operator sees of real calls on a real server (port 0):
the Prometheus endpoint scraped over HTTP, the JSON request log line, the
request id round trip and the client address behind a trusted proxy."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from playhouse.pool import PooledDatabase
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from aspel.licensing.server import cli
from aspel.licensing.server.app import _serve_metrics, create_server
from aspel.licensing.server.demo import seed_demo
from aspel.licensing.server.domain.clock import FixedClock
from aspel.licensing.server.domain.credentials import PasswordHasher
from aspel.licensing.server.metrics import ServerMetrics
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.models import AuditEvent
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from ...conftest import FAST_ARGON2

DEMO = ("demo", "demo-aspel-2026")


@dataclass
class Observed:
    channel: grpc.Channel
    stub: pb_grpc.LicensingServiceStub
    services: Any
    metrics_port: int
    key_id: str

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics") as answer:
            assert answer.status == 200
            text = answer.read().decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


def _observed(settings: Settings, clock: FixedClock) -> Iterator[Observed]:
    registry = CollectorRegistry()
    metrics = ServerMetrics(registry)
    server, port, services = create_server(settings, clock, metrics=metrics)
    with services.store.connection():
        seed_demo(services.store, services.calendar, PasswordHasher(FAST_ARGON2))
    httpd = _serve_metrics(
        dataclasses.replace(settings, metrics_listen="127.0.0.1:0"),
        registry,
        services.store,
        services.activation.keys,
    )
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Observed(
            channel,
            pb_grpc.LicensingServiceStub(channel),
            services,
            httpd.server_port,
            services.activation.keys.current().active_key_id,
        )
    finally:
        channel.close()
        httpd.shutdown()
        server.stop(None).wait()
        services.store.close()


@pytest.fixture
def observed(settings: Settings, clock: FixedClock) -> Iterator[Observed]:
    yield from _observed(settings, clock)


@pytest.fixture
def behind_proxy(settings: Settings, clock: FixedClock) -> Iterator[Observed]:
    # The tests' own channel comes from 127.0.0.1: here it is the balancer.
    yield from _observed(dataclasses.replace(settings, trusted_proxies="127.0.0.0/8"), clock)


def _login(stub: Any, password: str, metadata: tuple[tuple[str, str], ...] = ()) -> Any:
    return stub.Authenticate(
        pb.AuthenticateRequest(username=DEMO[0], password=password), metadata=metadata
    )


def _rich(call: Any) -> tuple[grpc.RpcError, Any]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    status = rpc_status.from_call(caught.value)
    assert status is not None
    return caught.value, status


def _detail(status: Any, kind: Any) -> Any:
    found = [d for d in status.details if d.Is(kind.DESCRIPTOR)]
    assert len(found) == 1
    message = kind()
    found[0].Unpack(message)
    return message


AUTH = (
    ("grpc_method", "Authenticate"),
    ("grpc_service", "aspel.licensing.v1.LicensingService"),
)


def test_metrics_count_real_calls_by_code_and_reason(observed: Observed) -> None:
    _login(observed.stub, DEMO[1])
    _login(observed.stub, DEMO[1])
    error, _ = _rich(lambda: _login(observed.stub, "not-the-password"))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    samples = observed.scrape()
    unary = (*AUTH, ("grpc_type", "unary"))
    assert samples[("grpc_server_started_total", tuple(sorted(unary)))] == 3
    ok = tuple(sorted((*unary, ("grpc_code", "OK"))))
    assert samples[("grpc_server_handled_total", ok)] == 2
    refused = tuple(sorted((*unary, ("grpc_code", "UNAUTHENTICATED"))))
    assert samples[("grpc_server_handled_total", refused)] == 1
    assert samples[("grpc_server_handling_seconds_count", tuple(sorted(unary)))] == 3
    reason = tuple(sorted((*AUTH, ("reason", "INVALID_CREDENTIALS"))))
    assert samples[("aspel_licensing_errors_total", reason)] == 1
    service = (("grpc_service", "aspel.licensing.v1.LicensingService"),)
    assert samples[("grpc_server_in_flight", service)] == 0
    # Three password checks went through the gate; none waits or runs now.
    assert samples[("aspel_licensing_hashing_running", ())] == 0
    assert samples[("aspel_licensing_hashing_shed_total", ())] == 0
    assert samples[("aspel_licensing_signing_key_info", (("key_id", observed.key_id),))] == 1
    assert samples[("aspel_licensing_outbox_messages", (("state", "PENDING"),))] == 0
    assert ("process_cpu_seconds_total", ()) in samples
    if isinstance(observed.services.store.database, PooledDatabase):
        # After the calls: their connections are back in the pool.
        assert samples[("aspel_licensing_database_pool_connections", (("state", "in_use"),))] == 0
        assert samples[("aspel_licensing_database_pool_connections", (("state", "idle"),))] >= 1


def test_the_outbox_gauges_read_the_database_at_scrape_time(observed: Observed) -> None:
    # A reset request queues one email (the demo account's address).
    observed.stub.RequestPasswordReset(pb.RequestPasswordResetRequest(email_or_username="demo"))
    samples = observed.scrape()
    assert samples[("aspel_licensing_outbox_messages", (("state", "PENDING"),))] == 1
    assert samples[("aspel_licensing_outbox_oldest_pending_seconds", ())] >= 0


def test_one_json_log_line_per_rpc_without_secrets(observed: Observed) -> None:
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(cli.log_formatter("json"))  # what `--log-format json` uses
    requests_log = logging.getLogger("aspel.licensing.server.requests")
    requests_log.addHandler(handler)
    level = requests_log.level
    requests_log.setLevel(logging.INFO)
    try:
        answer = _login(observed.stub, DEMO[1], (("x-request-id", "req-log-1"),))
        _rich(lambda: _login(observed.stub, "wrong-secret-123"))
    finally:
        requests_log.removeHandler(handler)
        requests_log.setLevel(level)
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert len(lines) == 2
    ok, refused = lines
    assert ok["grpc_method"] == "Authenticate" and ok["grpc_code"] == "OK"
    assert ok["request_id"] == "req-log-1"
    assert ok["actor"] == answer.account.account_id
    assert ok["level"] == "INFO" and ok["duration_ms"] >= 0
    assert ok["peer"].startswith("ipv4:127.0.0.1:")
    assert refused["grpc_code"] == "UNAUTHENTICATED"
    assert refused["reason"] == "INVALID_CREDENTIALS"
    assert "wrong-secret-123" not in sink.getvalue()
    assert DEMO[1] not in sink.getvalue() and answer.session_token not in sink.getvalue()


def test_the_request_id_comes_back_in_metadata_error_and_audit(observed: Observed) -> None:
    call = observed.stub.Authenticate.with_call
    _, ok_call = call(
        pb.AuthenticateRequest(username=DEMO[0], password=DEMO[1]),
        metadata=(("x-request-id", "req-ok-7"),),
    )
    assert ("x-request-id", "req-ok-7") in tuple(ok_call.initial_metadata())

    error, status = _rich(lambda: _login(observed.stub, "bad", (("x-request-id", "req-bad-8"),)))
    assert _detail(status, error_details_pb2.ErrorInfo).reason == "INVALID_CREDENTIALS"
    assert _detail(status, error_details_pb2.RequestInfo).request_id == "req-bad-8"
    assert ("x-request-id", "req-bad-8") in tuple(error.initial_metadata())
    with observed.services.store.connection():
        failed = AuditEvent.get(AuditEvent.kind == "login.failed")
        succeeded = AuditEvent.get(AuditEvent.kind == "login.succeeded")
    assert failed.request_id == "req-bad-8"
    assert succeeded.request_id == "req-ok-7"


@pytest.mark.parametrize("sent", ["has space", "x" * 129])
def test_an_unusable_request_id_is_replaced_by_a_new_one(observed: Observed, sent: str) -> None:
    _, status = _rich(lambda: _login(observed.stub, "bad", (("x-request-id", sent),)))
    given = _detail(status, error_details_pb2.RequestInfo).request_id
    assert given != sent and str(uuid.UUID(given, version=4)) == given


def test_without_one_the_server_makes_a_request_id(observed: Observed) -> None:
    _, first = _rich(lambda: _login(observed.stub, "bad"))
    _, second = _rich(lambda: _login(observed.stub, "bad"))
    ids = {_detail(s, error_details_pb2.RequestInfo).request_id for s in (first, second)}
    assert len(ids) == 2


def _audited_peer(target: Observed) -> str:
    with target.services.store.connection():
        return str(AuditEvent.get(AuditEvent.kind == "login.failed").peer)


def test_x_forwarded_for_is_believed_from_a_trusted_proxy(behind_proxy: Observed) -> None:
    # The client wrote the first hop itself; the balancer appended what it saw.
    forwarded = (("x-forwarded-for", "192.0.2.66, 203.0.113.9"),)
    _rich(lambda: _login(behind_proxy.stub, "bad", forwarded))
    assert _audited_peer(behind_proxy) == "ipv4:203.0.113.9:0"


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(observed: Observed) -> None:
    _rich(lambda: _login(observed.stub, "bad", (("x-forwarded-for", "203.0.113.9"),)))
    assert _audited_peer(observed).startswith("ipv4:127.0.0.1:")
