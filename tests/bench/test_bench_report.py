"""The bench's own arithmetic and its refusal to pass off a run with errors."""

from __future__ import annotations

import pytest

from bench import cli, report
from bench.runner import Measurement, Options
from bench.stats import percentile, spread


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 50) == 0.0


def test_spread_is_half_the_range_over_the_median() -> None:
    assert spread([90.0, 100.0, 110.0]) == pytest.approx(0.1)
    assert spread([100.0]) == 0.0


def _m(target: str, qps: float, repeat: int = 0, **extra: object) -> Measurement:
    fields: dict = {"engine": "sqlite", "subscriptions": 1000, "workers": 1, "repeat": repeat}
    fields.update(rpc="ListSubscriptions", target=target, qps=qps)
    fields.update(extra)
    return Measurement(**fields)


def test_ratio_to_echo_is_taken_within_each_repeat() -> None:
    measurements = [
        _m("server", 100, 0), _m("echo", 1000, 0),
        _m("server", 300, 1), _m("echo", 1000, 1),
        _m("server", 50, 2), _m("echo", 100, 2),
    ]  # fmt: skip
    (row,) = report.summarize(measurements)
    assert row.echo_ratio == pytest.approx(0.3)  # median of 0.1, 0.3, 0.5
    (target,) = report.targets(measurements, [row])
    assert target.threshold == 0.6 and not target.met


def test_scaling_target_is_the_servers_scaling_over_the_echo_servers() -> None:
    measurements = [
        _m("server", 100, workers=1), _m("server", 150, workers=2),
        _m("echo", 1000, workers=1), _m("echo", 1250, workers=2),
    ]  # fmt: skip
    found = report.targets(measurements, report.summarize(measurements))
    (scaling,) = [t for t in found if "scaling" in t.name]
    assert scaling.value == pytest.approx(1.5 / 1.25)
    assert scaling.threshold == 0.9 and scaling.met
    assert "server 1.50x, echo 1.25x" in scaling.scope


def test_the_p50_target_compares_the_largest_dataset_with_the_smallest() -> None:
    measurements = [
        _m("server", 100, p50_ms=10.0), _m("echo", 1000),
        _m("server", 100, p50_ms=12.0, subscriptions=10**6),
        _m("echo", 1000, subscriptions=10**6),
    ]  # fmt: skip
    found = report.targets(measurements, report.summarize(measurements))
    (size,) = [t for t in found if "p50" in t.name]
    assert size.value == pytest.approx(1.2) and size.met is False


def test_the_write_rpcs_report_their_ratio_to_raw_sqlite_commits_without_a_target() -> None:
    measurements = [
        _m("server", 300, rpc="AcceptUpgrade"), _m("echo", 3000, rpc="AcceptUpgrade"),
        _m("sqlite", 3000, rpc="durable SQLite transaction"),
    ]  # fmt: skip
    found = report.targets(measurements, report.summarize(measurements))
    (raw,) = [t for t in found if "SQLite" in t.name]
    assert raw.value == pytest.approx(0.1) and raw.met is None
    assert "| reported |" in report.targets_table([raw])


def test_validate_license_reports_its_ratio_to_the_floor_server_without_a_target() -> None:
    measurements = [
        _m("server", 400, rpc="ValidateLicense"), _m("echo", 1000, rpc="ValidateLicense"),
        _m("floor", 800, rpc="ValidateLicense"),
    ]  # fmt: skip
    found = report.targets(measurements, report.summarize(measurements))
    (floor,) = [t for t in found if "floor" in t.name]
    assert floor.value == pytest.approx(0.5) and floor.met is None
    # The floor has no row of its own in the summary: it is no server under test.
    assert [r.rpc for r in report.summarize(measurements)] == ["ValidateLicense"]
    assert "ValidateLicense floor" in report.extras_table(measurements)


def test_activate_installation_has_an_echo_target_on_sqlite_only() -> None:
    measurements = [
        _m(target, qps, rpc="ActivateInstallation", engine=engine)
        for engine in ("sqlite", "postgresql")
        for target, qps in (("server", 50), ("echo", 100))
    ]
    found = report.targets(measurements, report.summarize(measurements))
    assert [t.scope.split(",")[0] for t in found if "echo" in t.name] == ["sqlite"]


class _RunWithErrors:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.notes: list[str] = []
        self.datasets: dict = {}
        self.measurements = [
            _m("server", 10, errors={"UNAVAILABLE": 3}, error_samples=["UNAVAILABLE: x"]),
            _m("echo", 100),
        ]

    def execute(self) -> None:
        pass


def test_a_run_with_errors_says_so_and_exits_non_zero(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setattr(cli, "Run", _RunWithErrors)
    code = cli.main(["--no-chart", "--output-dir", str(tmp_path)])
    assert code == 1
    captured = capsys.readouterr()
    assert "THIS RUN HAD ERRORS: 3 call(s) failed" in captured.err
    assert "UNAVAILABLE x3" in captured.err
    assert "**3**" in captured.out  # the table marks them too
