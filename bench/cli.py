"""`python -m bench` (what `make bench` runs): options, the run, the report."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import pathlib
import sys

from . import report, scenarios
from .runner import Options, Run


def _numbers(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part.replace("_", "")) for part in text.split(",") if part)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas: {text!r}") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers: {text!r}")
    return values


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    d = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Measures the licensing server under closed-loop load, against a bare gRPC "
            "echo server (the ceiling) driven by the same load generator. "
            'In make: make bench BENCH_ARGS="--subscriptions 1000,1000000 --repeat 3".'
        ),
    )
    parser.add_argument(
        "--subscriptions",
        type=_numbers,
        default=d.subscriptions,
        metavar="N[,N]",
        help="dataset sizes in serials (default 1000; e.g. 1000,100000,1000000)",
    )
    parser.add_argument(
        "--engine",
        type=_names,
        default=d.engines,
        metavar="NAME[,NAME]",
        help="sqlite (default) and/or postgresql (a throw-away cluster)",
    )
    parser.add_argument(
        "--workers",
        type=_numbers,
        default=d.workers,
        metavar="N[,N]",
        help="server processes, as `serve --workers N` (default 1,2)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=d.concurrency,
        help="calls in flight, over all client processes (default 32)",
    )
    parser.add_argument(
        "--clients", type=int, default=d.clients, help="load-generator processes (default 2)"
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=d.connections,
        help="HTTP/2 connections per client process (default 8)",
    )
    parser.add_argument(
        "--duration", type=float, default=d.duration, help="measured seconds per run (default 5)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=d.warmup,
        help="unmeasured seconds before each run (default 1)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=d.repeat,
        help="repeat every measurement; the report gives median and spread",
    )
    parser.add_argument(
        "--rpc",
        type=_names,
        default=d.rpcs,
        metavar="NAME[,NAME]",
        help="only these scenarios (default: every hot RPC the server has; "
        "'ValidateLicense storm' is the first-validation-of-the-hour one)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=d.pool,
        help="distinct requests (accounts, serials) per reusable scenario",
    )
    parser.add_argument(
        "--accept-pool",
        type=int,
        default=d.accept_pool,
        help="serials prepared for AcceptUpgrade (each accepted once)",
    )
    parser.add_argument(
        "--storm-pool",
        type=int,
        default=d.storm_pool,
        help="activations prepared for 'ValidateLicense storm' (each validated once, "
        "its first validation of the hour)",
    )
    parser.add_argument(
        "--probe-concurrency",
        type=int,
        default=d.probe_concurrency,
        help="calls in flight of the latency probe run beside logins",
    )
    parser.add_argument(
        "--no-latency-check",
        action="store_true",
        help="skip the latency-while-logins-saturate measurement",
    )
    parser.add_argument(
        "--no-argon2-check", action="store_true", help="skip measuring the raw argon2id verify rate"
    )
    parser.add_argument(
        "--no-sqlite-check",
        action="store_true",
        help="skip measuring the raw durable SQLite transaction rate",
    )
    parser.add_argument(
        "--no-floor-check",
        action="store_true",
        help="skip measuring ValidateLicense against the floor server (decode and the "
        "same query, nothing else)",
    )
    parser.add_argument(
        "--output-dir",
        type=pathlib.Path,
        default=pathlib.Path("var/bench/results"),
        help="where bench.json and bench.png go (default var/bench/results)",
    )
    parser.add_argument(
        "--cache-dir",
        type=pathlib.Path,
        default=d.cache_dir,
        help="cached datasets (default var/bench/datasets)",
    )
    parser.add_argument(
        "--work-dir",
        type=pathlib.Path,
        default=d.work_dir,
        help="working copies and server logs (default var/bench/work)",
    )
    parser.add_argument("--no-chart", action="store_true", help="write no PNG")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the server's workers during each run; collapsed stacks "
        "and a summary go to OUTPUT_DIR/profiles",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set an ASPEL_LICENSING_* variable for the real server (repeatable), "
        "e.g. ASPEL_LICENSING_MAX_WORKERS=64, to compare settings",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build (or find) the cached datasets and stop"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    unknown = [name for name in args.rpc if name not in {s.name for s in scenarios.SCENARIOS}]
    if unknown:
        raise SystemExit(f"unknown RPC(s): {', '.join(unknown)}")
    for engine in args.engine:
        if engine not in ("sqlite", "postgresql"):
            raise SystemExit(f"unknown engine {engine!r}: sqlite or postgresql")
    return Options(
        subscriptions=args.subscriptions,
        engines=args.engine,
        workers=args.workers,
        concurrency=args.concurrency,
        clients=args.clients,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        repeat=args.repeat,
        rpcs=args.rpc,
        pool=args.pool,
        accept_pool=args.accept_pool,
        storm_pool=args.storm_pool,
        probe_concurrency=args.probe_concurrency,
        latency_check=not args.no_latency_check,
        argon2_check=not args.no_argon2_check,
        sqlite_check=not args.no_sqlite_check,
        floor_check=not args.no_floor_check,
        cache_dir=args.cache_dir,
        work_dir=args.work_dir,
        profile_dir=args.output_dir / "profiles" if args.profile else None,
        server_env=tuple(_pair(text) for text in args.server_env),
    )


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("ASPEL_LICENSING_"):
        raise SystemExit(f"--server-env wants ASPEL_LICENSING_NAME=VALUE, not {text!r}")
    return name, value


LOUD = "!" * 78


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(message)s")
    options = options_from(args)
    if args.build_only:
        from .runner import engine_for

        for engine_name in options.engines:
            with engine_for(engine_name, options) as engine:
                for size in options.subscriptions:
                    manifest = engine.pristine(size)
                    print(f"{engine_name}, {size:,} serials: {manifest}")
        return 0
    run = Run(options)
    started = dt.datetime.now()
    try:
        run.execute()
    except scenarios.SetupError as exc:
        print(f"\n{LOUD}\nBENCHMARK SETUP FAILED: {exc}\n{LOUD}", file=sys.stderr)
        return 2
    rows = report.summarize(run.measurements)
    found = report.targets(run.measurements, rows)
    output = args.output_dir
    report.write_json(output / "bench.json", run, rows, found)
    (output / "README-table.md").write_text(
        report.markdown(rows, found, run.measurements, run.datasets) + "\n"
    )
    if not args.no_chart:
        report.chart(output / "bench.png", rows)
    m = report.machine()
    print()
    print(
        f"aspel-licensing bench, {started:%Y-%m-%d %H:%M}: {m['cpus']} cores ({m['cpu_model']}), "
        f"Python {m['python']}, grpcio {m['grpcio']}; concurrency {options.concurrency} over "
        f"{options.clients} client processes, {options.duration:g} s per run"
        + (f", median of {options.repeat}" if options.repeat > 1 else "")
    )
    print()
    print(report.table(rows))
    if any(r.exhausted for r in rows):
        print("\n" + report.EXHAUSTED_NOTE.replace("\\", ""))
    print()
    print(report.extras_table(run.measurements))
    print()
    print(report.targets_table(found))
    for note in run.notes:
        print(f"\nnote: {note}")
    print(
        f"\nJSON: {output / 'bench.json'}; README table: {output / 'README-table.md'}"
        + ("" if args.no_chart else f"; chart: {output / 'bench.png'}")
    )
    errors = report.error_summary(run.measurements)
    if errors:
        total = sum(m.error_count for m in run.measurements)
        print(
            f"\n{LOUD}\nTHIS RUN HAD ERRORS: {total} call(s) failed; its figures are not valid.",
            file=sys.stderr,
        )
        for line in errors:
            print(f"  {line}", file=sys.stderr)
        print(LOUD, file=sys.stderr)
        return 1
    return 0
