"""A tiny run of `python -m bench`: a 50-serial dataset, about a second of
load on the real server and on the echo server, at concurrency 2. Checks the
bench code end to end, not the speed (benchmarks are not part of `make test`)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from bench import scenarios

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_tiny_bench_run_measures_every_rpc_without_errors(tmp_path: pathlib.Path) -> None:
    command = [
        sys.executable, "-m", "bench",
        "--subscriptions", "50", "--workers", "1", "--duration", "0.6", "--warmup", "0.2",
        "--concurrency", "2", "--clients", "1", "--connections", "1",
        "--pool", "20", "--accept-pool", "40", "--storm-pool", "40", "--no-chart",
        "--cache-dir", str(tmp_path / "datasets"), "--work-dir", str(tmp_path / "work"),
        "--output-dir", str(tmp_path / "results"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = json.loads((tmp_path / "results" / "bench.json").read_text())
    expected = {s.name for s in scenarios.SCENARIOS if s.available()}
    assert {"ValidateLicense", "ValidateLicense storm"} <= expected
    by_target: dict[str, dict[str, dict[str, object]]] = {"server": {}, "echo": {}}
    for m in report["measurements"]:
        if m["target"] in by_target:
            by_target[m["target"]][m["rpc"]] = m
    for target, measured in by_target.items():
        assert set(measured) == expected, target
        for rpc, m in measured.items():
            assert m["qps"] > 0, (target, rpc)
            assert m["errors"] == {}, (target, rpc, m["error_samples"])
    assert report["errors"] == []
    assert {row["rpc"] for row in report["summary"]} == expected
    assert report["datasets"]["sqlite"]["50"]["subscriptions"] == 50
    # The raw ceilings (argon2, durable SQLite commits) and the
    # latency-under-logins check ran too, and each has its target row.
    targets = {m["target"] for m in report["measurements"]}
    assert {"argon2", "sqlite", "floor", "idle", "under_logins"} <= targets
    (floor,) = [m for m in report["measurements"] if m["target"] == "floor"]
    assert floor["rpc"] == "ValidateLicense" and floor["qps"] > 0 and floor["errors"] == {}
    names = {t["name"] for t in report["targets"]}
    assert "AcceptUpgrade QPS / raw durable SQLite transactions/s" in names
    assert "ValidateLicense p99 while logins saturate / idle p99" in names
    assert "ValidateLicense QPS / the floor server's QPS" in names
    assert "| ListSubscriptions" in done.stdout
    assert "| ValidateLicense storm" in done.stdout
    # The README's block, written beside the JSON and rebuilt from it alike.
    written = (tmp_path / "results" / "README-table.md").read_text()
    results = str(tmp_path / "results" / "bench.json")
    again = subprocess.run(
        [sys.executable, "-m", "bench.report", "--markdown", results],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert again == written
    assert "| ValidateLicense storm" in written and "| target |" in written
