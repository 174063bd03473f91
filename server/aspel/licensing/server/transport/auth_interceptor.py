"""Who may call AdminService: one scope table, read by one interceptor.

Every AdminService method is named in `SCOPES` with the scopes that admit it
(any one will do), the same ones its comment in admin_service.proto lists.
`ScopeInterceptor` resolves the service key (`authorization: Bearer <key>`),
checks the scope before the servicer (or its validation) runs, and hands the
`Actor` to the method through a context variable read with `current_actor()`.

A context variable rather than an attribute on the grpc context: grpc's
`ServicerContext` is not ours to extend (its type says nothing of an actor,
and mypy would not see one), while a `ContextVar` is typed, set and reset
around exactly one call in the thread that runs it, and readable by the
servicer without any grpc type. A method without an entry is refused as
INTERNAL before it runs: the table, not the servicer, is what admits callers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import grpc

from aspel.licensing.v1 import admin_service_pb2

from .. import request_context
from ..domain.service_keys import Actor, ServiceKeyService, require_scope
from .interceptors import WrappingInterceptor, kind_of, rewrap
from .peers import client_peer
from .validation import bearer_token

BILLING, CATALOG, SUPPORT = "billing", "catalog", "support"

#: The scopes that admit each AdminService method (any one of them will do).
SCOPES: Mapping[str, tuple[str, ...]] = {
    "CreateAccount": (BILLING,),
    "GetAccount": (SUPPORT, BILLING),
    "UpdateAccount": (SUPPORT,),
    "DisableAccount": (SUPPORT,),
    "PublishRelease": (CATALOG,),
    "PublishUpgradeTerms": (CATALOG,),
    "CreateSubscription": (BILLING,),
    "RecordPayment": (BILLING,),
    "SuspendSubscription": (BILLING,),
    "ReinstateSubscription": (BILLING,),
    "ChangeSeats": (BILLING,),
    "LookupSerial": (SUPPORT,),
    "StartPasswordReset": (SUPPORT,),
    "ListAuditEvents": (SUPPORT,),
    "CreateWebhookEndpoint": (BILLING, SUPPORT),
    "ListWebhookEndpoints": (BILLING, SUPPORT),
    "DeleteWebhookEndpoint": (BILLING, SUPPORT),
    "ReleaseActivation": (SUPPORT,),
    "IssueUpgrade": (BILLING,),
    "ImportSubscription": (BILLING,),
    "RedeemOfflineRequest": (SUPPORT,),
}

ADMIN_SERVICE = admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name

_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("admin_actor")


def current_actor() -> Actor:
    """The service key of the AdminService call being served."""
    try:
        return _actor.get()
    except LookupError:
        # Only a servicer wired without ScopeInterceptor gets here.
        raise RuntimeError("AdminService called without ScopeInterceptor") from None


class ScopeInterceptor(WrappingInterceptor):
    """Authenticates every call of `service` and checks its scope in `scopes`."""

    def __init__(
        self,
        keys: ServiceKeyService,
        scopes: Mapping[str, Iterable[str]] = SCOPES,
        service: str = ADMIN_SERVICE,
    ) -> None:
        self.keys = keys
        self.scopes = {method: tuple(accepted) for method, accepted in scopes.items()}
        self.prefix = f"/{service}/"

    def applies(self, method: str) -> bool:
        return method.startswith(self.prefix)

    def wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        accepted = self.scopes.get(method.removeprefix(self.prefix))
        _, inner = kind_of(handler)
        keys = self.keys

        def admitted(context: grpc.ServicerContext) -> contextvars.Token[Actor]:
            if accepted is None:
                raise RuntimeError(f"{method} has no entry in the scope table")
            actor = keys.authenticate(bearer_token(context), client_peer(context))
            request_context.set_actor(actor.key_name)  # for the request log
            require_scope(actor, accepted)
            return _actor.set(actor)

        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            token = admitted(context)
            try:
                return inner(request, context)
            finally:
                _actor.reset(token)

        def stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            token = admitted(context)
            try:
                yield from inner(request, context)
            finally:
                _actor.reset(token)

        return rewrap(handler, unary, stream)
