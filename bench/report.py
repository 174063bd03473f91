"""What a run found: the summary table, the targets, the JSON and the chart."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import platform
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import grpc

from .runner import Measurement, Run
from .stats import median, spread

Key = tuple[str, int, int, str]  # engine, subscriptions, workers, rpc


@dataclasses.dataclass
class Row:
    engine: str
    subscriptions: int
    workers: int
    rpc: str
    qps: float
    qps_spread: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    server_cpu_ms_per_call: float
    client_cpu_ms_per_call: float
    errors: int
    echo_qps: float
    echo_ratio: float
    echo_p50_ms: float
    echo_server_cpu_ms_per_call: float
    repeats: int
    response_bytes: int
    exhausted: bool


@dataclasses.dataclass
class Target:
    name: str
    scope: str
    value: float
    threshold: float
    higher_is_better: bool = True

    @property
    def met(self) -> bool:
        if self.higher_is_better:
            return self.value >= self.threshold
        return self.value <= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "met": self.met}


def _group(measurements: Iterable[Measurement], target: str) -> dict[Key, list[Measurement]]:
    groups: dict[Key, list[Measurement]] = defaultdict(list)
    for m in measurements:
        if m.target == target:
            groups[(m.engine, m.subscriptions, m.workers, m.rpc)].append(m)
    return groups


def _paired_ratio(numerators: Sequence[Measurement], denominators: Sequence[Measurement]) -> float:
    """The median over repeats of a ratio taken within each repeat."""
    by_repeat = {d.repeat: d.qps for d in denominators}
    ratios = [n.qps / by_repeat[n.repeat] for n in numerators if by_repeat.get(n.repeat)]
    return median(ratios)


def summarize(measurements: Sequence[Measurement]) -> list[Row]:
    servers = _group(measurements, "server")
    echoes = _group(measurements, "echo")
    rows = []
    for key, runs in servers.items():
        echo = echoes.get(key, [])
        qps = [m.qps for m in runs]
        rows.append(
            Row(
                *key,
                qps=median(qps),
                qps_spread=spread(qps),
                p50_ms=median([m.p50_ms for m in runs]),
                p90_ms=median([m.p90_ms for m in runs]),
                p99_ms=median([m.p99_ms for m in runs]),
                server_cpu_ms_per_call=median([m.server_cpu_ms_per_call or 0 for m in runs]),
                client_cpu_ms_per_call=median([m.client_cpu_ms_per_call or 0 for m in runs]),
                errors=sum(m.error_count for m in runs),
                echo_qps=median([m.qps for m in echo]),
                echo_ratio=_paired_ratio(runs, echo),
                echo_p50_ms=median([m.p50_ms for m in echo]),
                echo_server_cpu_ms_per_call=median([m.server_cpu_ms_per_call or 0 for m in echo]),
                repeats=len(runs),
                response_bytes=runs[0].response_bytes,
                exhausted=any(m.exhausted for m in runs),
            )
        )
    order = {name: i for i, name in enumerate(RPC_ORDER)}
    rows.sort(key=lambda r: (r.engine, r.subscriptions, r.workers, order.get(r.rpc, 99)))
    return rows


RPC_ORDER = (
    "ValidateLicense",
    "ListSubscriptions",
    "GetUpgradeTerms",
    "Authenticate",
    "AcceptUpgrade",
    "ActivateInstallation",
)
ECHO_TARGETS = {"ValidateLicense": 0.7, "ListSubscriptions": 0.5}


def targets(measurements: Sequence[Measurement], rows: Sequence[Row]) -> list[Target]:
    found: list[Target] = []
    for row in rows:
        scope = f"{row.engine}, {row.subscriptions:,} serials, {row.workers} worker(s)"
        if row.rpc in ECHO_TARGETS:
            found.append(
                Target(f"{row.rpc} QPS / echo QPS", scope, row.echo_ratio, ECHO_TARGETS[row.rpc])
            )
    logins = _group(measurements, "server")
    argon = _group(measurements, "argon2")
    for (engine, size, workers, _), raw in argon.items():
        auth = logins.get((engine, size, workers, "Authenticate"), [])
        if auth:
            scope = f"{engine}, {size:,} serials, {workers} worker(s)"
            found.append(
                Target(
                    "Authenticate QPS / raw argon2id verify rate",
                    scope,
                    _paired_ratio(auth, raw),
                    0.9,
                )
            )
    idle = _group(measurements, "idle")
    busy = _group(measurements, "under_logins")
    for key, quiet in idle.items():
        loaded = busy.get(key, [])
        if loaded:
            engine, size, workers, rpc = key
            by_repeat = {m.repeat: m.p99_ms for m in quiet}
            ratio = median(
                [m.p99_ms / by_repeat[m.repeat] for m in loaded if by_repeat.get(m.repeat)]
            )
            found.append(
                Target(
                    f"{rpc} p99 while logins saturate / idle p99",
                    f"{engine}, {size:,} serials, {workers} worker(s)",
                    ratio,
                    2.0,
                    higher_is_better=False,
                )
            )
    index = {(r.engine, r.subscriptions, r.workers, r.rpc): r for r in rows}
    sizes = sorted({r.subscriptions for r in rows})
    worker_counts = sorted({r.workers for r in rows})
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for r in rows:
            if r.subscriptions != small:
                continue
            big = index.get((r.engine, large, r.workers, r.rpc))
            if big and r.p50_ms:
                found.append(
                    Target(
                        f"{r.rpc} p50 at {large:,} / p50 at {small:,} serials",
                        f"{r.engine}, {r.workers} worker(s)",
                        big.p50_ms / r.p50_ms,
                        1.15,
                        higher_is_better=False,
                    )
                )
    if 1 in worker_counts and 2 in worker_counts:
        for r in rows:
            if r.workers != 1:
                continue
            two = index.get((r.engine, r.subscriptions, 2, r.rpc))
            if two and r.qps:
                scope = f"{r.engine}, {r.subscriptions:,} serials"
                found.append(
                    Target(f"{r.rpc} QPS with 2 workers / 1 worker", scope, two.qps / r.qps, 1.6)
                )
                if r.echo_qps:
                    found.append(
                        Target(
                            f"(ceiling) echo for {r.rpc}: 2 workers / 1",
                            scope,
                            two.echo_qps / r.echo_qps,
                            1.6,
                        )
                    )
    return found


def _fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def table(rows: Sequence[Row]) -> str:
    """The summary as a Markdown table (printed, and pasted in the README)."""
    header = (
        "| engine | serials | workers | RPC | QPS | ± | p50 ms | p99 ms "
        "| server CPU ms/call | errors | echo QPS | QPS / echo |"
    )
    lines = [header, "| " + " | ".join(["---"] * 12) + " |"]
    for r in rows:
        lines.append(
            "| "
            + " | ".join(
                [
                    r.engine,
                    f"{r.subscriptions:,}",
                    str(r.workers),
                    r.rpc + (" *" if r.exhausted else ""),
                    _fmt(r.qps, 0),
                    f"{r.qps_spread * 100:.0f}%" if r.repeats > 1 else "-",
                    _fmt(r.p50_ms, 2),
                    _fmt(r.p99_ms, 2),
                    _fmt(r.server_cpu_ms_per_call, 2),
                    f"**{r.errors}**" if r.errors else "0",
                    _fmt(r.echo_qps, 0),
                    _fmt(r.echo_ratio, 2),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def targets_table(found: Sequence[Target]) -> str:
    lines = ["| target | where | measured | needed | |", "| --- | --- | --- | --- | --- |"]
    for t in found:
        sign = ">=" if t.higher_is_better else "<="
        lines.append(
            f"| {t.name} | {t.scope} | {t.value:.2f} | {sign} {t.threshold:g} "
            f"| {'met' if t.met else '**MISSED**'} |"
        )
    return "\n".join(lines)


def extras_table(measurements: Sequence[Measurement]) -> str:
    """The argon2 ceiling and the latency-under-logins runs, which have no echo."""
    groups: dict[tuple[str, int, int, str, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        if m.target in ("argon2", "idle", "under_logins", "logins"):
            groups[(m.engine, m.subscriptions, m.workers, m.rpc, m.target)].append(m)
    lines = [
        "| engine | serials | workers | what | QPS | p50 ms | p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    labels = {
        "argon2": "raw argon2id verify (no gRPC, no database)",
        "idle": "{rpc}, concurrency {c}, alone",
        "under_logins": "{rpc}, concurrency {c}, while logins saturate",
        "logins": "Authenticate, saturating (during the line above)",
    }
    for (engine, size, workers, rpc, target), runs in groups.items():
        label = labels[target].format(rpc=rpc, c=runs[0].concurrency)
        p50 = "-" if target == "argon2" else _fmt(median([m.p50_ms for m in runs]), 2)
        p99 = "-" if target == "argon2" else _fmt(median([m.p99_ms for m in runs]), 2)
        errors = sum(m.error_count for m in runs)
        shed = sum(m.shed for m in runs)
        qps = _fmt(median([m.qps for m in runs]), 1)
        shown = f"**{errors}**" if errors else "0"
        if shed:
            shown += f" (shed {shed}, retried)"
        lines.append(
            f"| {engine} | {size:,} | {workers} | {label} | {qps} | {p50} | {p99} | {shown} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "platform": platform.platform(),
    }


def error_summary(measurements: Sequence[Measurement]) -> list[str]:
    found = []
    for m in measurements:
        if m.errors:
            found.append(
                f"{m.rpc} ({m.target}, {m.engine}, {m.subscriptions:,} serials, "
                f"{m.workers} worker(s), repeat {m.repeat + 1}): "
                + ", ".join(f"{code} x{n}" for code, n in sorted(m.errors.items()))
                + (f" — e.g. {m.error_samples[0]}" if m.error_samples else "")
            )
    return found


def write_json(path: pathlib.Path, run: Run, rows: Sequence[Row], found: Sequence[Target]) -> None:
    options = {
        k: (str(v) if isinstance(v, pathlib.Path) else v)
        for k, v in dataclasses.asdict(run.options).items()
    }
    document = {
        "machine": machine(),
        "options": options,
        "datasets": run.datasets,
        "notes": run.notes,
        "summary": [dataclasses.asdict(r) for r in rows],
        "targets": [t.to_json() for t in found],
        "errors": error_summary(run.measurements),
        "measurements": [m.to_json() for m in run.measurements],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def chart(path: pathlib.Path, rows: Sequence[Row]) -> None:
    """QPS and latency percentiles per RPC, and p50 against dataset size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        return
    engine = rows[0].engine
    largest = max(r.subscriptions for r in rows if r.engine == engine)
    workers = sorted({r.workers for r in rows if r.engine == engine})
    chosen = [r for r in rows if r.engine == engine and r.subscriptions == largest]
    rpcs = [name for name in RPC_ORDER if any(r.rpc == name for r in chosen)]
    figure, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    figure.suptitle(
        f"aspel-licensing on {os.cpu_count()} cores: {engine}, {largest:,} serials "
        f"(grpcio {grpc.__version__})"
    )
    # 1. QPS, real server against the echo ceiling, per worker count.
    ax = axes[0]
    width = 0.8 / (2 * len(workers))
    for i, w in enumerate(workers):
        by_rpc = {r.rpc: r for r in chosen if r.workers == w}
        xs = range(len(rpcs))
        ax.bar(
            [x + (2 * i) * width for x in xs],
            [by_rpc[n].qps if n in by_rpc else 0 for n in rpcs],
            width,
            label=f"server, {w} worker(s)",
        )
        ax.bar(
            [x + (2 * i + 1) * width for x in xs],
            [by_rpc[n].echo_qps if n in by_rpc else 0 for n in rpcs],
            width,
            alpha=0.45,
            label=f"echo ceiling, {w} worker(s)",
        )
    ax.set_xticks([x + width * (len(workers) - 0.5) for x in range(len(rpcs))])
    ax.set_xticklabels(rpcs, rotation=20, ha="right")
    ax.set_ylabel("calls per second")
    ax.set_title("Throughput (closed loop)")
    ax.legend(fontsize=8)
    # 2. Latency percentiles with the most workers.
    ax = axes[1]
    top = {r.rpc: r for r in chosen if r.workers == workers[-1]}
    for j, (label, attr) in enumerate((("p50", "p50_ms"), ("p90", "p90_ms"), ("p99", "p99_ms"))):
        ax.bar(
            [x + j * 0.27 for x in range(len(rpcs))],
            [getattr(top[n], attr) if n in top else 0 for n in rpcs],
            0.27,
            label=label,
        )
    ax.set_xticks([x + 0.27 for x in range(len(rpcs))])
    ax.set_xticklabels(rpcs, rotation=20, ha="right")
    ax.set_ylabel("milliseconds")
    ax.set_yscale("log")
    ax.set_title(f"Latency percentiles, {workers[-1]} worker(s)")
    ax.legend(fontsize=8)
    # 3. p50 against dataset size.
    ax = axes[2]
    sizes = sorted({r.subscriptions for r in rows if r.engine == engine})
    for name in rpcs:
        points = sorted(
            (r.subscriptions, r.p50_ms)
            for r in rows
            if r.engine == engine and r.rpc == name and r.workers == workers[-1]
        )
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("serials in the database")
    ax.set_ylabel("p50 ms")
    ax.set_title(
        "p50 against dataset size" if len(sizes) > 1 else "p50 (run several sizes to compare)"
    )
    ax.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
