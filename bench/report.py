"""What a run found: the summary table, the targets, the JSON and the chart."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import platform
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
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
    #: None: a ratio reported with no target (yet).
    threshold: float | None
    higher_is_better: bool = True

    @property
    def met(self) -> bool | None:
        if self.threshold is None:
            return None
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
    "ValidateLicense storm",
    "ListSubscriptions",
    "GetUpgradeTerms",
    "Authenticate",
    "AcceptUpgrade",
    "ActivateInstallation",
)
#: The read RPCs: what the size and scaling targets are about.
READS = ("ValidateLicense", "ListSubscriptions", "GetUpgradeTerms")


@dataclasses.dataclass(frozen=True)
class Rule:
    """One target of issue 17: what is compared, for which RPC, against what."""

    #: echo: QPS / echo QPS in the same block. size: p50 at the largest
    #: dataset / p50 at the smallest. scaling: (QPS with 2 workers / 1) over
    #: (echo QPS with 2 workers / 1), within each repeat. under_logins: p99
    #: while logins saturate / idle p99. argon2: QPS / raw argon2id verify
    #: rate. sqlite: QPS / raw durable SQLite transaction rate.
    kind: str
    rpc: str
    threshold: float | None  # None: reported, no target
    higher_is_better: bool = True
    engines: tuple[str, ...] = ()  # empty: every engine


#: Every target, in one table: the thresholds are here and nowhere else.
RULES: tuple[Rule, ...] = (
    Rule("echo", "ValidateLicense", 0.80),
    Rule("echo", "ListSubscriptions", 0.60),
    Rule("echo", "GetUpgradeTerms", 0.60),
    Rule("echo", "ActivateInstallation", 0.40, engines=("sqlite",)),
    *(Rule("size", rpc, 1.15, higher_is_better=False) for rpc in READS),
    *(Rule("scaling", rpc, 0.9) for rpc in READS),
    Rule("under_logins", "ValidateLicense", 2.0, higher_is_better=False),
    Rule("argon2", "Authenticate", 0.9),
    Rule("sqlite", "AcceptUpgrade", None),
    Rule("sqlite", "ActivateInstallation", None),
    # How much of the distance to the echo server is this repository's own
    # work per call (floor_server.py): reported, the targets stay echo's.
    Rule("floor", "ValidateLicense", None),
)
RAW_LABELS = {
    "argon2": "raw argon2id verify rate",
    "sqlite": "raw durable SQLite transactions/s",
    "floor": "the floor server's QPS",
}


def _where(engine: str, size: int | None = None, workers: int | None = None) -> str:
    parts = [engine]
    if size is not None:
        parts.append(f"{size:,} serials")
    if workers is not None:
        parts.append(f"{workers} worker(s)")
    return ", ".join(parts)


def _echo_targets(rule: Rule, rows: Sequence[Row]) -> Iterator[Target]:
    for r in rows:
        if r.rpc == rule.rpc:
            yield Target(
                f"{r.rpc} QPS / echo QPS",
                _where(r.engine, r.subscriptions, r.workers),
                r.echo_ratio,
                rule.threshold,
            )


def _size_targets(rule: Rule, rows: Sequence[Row]) -> Iterator[Target]:
    for engine in sorted({r.engine for r in rows}):
        sizes = sorted({r.subscriptions for r in rows if r.engine == engine})
        if len(sizes) < 2:
            continue
        small, large = sizes[0], sizes[-1]
        index = {
            (r.subscriptions, r.workers): r
            for r in rows
            if r.engine == engine and r.rpc == rule.rpc
        }
        for (size, workers), r in sorted(index.items()):
            big = index.get((large, workers))
            if size == small and big and r.p50_ms:
                yield Target(
                    f"{rule.rpc} p50 at {large:,} / p50 at {small:,} serials",
                    _where(engine, workers=workers),
                    big.p50_ms / r.p50_ms,
                    rule.threshold,
                    higher_is_better=False,
                )


def _scaling_targets(rule: Rule, measurements: Sequence[Measurement]) -> Iterator[Target]:
    """Within each repeat: how much a second worker adds to the server, over
    how much it adds to the echo server (the ceiling moves with the machine)."""
    qps: dict[tuple[str, int, int, str], dict[int, float]] = defaultdict(dict)
    for m in measurements:
        if m.rpc == rule.rpc and m.target in ("server", "echo"):
            qps[(m.engine, m.subscriptions, m.repeat, m.target)][m.workers] = m.qps
    blocks: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    for (engine, size, repeat, target), by_workers in qps.items():
        if target != "server":
            continue
        echo = qps.get((engine, size, repeat, "echo"), {})
        if all(by_workers.get(w) and echo.get(w) for w in (1, 2)):
            blocks[(engine, size)].append((by_workers[2] / by_workers[1], echo[2] / echo[1]))
    for (engine, size), pairs in sorted(blocks.items()):
        server_scaling = median([p[0] for p in pairs])
        echo_scaling = median([p[1] for p in pairs])
        yield Target(
            f"{rule.rpc} scaling 1 -> 2 workers / echo's",
            f"{_where(engine, size)} (server {server_scaling:.2f}x, echo {echo_scaling:.2f}x)",
            median([server / echo for server, echo in pairs]),
            rule.threshold,
        )


def _latency_targets(rule: Rule, measurements: Sequence[Measurement]) -> Iterator[Target]:
    idle = _group(measurements, "idle")
    busy = _group(measurements, "under_logins")
    for key, quiet in idle.items():
        engine, size, workers, rpc = key
        loaded = busy.get(key, [])
        if rpc != rule.rpc or not loaded:
            continue
        by_repeat = {m.repeat: m.p99_ms for m in quiet}
        ratio = median([m.p99_ms / by_repeat[m.repeat] for m in loaded if by_repeat.get(m.repeat)])
        yield Target(
            f"{rpc} p99 while logins saturate / idle p99",
            _where(engine, size, workers),
            ratio,
            rule.threshold,
            higher_is_better=False,
        )


def _raw_targets(rule: Rule, measurements: Sequence[Measurement]) -> Iterator[Target]:
    server = _group(measurements, "server")
    for (engine, size, workers, _), raw in _group(measurements, rule.kind).items():
        runs = server.get((engine, size, workers, rule.rpc), [])
        if runs:
            yield Target(
                f"{rule.rpc} QPS / {RAW_LABELS[rule.kind]}",
                _where(engine, size, workers),
                _paired_ratio(runs, raw),
                rule.threshold,
            )


def targets(measurements: Sequence[Measurement], rows: Sequence[Row]) -> list[Target]:
    found: list[Target] = []
    for rule in RULES:
        chosen = [r for r in rows if not rule.engines or r.engine in rule.engines]
        kept = [m for m in measurements if not rule.engines or m.engine in rule.engines]
        if rule.kind == "echo":
            found.extend(_echo_targets(rule, chosen))
        elif rule.kind == "size":
            found.extend(_size_targets(rule, chosen))
        elif rule.kind == "scaling":
            found.extend(_scaling_targets(rule, kept))
        elif rule.kind == "under_logins":
            found.extend(_latency_targets(rule, kept))
        else:
            found.extend(_raw_targets(rule, kept))
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
        needed = "-" if t.threshold is None else f"{sign} {t.threshold:g}"
        verdict = {None: "reported", True: "met", False: "**MISSED**"}[t.met]
        shown = f"{t.value:.2f}" if t.value >= 0.095 else f"{t.value:.3f}"
        lines.append(f"| {t.name} | {t.scope} | {shown} | {needed} | {verdict} |")
    return "\n".join(lines)


def extras_table(measurements: Sequence[Measurement]) -> str:
    """The raw ceilings, the floor and the latency-under-logins runs, which have no echo."""
    groups: dict[tuple[str, int, int, str, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        if m.target in ("argon2", "sqlite", "floor", "idle", "under_logins", "logins"):
            groups[(m.engine, m.subscriptions, m.workers, m.rpc, m.target)].append(m)
    lines = [
        "| engine | serials | workers | what | QPS | p50 ms | p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    labels = {
        "argon2": "raw argon2id verify (no gRPC, no database)",
        "sqlite": "raw durable SQLite transactions (BEGIN IMMEDIATE/INSERT/COMMIT, "
        "WAL, synchronous=FULL; no gRPC)",
        "floor": "{rpc} floor (decode + the same query, bare driver; no layers, no domain)",
        "idle": "{rpc}, concurrency {c}, alone",
        "under_logins": "{rpc}, concurrency {c}, while logins saturate",
        "logins": "Authenticate, saturating (during the line above)",
    }
    for (engine, size, workers, rpc, target), runs in groups.items():
        label = labels[target].format(rpc=rpc, c=runs[0].concurrency)
        raw = target in ("argon2", "sqlite")
        p50 = "-" if raw else _fmt(median([m.p50_ms for m in runs]), 2)
        p99 = "-" if raw else _fmt(median([m.p99_ms for m in runs]), 2)
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


EXHAUSTED_NOTE = (
    "\\* the prepared requests ran out before the time was up (each is sent once: a "
    "different serial accepted, machine activated, or activation validated for the "
    "first time in the hour): the window was shorter"
)


def datasets_line(datasets: dict[str, dict[Any, dict[str, Any]]]) -> str:
    parts = []
    for engine, sizes in datasets.items():
        for m in sizes.values():
            parts.append(
                f"{engine} {m['subscriptions']:,} serials ({m['accounts']:,} accounts, "
                f"{m['activations']:,} activations; built in {m['build_seconds']:,.0f} s)"
            )
    return "Datasets: " + "; ".join(parts) + "." if parts else ""


def markdown(
    rows: Sequence[Row],
    found: Sequence[Target],
    measurements: Sequence[Measurement],
    datasets: dict[str, dict[Any, dict[str, Any]]],
) -> str:
    """What the README's Performance section shows: the datasets, the table,
    the raw ceilings and the targets."""
    blocks = [datasets_line(datasets), table(rows)]
    if any(r.exhausted for r in rows):
        blocks.append(EXHAUSTED_NOTE)
    blocks += [extras_table(measurements), targets_table(found)]
    return "\n\n".join(b for b in blocks if b)


def chart(path: pathlib.Path, rows: Sequence[Row]) -> None:
    """Per engine: QPS against the echo ceiling, the ratio to it with the
    targets, latency percentiles, and p50 against dataset size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        return
    engines = sorted({r.engine for r in rows}, key=lambda e: (e != "sqlite", e))
    figure, grid = plt.subplots(len(engines), 4, figsize=(22, 5.4 * len(engines)), squeeze=False)
    figure.suptitle(f"aspel-licensing on {os.cpu_count()} cores (grpcio {grpc.__version__})")
    for engine, axes in zip(engines, grid, strict=True):
        _chart_engine(axes, engine, [r for r in rows if r.engine == engine])
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)


def _chart_engine(axes: Any, engine: str, rows: Sequence[Row]) -> None:
    largest = max(r.subscriptions for r in rows)
    workers = sorted({r.workers for r in rows})
    chosen = [r for r in rows if r.subscriptions == largest]
    rpcs = [name for name in RPC_ORDER if any(r.rpc == name for r in chosen)]
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
    ax.set_title(f"{engine}, {largest:,} serials: throughput (closed loop)")
    ax.legend(fontsize=8)
    # 2. The ratio to the echo server, every size and worker count, and the targets.
    ax = axes[1]
    blocks = sorted({(r.subscriptions, r.workers) for r in rows})
    width = 0.8 / len(blocks)
    for i, (size, w) in enumerate(blocks):
        by_rpc = {r.rpc: r for r in rows if r.subscriptions == size and r.workers == w}
        ax.bar(
            [x + i * width for x in range(len(rpcs))],
            [by_rpc[n].echo_ratio if n in by_rpc else 0 for n in rpcs],
            width,
            label=f"{size:,} serials, {w} worker(s)",
        )
    for x, name in enumerate(rpcs):
        rule = next(
            (
                r
                for r in RULES
                if r.kind == "echo" and r.rpc == name and (not r.engines or engine in r.engines)
            ),
            None,
        )
        if rule is not None and rule.threshold is not None:
            ax.hlines(rule.threshold, x - width / 2, x + 0.8 - width / 2, colors="black")
    ax.set_xticks([x + width * (len(blocks) - 1) / 2 for x in range(len(rpcs))])
    ax.set_xticklabels(rpcs, rotation=20, ha="right")
    ax.set_ylabel("QPS / echo QPS (black line: target)")
    ax.set_title(f"{engine}: ratio to the echo server")
    ax.legend(fontsize=8)
    # 3. Latency percentiles with the most workers.
    ax = axes[2]
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
    ax.set_title(f"{engine}, {largest:,} serials: latency, {workers[-1]} worker(s)")
    ax.legend(fontsize=8)
    # 4. p50 against dataset size.
    ax = axes[3]
    sizes = sorted({r.subscriptions for r in rows})
    for name in rpcs:
        points = sorted(
            (r.subscriptions, r.p50_ms) for r in rows if r.rpc == name and r.workers == workers[-1]
        )
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("serials in the database")
    ax.set_ylabel("p50 ms")
    ax.set_title(
        f"{engine}: p50 against dataset size"
        if len(sizes) > 1
        else f"{engine}: p50 (run several sizes to compare)"
    )
    ax.legend(fontsize=8)


def load(paths: Sequence[pathlib.Path]) -> tuple[list[Measurement], dict[str, dict[Any, Any]]]:
    """The measurements and datasets of one or more bench.json files (e.g. a
    SQLite run and a PostgreSQL run, to show in one table)."""
    measurements: list[Measurement] = []
    datasets: dict[str, dict[Any, Any]] = {}
    for path in paths:
        document = json.loads(path.read_text())
        measurements += [Measurement(**m) for m in document["measurements"]]
        for engine, sizes in document["datasets"].items():
            datasets.setdefault(engine, {}).update(sizes)
    return measurements, datasets


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.report --markdown [--chart PNG] bench.json [...]`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bench.report",
        description="The README's table (and chart) from the bench.json of one or more runs.",
    )
    parser.add_argument("files", nargs="+", type=pathlib.Path, metavar="bench.json")
    parser.add_argument(
        "--markdown", action="store_true", help="print the datasets, table and targets"
    )
    parser.add_argument("--chart", type=pathlib.Path, metavar="PNG", help="write the chart here")
    args = parser.parse_args(argv)
    measurements, datasets = load(args.files)
    rows = summarize(measurements)
    found = targets(measurements, rows)
    if args.markdown or not args.chart:
        print(markdown(rows, found, measurements, datasets))
    if args.chart:
        chart(args.chart, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
