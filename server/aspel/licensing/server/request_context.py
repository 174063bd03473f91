"""What one RPC knows about itself while it runs: its request id, the client's
address and who called. Set by transport/observability.py for the duration of
each RPC (one RPC runs on one thread, so a ContextVar is its own), read by the
request log, by the error interceptor (RequestInfo) and by store/audit.py, so
every audit event records the request id without each domain call passing it.
No grpc here: the store may import it."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    #: The client's address, grpc style ("ipv4:203.0.113.7:0"), after trusted proxies.
    peer: str
    #: The account public id or service key name, once the call is authenticated.
    actor: str | None = None
    #: The ErrorInfo reason of a failed call (the error interceptor sets it).
    reason: str | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "aspel_licensing_request", default=None
)


def current() -> RequestContext | None:
    return _current.get()


def begin(context: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def end(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def set_actor(actor: str) -> None:
    context = _current.get()
    if context is not None:
        context.actor = actor


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context is not None else None
