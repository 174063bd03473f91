"""One interceptor, outermost, for what operators see of every RPC: its
request id, the client's address behind trusted proxies, the metrics and one
request log line.

The request id comes from the caller's `x-request-id` metadata when it is a
sane one (printable ASCII, at most 128 characters), else it is a new uuid4.
It goes back in the initial metadata of the answer, in the error's
RequestInfo (the error interceptor adds it), in the log line and in every
audit event the call writes (store/audit.py reads request_context).

The log line holds the method, the status code, the ErrorInfo reason, the
duration, the client's address, the actor (account public id or service key
name, never a token) and the request id: never a request field, which may be
a password or a token.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from random import getrandbits
from typing import Any

import grpc

from .. import request_context
from ..metrics import ServerMetrics
from ..request_context import RequestContext
from ..store.database import Store
from .answer_metadata import send_with_answer
from .interceptors import Behavior, WrappingInterceptor, _Kind, kind_of, rewrap
from .peers import ClientAddress

log = logging.getLogger("aspel.licensing.server.requests")

REQUEST_ID_KEY = "x-request-id"
FORWARDED_FOR_KEY = "x-forwarded-for"
MAX_REQUEST_ID = 128
_SANE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")

_TYPES = {
    (False, False): "unary",
    (False, True): "server_stream",
    (True, False): "client_stream",
    (True, True): "bidi_stream",
}


# The version (4) and variant (RFC 4122) bits of a random UUID.
_UUID4_BITS = (0x4000 << 64) | (0x8000 << 48)
_UUID4_MASK = ~((0xF000 << 64) | (0xC000 << 48))


def new_request_id() -> str:
    """A random (version 4) UUID in its usual text form. Not `uuid.uuid4()`:
    that reads the OS's random source and builds a UUID object on every call
    (a few microseconds of every RPC); a request id must be unique, not
    unguessable, and `random` is reseeded in each forked worker."""
    digits = f"{getrandbits(128) & _UUID4_MASK | _UUID4_BITS:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def request_id_of(metadata: Any) -> str:
    """The caller's x-request-id when it is printable and bounded, else a new one."""
    for key, value in metadata or ():
        if key == REQUEST_ID_KEY and isinstance(value, str) and _SANE_REQUEST_ID.fullmatch(value):
            return value
    return new_request_id()


def _split(method: str) -> tuple[str, str]:
    """ "/aspel.licensing.v1.LicensingService/Authenticate" -> (service, method)."""
    service, _, name = method.lstrip("/").rpartition("/")
    return service or "unknown", name or method


class ObservabilityInterceptor(WrappingInterceptor):
    def __init__(
        self,
        metrics: ServerMetrics | None = None,
        client_address: ClientAddress | None = None,
        store: Store | None = None,
    ) -> None:
        self.metrics = metrics
        self.client_address = client_address or ClientAddress()
        #: The store whose connections the metrics report after each call.
        self.store = store

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        kind, inner = kind_of(handler)
        service, name = _split(method)
        call = _Call(self, kind, service, name)
        return rewrap(handler, call.unary(inner), call.stream(inner))


class _Call:
    """The bookkeeping of one method's calls (shared by its concurrent calls:
    the state of one call lives in its RequestContext).

    Built once per method, so what does not change from call to call is
    resolved here: the metrics' label children (prometheus' `labels()` takes
    a lock and builds a key on every use) and the parts of the log line."""

    def __init__(self, owner: ObservabilityInterceptor, kind: _Kind, service: str, name: str):
        self.client_address = owner.client_address
        self.store = owner.store
        self.service = service
        self.name = name
        self.type = _TYPES[(kind.request_streaming, kind.response_streaming)]
        self.metrics = owner.metrics
        # At the first call (a method never called has no series, as before).
        self._started: Any = None
        self._in_flight: Any = None
        self._handling: Any = None
        # By status code and by reason: a few of each, filled as they occur.
        self._handled: dict[str, Any] = {}
        self._errors: dict[str, Any] = {}

    def _begin(self, context: grpc.ServicerContext) -> tuple[RequestContext, Any, float]:
        metadata = context.invocation_metadata()
        # x-forwarded-for counts only behind trusted proxies: else not even read.
        forwarded = (
            [v for k, v in metadata or () if k == FORWARDED_FOR_KEY and isinstance(v, str)]
            if self.client_address.trusted
            else ()
        )
        current = RequestContext(
            request_id=request_id_of(metadata),
            peer=self.client_address.resolve(context.peer(), forwarded),
        )
        token = request_context.begin(current)
        # Every answer carries it, an error too: with the answer's own batch
        # (answer_metadata.py), not in one of its own.
        send_with_answer(context, ((REQUEST_ID_KEY, current.request_id),))
        if self.metrics is not None:
            if self._started is None:
                labels = (self.type, self.service, self.name)
                self._handling = self.metrics.handling.labels(*labels)
                self._in_flight = self.metrics.in_flight.labels(self.service)
                self._started = self.metrics.started.labels(*labels)
            self._started.inc()
            self._in_flight.inc()
        return current, token, time.perf_counter()

    def _count(self, code: str, reason: str | None, elapsed: float) -> None:
        metrics = self.metrics
        assert metrics is not None
        self._in_flight.dec()
        handled = self._handled.get(code)
        if handled is None:
            handled = self._handled[code] = metrics.handled.labels(
                self.type, self.service, self.name, code
            )
        handled.inc()
        self._handling.observe(elapsed)
        if reason is not None:
            errors = self._errors.get(reason)
            if errors is None:
                errors = self._errors[reason] = metrics.errors.labels(
                    self.service, self.name, reason
                )
            errors.inc()
        if self.store is not None:
            metrics.observe_connections(self.store.connections())

    def _end(
        self, context: grpc.ServicerContext, current: RequestContext, token: Any, started: float
    ) -> None:
        elapsed = time.perf_counter() - started
        code = _code_name(context)
        if self.metrics is not None:
            self._count(code, current.reason, elapsed)
        if log.isEnabledFor(logging.INFO):
            # Only when the line is written: the fields and the formatting
            # are most of the cost of logging.
            fields = {
                "request_id": current.request_id,
                "grpc_service": self.service,
                "grpc_method": self.name,
                "grpc_code": code,
                "reason": current.reason,
                "duration_ms": round(elapsed * 1000, 3),
                "peer": current.peer,
                "actor": current.actor,
            }
            log.info(
                "rpc %s/%s %s%s %.1fms peer=%s actor=%s request_id=%s",
                self.service,
                self.name,
                code,
                f" {current.reason}" if current.reason else "",
                elapsed * 1000,
                current.peer,
                current.actor or "-",
                current.request_id,
                extra=fields,
            )
        request_context.end(token)

    def unary(self, inner: Behavior) -> Behavior:
        def observed(request: Any, context: grpc.ServicerContext) -> Any:
            current, token, started = self._begin(context)
            try:
                return inner(request, context)
            finally:
                self._end(context, current, token, started)

        return observed

    def stream(self, inner: Behavior) -> Behavior:
        def observed(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            current, token, started = self._begin(context)
            try:
                yield from inner(request, context)
            finally:
                self._end(context, current, token, started)

        return observed


def _code_name(context: grpc.ServicerContext) -> str:
    """The status the call ends with: the one abort set, else OK."""
    code = context.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    try:
        return grpc.StatusCode(code).name
    except ValueError:
        return str(code)
