"""Wires store, domain and transport into one gRPC server."""

from __future__ import annotations

import logging
import pathlib
import signal
import threading
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from aspel.licensing.v1 import (
    admin_service_pb2,
    admin_service_pb2_grpc,
    licensing_service_pb2,
    licensing_service_pb2_grpc,
)
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from .domain.admin import AdminServices, build_admin_services
from .domain.auth import AuthService
from .domain.clock import BusinessCalendar, Clock, SystemClock
from .domain.credentials import PasswordHasher
from .domain.portal import PortalService
from .settings import Settings
from .store import migrate
from .store.database import Store
from .transport.admin_servicer import AdminServicer
from .transport.error_interceptor import ErrorInterceptor
from .transport.licensing_servicer import LicensingServicer

log = logging.getLogger(__name__)


class SchemaNotCurrent(RuntimeError):
    """The database needs `aspel-licensing-server migrate` first."""


class ConnectionInterceptor(grpc.ServerInterceptor):
    """One database connection for the whole of each RPC."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        store = self.store

        def with_connection(request: Any, context: grpc.ServicerContext) -> Any:
            with store.connection():
                return inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            with_connection,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


@dataclass
class Services:
    """The domain services of one server, exposed for tests and tools."""

    store: Store
    calendar: BusinessCalendar
    auth: AuthService
    portal: PortalService
    # AdminService (issue 5): accounts, catalog, billing, support, service keys.
    admin: AdminServices


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    store = Store.from_url(settings.database_url)
    missing = migrate.pending(store.database)
    if missing:
        raise SchemaNotCurrent(
            f"database needs migrations {', '.join(missing)}: run `aspel-licensing-server migrate`"
        )
    calendar = BusinessCalendar(clock or SystemClock(), settings.business_timezone)
    hasher = PasswordHasher(settings.argon2)
    return Services(
        store=store,
        calendar=calendar,
        auth=AuthService(store, calendar, hasher),
        portal=PortalService(store, calendar),
        admin=build_admin_services(store, calendar, hasher),
    )


def create_server(
    settings: Settings, clock: Clock | None = None
) -> tuple[grpc.Server, int, Services]:
    """A started-to-be server bound to `settings.listen`; returns it, its port and services."""
    services = build_services(settings, clock)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix="rpc"),
        # Errors outermost, so a failure to connect is also answered properly.
        interceptors=[ErrorInterceptor(), ConnectionInterceptor(services.store)],
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
    )
    licensing_service_pb2_grpc.add_LicensingServiceServicer_to_server(
        LicensingServicer(services.auth, services.portal), server
    )
    service_names = [
        licensing_service_pb2.DESCRIPTOR.services_by_name["LicensingService"].full_name
    ]
    # AdminService (issue 5).
    admin = services.admin
    admin_service_pb2_grpc.add_AdminServiceServicer_to_server(
        AdminServicer(admin.keys, admin.accounts, admin.catalog, admin.billing, admin.support),
        server,
    )
    service_names.append(admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ["", *service_names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    if settings.reflection:
        reflection.enable_server_reflection(
            [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
        )
    credentials = server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(settings.listen)
    else:
        port = server.add_secure_port(settings.listen, credentials)
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
    return server, port, services


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS when a certificate is configured; mutual TLS (client certificates
    required and checked against the CA) when a client CA is configured too.
    Service keys and session tokens are checked either way."""
    if not (settings.tls_cert_file or settings.tls_key_file or settings.tls_client_ca_file):
        return None
    if not (settings.tls_cert_file and settings.tls_key_file):
        raise ValueError("TLS needs both tls_cert_file and tls_key_file")
    key = pathlib.Path(settings.tls_key_file).read_bytes()
    chain = pathlib.Path(settings.tls_cert_file).read_bytes()
    client_ca = (
        pathlib.Path(settings.tls_client_ca_file).read_bytes()
        if settings.tls_client_ca_file
        else None
    )
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )


def serve(settings: Settings) -> None:
    """Serves until SIGTERM or SIGINT, then drains in-flight calls and returns."""
    server, port, services = create_server(settings)
    server.start()
    host = settings.listen.rsplit(":", 1)[0]
    log.info("aspel-licensing listening on %s:%d", host, port)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: draining in-flight calls", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    server.stop(settings.shutdown_grace_seconds).wait()
    services.store.close()
    log.info("stopped")
