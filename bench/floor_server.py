"""The floor: the least a ValidateLicense can do and still be one.

The echo server's process model (echo_server.py: `--workers N` forked
processes on one port, each a `grpc.server` on the thread pool of the default
settings, as the echo server's: `--server-env` reaches the real server only)
answering `/aspel.licensing.v1.ActivationService/ValidateLicense` with only
what no implementation can skip: the request decoded (protobuf's upb), its
serial normalized, and the server's own validation query (store/activations.py
`_FOR_VALIDATION`, the same SQL text) run on a connection kept per thread
through the bare driver (sqlite3, psycopg), with the server's SQLite pragmas.
The answer is canned bytes of the real answer's size, as the echo server's.
A request whose serial or activation the query does not find is answered
NOT_FOUND, so a floor that measured lookups of nothing would show errors.

No layers (errors, metrics, logs, request ids), no domain (states, licence
reuse, the validation's record), no response built. The ratio of the real
server to it says how much of the distance to the echo server is this
repository's own work per call, and how much a call that reads the database
costs at all (bench/README.md, finding 21).

    python -m bench.floor_server --listen 127.0.0.1:0 --workers 2 \\
        --database sqlite:///var/bench/work/x.db --response-bytes 277
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import threading
import urllib.parse
from typing import Any

import grpc

from aspel.licensing.server.domain.serials import normalize
from aspel.licensing.server.settings import Settings
from aspel.licensing.server.store.activations import VALIDATION_SQL
from aspel.licensing.server.store.database import POSTGRES_SCHEMES, SQLITE_PRAGMAS
from aspel.licensing.v1 import activation_service_pb2

from .echo_server import serve_workers

SERVICE = "aspel.licensing.v1.ActivationService"
#: The column of VALIDATION_SQL's row that holds the activation's id.
_ACTIVATION_ID = 10


def _sqlite_connection(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for name, value in SQLITE_PRAGMAS.items():
        connection.execute(f"PRAGMA {name} = {value}")
    return connection


#: The server's own options of a PostgreSQL URL (its pool's), which libpq does not know.
_POOL_OPTIONS = frozenset({"max_connections", "stale_timeout", "timeout"})


def _libpq_url(url: str) -> str:
    """`postgres[ql][+pool]://...?max_connections=32&sslmode=...` as libpq takes
    it: the plain scheme, the pool's options left out, every other kept."""
    parsed = urllib.parse.urlsplit(url)
    kept = [
        (name, value)
        for name, value in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        if name not in _POOL_OPTIONS
    ]
    return urllib.parse.urlunsplit(
        parsed._replace(scheme="postgresql", query=urllib.parse.urlencode(kept))
    )


class Database:
    """Connections as the real server holds them: one kept per RPC thread
    (opened at its first call, after the fork) for SQLite and for a pooled
    PostgreSQL URL; a new one per call for a plain PostgreSQL URL, as the
    server without a pool opens one per RPC."""

    def __init__(self, url: str) -> None:
        self._local = threading.local()
        self._kept = True
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme == "sqlite":
            self._sql = VALIDATION_SQL
            path = url.removeprefix("sqlite:///").split("?", 1)[0]
            self._connect: Any = lambda: _sqlite_connection(path)
        elif scheme in POSTGRES_SCHEMES:
            import psycopg

            self._sql = VALIDATION_SQL.replace("?", "%s")
            libpq = _libpq_url(url)
            # autocommit: one statement and no transaction around it, as the
            # real server's reads.
            self._connect = lambda: psycopg.connect(libpq, autocommit=True)
            self._kept = scheme.endswith("+pool")
        else:
            raise ValueError(f"unsupported database URL: {url}")

    def validation_row(self, *arguments: str) -> Any:
        if not self._kept:
            with self._connect() as connection:
                return connection.execute(self._sql, arguments).fetchone()
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection.execute(self._sql, arguments).fetchone()


class FloorHandler(grpc.GenericRpcHandler):
    def __init__(self, database_url: str, response_bytes: int) -> None:
        self._database = Database(database_url)
        payload = b"\x2a" * response_bytes
        decode = activation_service_pb2.ValidateLicenseRequest.FromString

        def validate(raw: bytes, context: grpc.ServicerContext) -> bytes:
            request = decode(raw)
            serial = normalize(request.serial_number) or ""
            row = self._database.validation_row(
                request.activation_id, request.machine_fingerprint, serial
            )
            # No serial, or no such activation of it on that machine (the
            # LEFT JOIN's columns, from the activation's id on, are NULL).
            if row is None or row[_ACTIVATION_ID] is None:
                context.abort(grpc.StatusCode.NOT_FOUND, "no such serial or activation")
            return payload

        # No (de)serializers: the request is decoded above, the answer is bytes.
        self._handler = grpc.unary_unary_rpc_method_handler(validate)

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        if handler_call_details.method == f"/{SERVICE}/ValidateLicense":
            return self._handler
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_server", description=__doc__)
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--response-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    return serve_workers(
        args.listen,
        args.workers,
        Settings.from_env(),
        lambda: FloorHandler(args.database, args.response_bytes),
    )


if __name__ == "__main__":
    sys.exit(main())
