"""The closed-loop load generator: several client processes, each a `grpc.aio`
client with many calls in flight over several connections.

Requests are serialized before the clock starts and sent as raw bytes (no
protobuf work in the timed window); responses are not parsed either, only the
status is looked at. Each in-flight slot sends its next call the moment the
previous one answers (closed loop), so the QPS is what the server sustains at
that concurrency and the latencies include any queueing in the server.
"""

from __future__ import annotations

import array
import asyncio
import dataclasses
import multiprocessing
import multiprocessing.synchronize
import queue
import time
from collections.abc import Sequence
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

CALL_TIMEOUT_SECONDS = 30.0
#: The server's backpressure: UNAVAILABLE with this reason means "nothing was
#: done, retry after the RetryInfo delay". The generator does what a polite
#: client does (waits and retries the same call) and counts it as shed, not as
#: an error; the call's latency runs from its first attempt to its answer.
BACKPRESSURE_REASON = b"SERVER_BUSY"
ERROR_SAMPLES = 5


@dataclasses.dataclass(frozen=True)
class Call:
    """One precomputed request: its serialized body and its metadata."""

    body: bytes
    metadata: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class Stream:
    """Calls of one method driven at a fixed concurrency by `clients` processes.

    When `consumes`, every call is sent at most once (each accepts a different
    serial): the processes get disjoint slices and stop when theirs runs out.
    """

    name: str
    method: str
    calls: Sequence[Call]
    concurrency: int
    clients: int
    consumes: bool = False


@dataclasses.dataclass
class StreamResult:
    name: str
    ok: int = 0  # calls answered OK inside the measured window
    total: int = 0  # every call answered, OK or not, warm-up included
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    error_samples: list[str] = dataclasses.field(default_factory=list)
    latencies_ms: list[float] = dataclasses.field(default_factory=list)
    window_seconds: float = 0.0  # summed over processes: QPS = sum of per-process rates
    qps: float = 0.0
    client_cpu_seconds: float = 0.0
    exhausted: bool = False
    shed: int = 0  # attempts answered SERVER_BUSY and retried after RetryInfo

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def merge(self, part: dict[str, Any]) -> None:
        self.ok += part["ok"]
        self.total += part["total"]
        for code, n in part["errors"].items():
            self.errors[code] = self.errors.get(code, 0) + n
        room = ERROR_SAMPLES - len(self.error_samples)
        self.error_samples.extend(part["error_samples"][:room])
        latencies = array.array("d")
        latencies.frombytes(part["latencies"])
        self.latencies_ms.extend(latencies)
        if part["window"] > 0:
            self.qps += part["ok"] / part["window"]
        self.window_seconds = max(self.window_seconds, part["window"])
        self.client_cpu_seconds += part["cpu"]
        self.exhausted = self.exhausted or part["exhausted"]
        self.shed += part["shed"]


def _backpressure_delay(error: grpc.aio.AioRpcError) -> float | None:
    """Seconds to wait when the server shed the call, else None."""
    if error.code() != grpc.StatusCode.UNAVAILABLE:
        return None
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and BACKPRESSURE_REASON in value:
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    info = error_details_pb2.RetryInfo()
                    detail.Unpack(info)
                    return float(info.retry_delay.ToTimedelta().total_seconds())
            return 1.0
    return None


@dataclasses.dataclass(frozen=True)
class _Job:
    address: str
    method: str
    calls: Sequence[Call]
    concurrency: int
    connections: int
    consumes: bool
    offset: int
    warmup: float
    duration: float


@dataclasses.dataclass
class _Progress:
    next: int = 0  # reusable pools: the index of the next call, modulo the pool
    taken: int = 0  # consumable pools: calls handed out so far
    done: int = 0  # calls answered, OK or not
    exhausted_at: float | None = None


async def _drive(job: _Job, start: multiprocessing.synchronize.Barrier) -> dict[str, Any]:
    options = [
        # Separate connections, not one shared subchannel: the kernel spreads
        # connections (not calls) over the server's worker processes.
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ]
    channels = [
        grpc.aio.insecure_channel(job.address, options=options) for _ in range(job.connections)
    ]
    try:
        await asyncio.gather(*(ch.channel_ready() for ch in channels))
        methods = [ch.unary_unary(job.method) for ch in channels]  # raw bytes in and out
        calls = job.calls
        total = len(calls)
        latencies = array.array("d")
        starts = array.array("d")
        errors: dict[str, int] = {}
        samples: list[str] = []
        shed = [0]
        state = _Progress(next=job.offset)
        # Consumable pools: warm-up ends at the time limit or once a tenth of
        # the pool is spent, whichever is first, so small pools still measure.
        warm_count = max(1, total // 10) if job.consumes else None
        await asyncio.get_running_loop().run_in_executor(None, start.wait)
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        bounds = {"warm_end": t0 + job.warmup, "end": t0 + job.warmup + job.duration}

        def take() -> Call | None:
            if job.consumes:
                if state.taken >= total:
                    return None
                if state.taken == warm_count:
                    bounds["warm_end"] = min(bounds["warm_end"], time.perf_counter())
                state.taken += 1
                return calls[state.taken - 1]
            call = calls[state.next % total]
            state.next += 1
            return call

        async def slot(index: int) -> None:
            method = methods[index % len(methods)]
            while True:
                if time.perf_counter() >= bounds["end"]:
                    return
                call = take()
                began = time.perf_counter()
                if call is None:
                    if state.exhausted_at is None:
                        state.exhausted_at = began
                    return
                while True:
                    try:
                        await method(
                            call.body, metadata=call.metadata, timeout=CALL_TIMEOUT_SECONDS
                        )
                        failed = None
                    except grpc.aio.AioRpcError as exc:
                        failed = exc
                        delay = _backpressure_delay(exc)
                        if delay is not None:
                            shed[0] += 1
                            if time.perf_counter() + delay >= bounds["end"]:
                                return  # the window closes before the retry would
                            await asyncio.sleep(delay)
                            continue
                    break
                finished = time.perf_counter()
                state.done += 1
                if failed is not None:
                    # Every error counts, in or out of the window: a run with
                    # errors is reported as such whatever its timing.
                    code = failed.code().name
                    errors[code] = errors.get(code, 0) + 1
                    if len(samples) < ERROR_SAMPLES:
                        samples.append(f"{code}: {(failed.details() or '')[:200]}")
                else:
                    latencies.append((finished - began) * 1000.0)
                    starts.append(began)

        await asyncio.gather(*(slot(i) for i in range(job.concurrency)))
        cpu = time.process_time() - cpu0
        end = bounds["end"]
        if state.exhausted_at is not None:
            # The pool ran dry: the window closes when the last calls answered.
            end = min(end, time.perf_counter())
        # Only calls that started after warm-up and finished inside the window.
        inside = array.array(
            "d",
            (
                ms
                for ms, began in zip(latencies, starts, strict=True)
                if began >= bounds["warm_end"] and began + ms / 1000.0 <= end
            ),
        )
        window = end - bounds["warm_end"]
        return {
            "ok": len(inside),
            "total": state.done,
            "errors": errors,
            "shed": shed[0],
            "error_samples": samples,
            "latencies": inside.tobytes(),
            "window": window,
            "cpu": cpu,
            "exhausted": state.exhausted_at is not None,
        }
    finally:
        await asyncio.gather(*(ch.close() for ch in channels))


def _client_main(
    job: _Job,
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.Queue,  # type: ignore[type-arg,unused-ignore]
    tag: tuple[str, int],
) -> None:
    try:
        outcome = asyncio.run(_drive(job, start))
        results.put((tag, "ok", outcome))
    except BaseException as exc:
        start.abort()
        results.put((tag, "error", repr(exc)))


class LoadError(RuntimeError):
    """A client process failed (not an RPC error: those are counted)."""


def run(
    address: str,
    streams: Sequence[Stream],
    *,
    duration: float,
    warmup: float,
    connections: int,
) -> dict[str, StreamResult]:
    """Drives every stream at once against `address`; returns one result per stream."""
    context = multiprocessing.get_context("spawn")
    jobs: list[tuple[tuple[str, int], _Job]] = []
    for stream in streams:
        clients = max(1, min(stream.clients, stream.concurrency))
        for index in range(clients):
            share = stream.concurrency // clients + (index < stream.concurrency % clients)
            calls: Sequence[Call] = stream.calls
            if stream.consumes:
                calls = list(stream.calls[index::clients])
            jobs.append(
                (
                    (stream.name, index),
                    _Job(
                        address=address,
                        method=stream.method,
                        calls=calls,
                        concurrency=share,
                        connections=max(1, min(connections, share)),
                        consumes=stream.consumes,
                        offset=index * 7919,
                        warmup=warmup,
                        duration=duration,
                    ),
                )
            )
    start = context.Barrier(len(jobs))
    results = context.Queue()
    processes = [
        context.Process(target=_client_main, args=(job, start, results, tag), daemon=True)
        for tag, job in jobs
    ]
    for process in processes:
        process.start()
    merged = {stream.name: StreamResult(stream.name) for stream in streams}
    failures: list[str] = []
    deadline = time.monotonic() + warmup + duration + 120
    try:
        pending = len(processes)
        while pending:
            try:
                tag, kind, payload = results.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead or time.monotonic() > deadline:
                    raise LoadError(
                        f"{len(dead)} load-generator process(es) died without a report"
                        if dead
                        else "a load-generator process did not report in time"
                    ) from None
                continue
            pending -= 1
            if kind == "ok":
                merged[tag[0]].merge(payload)
            else:
                failures.append(f"{tag}: {payload}")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    if failures:
        raise LoadError("load-generator process failed: " + "; ".join(failures))
    return merged
