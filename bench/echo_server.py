"""The ceiling: a bare gRPC server, with the grpcio of the real one and its
process model (`--workers N` forked processes sharing one port through
SO_REUSEPORT, each a `grpc.server` on a thread pool of the same size), that
answers every call at once with a canned response.

The method name says how many bytes to answer: `/aspel.bench.Echo/R1234`
returns 1,234 bytes. The load generator sends the very requests (bytes and
metadata) it sends to the real server, to a method sized like the real
response, so both servers move the same bytes and differ only in the work the
real one does: interceptors, validation, the database, the domain, protobuf.

    python -m bench.echo_server --listen 127.0.0.1:0 --workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from concurrent import futures

import grpc

from aspel.licensing.server.settings import Settings

SERVICE = "aspel.bench.Echo"
PREFIX = f"/{SERVICE}/R"


def method_for(response_bytes: int) -> str:
    """The echo method that answers `response_bytes` bytes."""
    return f"{PREFIX}{response_bytes}"


class EchoHandler(grpc.GenericRpcHandler):
    """Any `/aspel.bench.Echo/R<n>` call: n bytes back, nothing else done."""

    def __init__(self) -> None:
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}
        self._lock = threading.Lock()

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method: str = handler_call_details.method
        handler = self._handlers.get(method)
        if handler is not None or not method.startswith(PREFIX):
            return handler
        try:
            size = int(method[len(PREFIX) :])
        except ValueError:
            return None
        payload = b"\x2a" * size

        def reply(_request: bytes, _context: grpc.ServicerContext) -> bytes:
            return payload

        # No (de)serializers: requests and responses stay raw bytes.
        handler = grpc.unary_unary_rpc_method_handler(reply)
        with self._lock:
            self._handlers[method] = handler
        return handler


HandlerFactory = Callable[[], grpc.GenericRpcHandler]


def _serve(listen: str, settings: Settings, handler: HandlerFactory) -> None:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix="rpc"),
        handlers=[handler()],
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 1),
        ],
    )
    if server.add_insecure_port(listen) == 0:
        raise OSError(f"cannot listen on {listen}")
    server.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    stopping.wait()
    server.stop(1).wait()


def serve_workers(
    listen: str, workers: int, settings: Settings, handler: HandlerFactory = EchoHandler
) -> int:
    """Forks `workers` servers on one port before any gRPC object exists, as
    `aspel-licensing-server serve --workers N` does; prints the port. Each
    server calls `handler()` once it runs (after the fork) for its handler."""
    host, _, port = listen.rpartition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, int(port)))
    address = f"{host}:{sock.getsockname()[1]}"
    print(address, flush=True)
    children: list[int] = []
    try:
        if workers <= 1:
            sock.close()
            _serve(address, settings, handler)
            return 0
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    _serve(address, settings, handler)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            children.append(pid)
    finally:
        sock.close()

    def forward(_signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        _, raw = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(raw)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo_server", description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    # The same thread pool and concurrency limit as the real server.
    return serve_workers(args.listen, args.workers, Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())
