"""Password hashing is bounded per process so logins cannot starve other calls."""

from __future__ import annotations

import datetime as dt
import os
import threading

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aspel.licensing.server.domain.credentials import HASHING_NICENESS, HashingGate
from aspel.licensing.server.errors import ServerBusy
from aspel.licensing.server.transport.interceptors import status_of


def test_one_caller_too_many_is_told_the_server_is_busy() -> None:
    gate = HashingGate(concurrency=1, max_waiting=1)
    running, release = threading.Event(), threading.Event()
    waiter_in = threading.Event()

    def hold() -> None:
        with gate.slot():
            running.set()
            release.wait(10)

    def wait_for_slot() -> None:
        waiter_in.set()
        with gate.slot():
            pass

    holder = threading.Thread(target=hold)
    holder.start()
    running.wait(10)
    waiter = threading.Thread(target=wait_for_slot)
    waiter.start()
    waiter_in.wait(10)
    for _ in range(10_000):  # the waiter is queued for the slot (bounded: never hangs)
        if gate._waiting:
            break
        threading.Event().wait(0.001)
    assert gate._waiting == 1

    with pytest.raises(ServerBusy), gate.slot():
        pass

    release.set()
    holder.join(10)
    waiter.join(10)
    with gate.slot():  # free again once the others are done
        pass


def test_server_busy_is_unavailable_with_retry_info() -> None:
    status = status_of(ServerBusy(retry_delay=dt.timedelta(seconds=1)))
    assert status.code == grpc.StatusCode.UNAVAILABLE

    class Call:
        def code(self) -> grpc.StatusCode:
            return status.code

        def details(self) -> str:
            return status.details

        def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
            return status.trailing_metadata

    decoded = rpc_status.from_call(Call())  # type: ignore[arg-type]
    assert decoded is not None
    infos = [d for d in decoded.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)]
    retries = [d for d in decoded.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
    info = error_details_pb2.ErrorInfo()
    infos[0].Unpack(info)
    retry = error_details_pb2.RetryInfo()
    retries[0].Unpack(retry)
    assert info.reason == "SERVER_BUSY"
    assert retry.retry_delay.seconds == 1


@pytest.mark.parametrize(
    "threads,concurrency,max_waiting",
    [(16, 2, 4), (8, 2, 2), (4, 2, 0), (2, 1, 0), (1, 1, 0)],
)
def test_the_gate_holds_at_most_half_of_the_rpc_threads(
    threads: int, concurrency: int, max_waiting: int
) -> None:
    gate = HashingGate(concurrency=2, max_waiting=4, threads=threads)
    assert (gate.concurrency, gate.max_waiting) == (concurrency, max_waiting)


def test_a_gate_without_waiting_room_still_runs_its_hashes() -> None:
    gate = HashingGate(concurrency=2, max_waiting=0)
    with gate.slot(), gate.slot(), pytest.raises(ServerBusy), gate.slot():
        pass
    with gate.slot():
        pass


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no thread priorities here")
def test_hashes_run_on_threads_of_lower_priority_than_the_caller() -> None:
    """argon2 fills a core per hash: it runs at a higher niceness, so under a
    login storm the scheduler serves the RPC threads (installers) first."""
    gate = HashingGate(concurrency=1, max_waiting=0)
    caller = threading.get_native_id()

    def niceness_of_this_thread() -> tuple[int, int]:
        return threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    hasher, niceness = gate.run(niceness_of_this_thread)
    assert hasher != caller
    assert niceness == min(19, os.getpriority(os.PRIO_PROCESS, caller) + HASHING_NICENESS)


def test_a_failing_hash_fails_its_caller_and_frees_its_slot() -> None:
    gate = HashingGate(concurrency=1, max_waiting=0)

    def broken() -> None:
        raise ValueError("argon2 said no")

    with pytest.raises(ValueError, match="argon2 said no"):
        gate.run(broken)
    assert gate.run(lambda: 42) == 42
