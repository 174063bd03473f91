"""Initial metadata sent with the answer, not in a batch of its own.

Every call answers its `x-request-id` in the initial metadata (README,
"Request ids"). `ServicerContext.send_initial_metadata` makes that a gRPC
batch of its own: one more C-core operation, completion and HEADERS frame
per call, about 0.08 ms of the 0.8 ms of server CPU a ValidateLicense takes
when calls come one at a time (bench/README.md finding 18). Yet grpc's sync
server already sends initial metadata in the answer's own batch, the one that
carries the response and the status (or the first streamed message, or the
abort): each of those asks `_get_initial_metadata(state, None)` what to send,
and unless compression is set it sends nothing.

`install()` makes that function answer the metadata a handler left on the
call's state with `send_with_answer`, so the headers travel with the answer
at no cost of their own. It is grpc's private code, so `install` first checks
that it is shaped as in the pinned grpcio (constraints.txt) and otherwise
leaves grpc alone: `send_with_answer` then sends the metadata as before, through
the public call. Tests pin the header on every kind of answer, both ways
(tests/transport/test_answer_metadata.py).

What changes for a client: the headers arrive with the answer instead of as
the handler starts. A call that ends with no answer from the handler has no
initial metadata now: its deadline passed, the server's shutdown grace ran
out, or the answer broke grpc's send limit (max_message_bytes; a bug of ours).
Its request id is still in the server's log line (README, "Request ids").
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import grpc
from grpc import _server as grpc_server  # private: see above

MetadataType = tuple[tuple[str, str | bytes], ...]

#: Where a call's deferred metadata waits on grpc's per-call `_RPCState`.
_PENDING = "aspel_answer_metadata"

_lock = threading.Lock()
_installed = False


def _shaped_as_expected() -> bool:
    """grpc's internals as this module relies on them (grpcio 1.85): the
    function, its parameters, the answer batches' one way to it (the
    operation builder calls it through the module), and the state's flag."""
    original = getattr(grpc_server, "_get_initial_metadata", None)
    builder = getattr(grpc_server, "_get_initial_metadata_operation", None)
    state_class = getattr(grpc_server, "_RPCState", None)
    if not callable(original) or not callable(builder) or state_class is None:
        return False
    try:
        parameters = list(inspect.signature(original).parameters)
        state = state_class()
        names = builder.__code__.co_names
    except (AttributeError, TypeError, ValueError):
        return False
    return (
        parameters == ["state", "metadata"]
        and "_get_initial_metadata" in names
        and hasattr(state, "initial_metadata_allowed")
    )


def install() -> bool:
    """Answers deferred metadata with every answer of this process's servers;
    False (and grpc untouched) when its internals are not as expected."""
    global _installed
    with _lock:
        if _installed:
            return True
        if not _shaped_as_expected():
            return False
        original: Callable[[Any, Any], Any] = grpc_server._get_initial_metadata

        def with_pending(state: Any, metadata: Any) -> Any:
            pending = getattr(state, _PENDING, None)
            if pending is not None:
                # Also when a handler sends metadata of its own after all.
                metadata = pending + tuple(metadata or ())
            return original(state, metadata)

        grpc_server._get_initial_metadata = with_pending
        _installed = True
        return True


def send_with_answer(context: grpc.ServicerContext, metadata: MetadataType) -> None:
    """Sends `metadata` as the call's initial metadata, with its answer when
    `install()` took effect (else now, in a batch of its own)."""
    state = getattr(context, "_state", None)
    if _installed and state is not None and state.initial_metadata_allowed:
        setattr(state, _PENDING, metadata)
    else:
        context.send_initial_metadata(metadata)
