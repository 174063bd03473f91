"""`serve --workers 2 --metrics-listen`: the supervisor serves the sum of its
workers' metrics (prometheus-client's multiprocess mode), scraped over HTTP."""

from __future__ import annotations

import pathlib
import socket
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from ..test_server_process import ServerProcess, login, run

OK = {
    "grpc_type": "unary",
    "grpc_service": "aspel.licensing.v1.LicensingService",
    "grpc_method": "Authenticate",
    "grpc_code": "OK",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scrape(port: int) -> list[tuple[str, dict[str, str], float]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def test_the_supervisor_serves_the_sum_of_its_workers(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path}/licensing.db"
    assert run("migrate", url=url).returncode == 0
    assert run("seed-demo", url=url).returncode == 0
    metrics_port = _free_port()
    server = ServerProcess(
        url, "--metrics-listen", f"127.0.0.1:{metrics_port}", "serve", "--workers", "2"
    )
    try:
        (port,) = server.ports(2)
        for _ in range(12):
            login(port)
        samples = _scrape(metrics_port)
        handled = [v for n, labels, v in samples if n == "grpc_server_handled_total"]
        ok = [v for n, labels, v in samples if n == "grpc_server_handled_total" and labels == OK]
        assert ok == [12.0], handled
        in_flight = [v for n, _, v in samples if n == "grpc_server_in_flight"]
        assert in_flight == [0.0]
        assert any(n == "aspel_licensing_outbox_messages" for n, _, _ in samples)
        # Both workers answered: each wrote its own file of counters.
        answered = {
            r["process"]
            for r in server.records()
            if r.get("grpc_method") == "Authenticate" and r.get("grpc_code") == "OK"
        }
        assert len(answered) == 2
        assert server.stop() == 0
    finally:
        server.kill()
    # The supervisor removed its folder of metric files (stale ones would add up).
    (folder,) = [
        str(r["message"]).rsplit(" ", 1)[1]
        for r in server.records()
        if str(r["message"]).startswith("workers keep their metrics in ")
    ]
    assert not pathlib.Path(folder).exists()
