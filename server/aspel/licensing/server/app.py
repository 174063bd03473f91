"""Wires store, domain and transport into one gRPC server."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import datetime as dt
import errno
import gc
import hashlib
import logging
import os
import pathlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from aspel.licensing.v1 import (
    activation_service_pb2,
    activation_service_pb2_grpc,
    admin_service_pb2,
    admin_service_pb2_grpc,
    licensing_service_pb2,
    licensing_service_pb2_grpc,
)

from .domain.activation import ActivationPolicy, ActivationService
from .domain.admin import AdminServices, build_admin_services
from .domain.auth import AuthService
from .domain.clock import BusinessCalendar, Clock, SystemClock
from .domain.credentials import HashingGate, PasswordHasher
from .domain.installations import InstallationService
from .domain.licence_policy import GracePolicy
from .domain.machine_match import MatchPolicy
from .domain.offline import OfflineActivationService, OfflinePolicy
from .domain.password_reset import PasswordResetService
from .domain.portal import PortalService
from .domain.signing import KeyRingSource
from .domain.validation_records import ValidationRecorder
from .health import DatabaseHealth
from .mail.worker import MailerThread, build_worker
from .metrics import ServerMetrics
from .reclaim import reclaim_thread
from .reminders import build_reminders, reminders_thread
from .settings import Settings, seat_policy
from .signals import stop_on_signals
from .store import migrate
from .store.database import Store
from .transport import answer_metadata
from .transport.activation_servicer import ActivationServicer
from .transport.admin_servicer import AdminServicer
from .transport.auth_interceptor import ScopeInterceptor
from .transport.convert import encode_certificate
from .transport.interceptors import ConnectionInterceptor, ErrorInterceptor, Layers
from .transport.licensing_servicer import LicensingServicer
from .transport.observability import ObservabilityInterceptor
from .transport.pagination import KEY_BYTES, KEY_SECRET_NAME, PageTokens
from .transport.peers import ClientAddress, parse_networks
from .transport.reflection import reflection_pool

log = logging.getLogger(__name__)


class SchemaNotCurrent(RuntimeError):
    """The database needs `aspel-licensing-server migrate` first."""


@dataclass
class Services:
    """The domain services of one server, exposed for tests and tools."""

    store: Store
    calendar: BusinessCalendar
    auth: AuthService
    portal: PortalService
    password_reset: PasswordResetService
    activation: ActivationService
    # RedeemOfflineRequest of both LicensingService and AdminService.
    offline: OfflineActivationService
    # AdminService: accounts, catalog, billing, support, service keys.
    admin: AdminServices
    # Page tokens of every list, with the deployment's key (read once per process).
    page_tokens: PageTokens
    #: The health reporters of the servers built on these services (public,
    #: internal), so a shutdown turns them all NOT_SERVING.
    health: list[DatabaseHealth] = field(default_factory=list)


def build_services(
    settings: Settings,
    clock: Clock | None = None,
    metrics: ServerMetrics | None = None,
    *,
    store: Store | None = None,
) -> Services:
    """The domain services over `store` (by default the one `settings` names;
    tests of the rules pass a migrated in-memory one, tests/domain/conftest.py)."""
    store = store or Store.from_url(settings.database_url)
    missing = migrate.pending(store.database)
    if missing:
        raise SchemaNotCurrent(
            f"database needs migrations {', '.join(missing)}: run `aspel-licensing-server migrate`"
        )
    calendar = BusinessCalendar(clock or SystemClock(), settings.business_timezone)
    page_token_key = store.secret(KEY_SECRET_NAME, KEY_BYTES, calendar.clock.now())
    hasher = PasswordHasher(
        settings.argon2,
        HashingGate(
            settings.max_concurrent_hashes or None,
            settings.max_waiting_hashes if settings.max_waiting_hashes >= 0 else None,
            listener=metrics.observe_gate if metrics is not None else None,
            # Logins in the gate may hold at most half of the RPC threads.
            threads=settings.max_workers,
        ),
    )
    resets = PasswordResetService(store, calendar, hasher)
    policy = activation_policy(settings)
    installations = InstallationService(store, calendar, policy.seat_policy)
    activation = ActivationService(
        store,
        calendar,
        KeyRingSource(
            pathlib.Path(settings.signing_key_file),
            clock=lambda: calendar.clock.now().timestamp(),
        ),
        encode_certificate,
        policy,
        ValidationRecorder(store, settings.validation_flush_seconds),
    )
    return Services(
        store=store,
        calendar=calendar,
        auth=AuthService(store, calendar, hasher),
        portal=PortalService(store, calendar, settings.purchase_url),
        password_reset=resets,
        activation=activation,
        offline=OfflineActivationService(
            activation,
            OfflinePolicy(
                max_request_age=dt.timedelta(days=settings.offline_request_max_age_days),
                perpetual_validity=dt.timedelta(days=settings.offline_perpetual_validity_days),
            ),
        ),
        admin=build_admin_services(
            store,
            calendar,
            hasher,
            resets,
            installations,
            purchase_url=settings.purchase_url,
            allow_loopback_http_webhooks=settings.webhook_allow_loopback_http,
            match_policy=policy.match,
        ),
        page_tokens=PageTokens(page_token_key),
    )


def activation_policy(settings: Settings) -> ActivationPolicy:
    """The licence and seat rules the settings choose: grace, transfers and
    reclaim, machine matching, receipts."""
    return ActivationPolicy(
        grace=GracePolicy(
            subscription_grace=dt.timedelta(days=settings.subscription_grace_days),
            perpetual_grace=dt.timedelta(days=settings.perpetual_grace_days),
        ),
        seat_policy=seat_policy(settings),
        match=MatchPolicy(min_matching=settings.machine_match_components),
        receipt_window=dt.timedelta(seconds=settings.deactivation_receipt_window_seconds),
        license_reuse=dt.timedelta(seconds=settings.license_reuse_seconds),
    )


def create_server(
    settings: Settings,
    clock: Clock | None = None,
    *,
    reuse_port: bool = False,
    services: Services | None = None,
    metrics: ServerMetrics | None = None,
) -> tuple[grpc.Server, int, Services]:
    """A started-to-be server bound to `settings.listen`; returns it, its port and services.

    Given `services`, the server shares them (and so the store) instead of building its own.
    """
    services = services or build_services(settings, clock, metrics)
    # Every answer's x-request-id goes with the answer (see the module).
    answer_metadata.install()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix="rpc"),
        maximum_concurrent_rpcs=settings.max_concurrent_rpcs,
        options=[
            # The ErrorInterceptor answers a request over max_message_bytes with
            # REQUEST_TOO_LARGE and the limit. Core's own limit, twice as high,
            # stays as the backstop: it refuses (without details) anything
            # larger before Python sees it, bounding what one call can hold.
            ("grpc.max_receive_message_length", _core_receive_limit(settings.max_message_bytes)),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            # Several worker processes share one port only when asked to;
            # otherwise a second server on a busy port must fail loudly.
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
    )
    # Every method handler is wrapped once, here, in these layers (the first
    # outermost), rather than by grpc interceptors on every call.
    layers = Layers(
        [
            # Request ids, the client's address, metrics and the request log:
            # outermost, so they see every answer, errors included.
            ObservabilityInterceptor(
                metrics,
                ClientAddress(parse_networks(settings.trusted_proxies)),
                services.store,
            ),
            # Errors outside the connection, so a failure to connect is also
            # answered properly.
            ErrorInterceptor(max_request_bytes=settings.max_message_bytes),
            ConnectionInterceptor(services.store),
            # Service keys and scopes of AdminService, before any servicer runs.
            ScopeInterceptor(services.admin.keys),
        ]
    )
    registrar = layers.registering(server)
    licensing_service_pb2_grpc.add_LicensingServiceServicer_to_server(
        LicensingServicer(
            services.auth,
            services.portal,
            services.password_reset,
            services.page_tokens,
            services.admin.installations,
            services.offline,
        ),
        registrar,
    )
    service_names = [
        licensing_service_pb2.DESCRIPTOR.services_by_name["LicensingService"].full_name
    ]
    activation_service_pb2_grpc.add_ActivationServiceServicer_to_server(
        ActivationServicer(services.activation, services.page_tokens), registrar
    )
    service_names.append(
        activation_service_pb2.DESCRIPTOR.services_by_name["ActivationService"].full_name
    )
    # AdminService: the API of Aspel's own staff and systems (service keys).
    admin_service_pb2_grpc.add_AdminServiceServicer_to_server(
        AdminServicer(services.admin, services.page_tokens, services.offline), registrar
    )
    service_names.append(admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"].full_name)
    reporter = DatabaseHealth(services.store, service_names, settings.health_check_seconds)
    health_pb2_grpc.add_HealthServicer_to_server(reporter.servicer, registrar)
    if settings.reflection:
        # With the proto comments: `grpcurl describe` documents every RPC.
        reflection.enable_server_reflection(
            [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME],
            registrar,
            pool=reflection_pool(),
        )
    credentials = server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(settings.listen)
    else:
        port = server.add_secure_port(settings.listen, credentials)
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
    # Until the server stops; NOT_SERVING while the database does not answer.
    reporter.watch(server)
    services.health.append(reporter)
    return server, port, services


def _core_receive_limit(max_message_bytes: int) -> int:
    """grpc core's receive limit: past ours, so ours answers first with details."""
    return min(2 * max_message_bytes, 2**31 - 1)


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


def create_internal_server(
    settings: Settings, services: Services, *, reuse_port: bool = False
) -> tuple[grpc.Server, int] | None:
    """The same services on `settings.internal_listen`, always with reflection, for
    support engineers' grpcurl on an internal network; None when it is not set.

    So a public port can run with `reflection` off while the internal one keeps it.
    """
    if not settings.internal_listen:
        return None
    internal_settings = dataclasses.replace(
        settings, listen=settings.internal_listen, reflection=True, internal_listen=""
    )
    server, port, _ = create_server(internal_settings, reuse_port=reuse_port, services=services)
    return server, port


def serve(settings: Settings, *, reuse_port: bool = False) -> None:
    """Serves until SIGTERM or SIGINT, then drains in-flight calls and returns."""
    metrics, registry = _process_metrics(settings)
    server, port, services = create_server(settings, reuse_port=reuse_port, metrics=metrics)
    metrics_http = None
    if registry is not None:
        # One process: it serves its own /metrics (workers: the supervisor does).
        metrics_http = _serve_metrics(settings, registry, services.store, services.activation.keys)
    # Fails now, not at the first activation, when the signing keys are unusable.
    services.activation.keys.current()
    internal = create_internal_server(settings, services, reuse_port=reuse_port)
    # Built before serving, so a bad --smtp-url stops the start, not the first email.
    mailer = new_mailer(settings, services) if settings.mail_worker else None
    reminders = (
        reminders_thread(
            build_reminders(settings, services.store, services.calendar),
            settings.reminders_interval_seconds,
        )
        if settings.reminders
        else None
    )
    reclaimer = (
        reclaim_thread(services.admin.installations, settings.seat_reclaim_interval_seconds)
        if settings.seat_reclaim_interval_seconds > 0
        else None
    )
    # What start-up built lives as long as the process: out of the collector's
    # sight, a collection (every few hundred calls' worth of allocations) no
    # longer walks all of it.
    gc.freeze()
    server.start()
    host = settings.listen.rsplit(":", 1)[0]
    log.info("aspel-licensing listening on %s:%d", host, port)
    if internal is not None:
        internal[0].start()
        internal_host = settings.internal_listen.rsplit(":", 1)[0]
        log.info("internal port (reflection on) listening on %s:%d", internal_host, internal[1])
    stopping = stop_on_signals(log, "draining in-flight calls")
    if mailer is not None:
        mailer.start()
    if reminders is not None:
        reminders.start()
    if reclaimer is not None:
        reclaimer.start()
    # Validations recorded behind the call from now on; written before exit.
    services.activation.recorder.start()
    stopping.wait()
    # First, so load balancers send new calls elsewhere while these drain.
    for reporter in services.health:
        reporter.enter_graceful_shutdown()
    stopped = [server.stop(settings.shutdown_grace_seconds)]
    if internal is not None:
        stopped.append(internal[0].stop(settings.shutdown_grace_seconds))
    for event in stopped:
        event.wait()
    # After the drain: the last calls' validations are in the queue.
    if not services.activation.recorder.stop(settings.shutdown_grace_seconds):
        log.warning("validation records still being written; the last second may be lost")
    for reporter in services.health:
        reporter.stop()
    if reminders is not None and not reminders.stop(settings.shutdown_grace_seconds):
        log.warning("reminders still running; what they did not queue is queued by the next run")
    if reclaimer is not None:
        reclaimer.stop(settings.shutdown_grace_seconds)
    if mailer is not None and not mailer.stop(settings.shutdown_grace_seconds):
        log.warning("mailer still sending; its message is delivered again after restart")
    if metrics_http is not None:
        metrics_http.shutdown()
    services.store.close()
    log.info("stopped")


def _process_metrics(settings: Settings) -> tuple[ServerMetrics | None, Any]:
    """This process's metrics and, unless a supervisor serves them, its registry."""
    if not settings.metrics_listen:
        return None, None
    from prometheus_client import CollectorRegistry

    from .metrics import multiprocess_dir

    if multiprocess_dir():
        return ServerMetrics(None), None
    registry = CollectorRegistry()
    return ServerMetrics(registry), registry


def _serve_metrics(settings: Settings, registry: Any, store: Store, keys: KeyRingSource) -> Any:
    from .metrics import add_scrape_collectors, serve_http

    add_scrape_collectors(registry, store=store, keys=keys, now=SystemClock().now)
    try:
        httpd, port = serve_http(registry, settings.metrics_listen)
    except OSError as exc:
        raise CannotListen(
            f"no se puede servir métricas en {settings.metrics_listen}: {exc.strerror}"
        ) from None
    host = settings.metrics_listen.rsplit(":", 1)[0]
    log.info("metrics served at http://%s:%d/metrics", host, port)
    return httpd


# --- one serve per address, workers that follow their supervisor ---------------


class CannotListen(RuntimeError):
    """`serve` cannot have its address; the message is one line for the operator."""


class AddressInUse(CannotListen):
    """Another process (a server, its workers, or any program) holds the address."""


def _host_port(listen: str) -> tuple[str, int, socket.AddressFamily]:
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    return host, int(port), socket.AF_INET6 if ":" in host else socket.AF_INET


def _probe(listen: str) -> None:
    """Raises AddressInUse when anything listens on the address.

    Bound WITHOUT SO_REUSEPORT, so a listener of ours sharing the port with
    SO_REUSEPORT conflicts as well as anyone else's; WITH SO_REUSEADDR, so the
    TIME_WAIT connections a stopped server leaves behind do not (Linux refuses
    it only beside a listening socket)."""
    host, port, family = _host_port(listen)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AddressInUse(
                    f"{listen} ya está en uso: otro servidor o programa escucha ahí; no se inicia"
                ) from None
            raise CannotListen(f"no se puede escuchar en {listen}: {exc.strerror}") from None


def _address_lock(listen: str) -> socket.socket | None:
    """Closes the race of two `serve` starting at once on one address, which
    would both pass the probe and then share the port through SO_REUSEPORT.

    The lock is an abstract Unix socket named after the address: the kernel
    frees the name when the last process holding it dies, even by SIGKILL, so
    no stale lock survives a crash (a lock file would, or needs flock and a
    directory both servers see: systemd's PrivateTmp hides /tmp). Its namespace
    is the network namespace, the same one ports live in, so containers with
    their own network may each serve the same port. Forked workers inherit it:
    it is held while any process of this serve still serves. (An exclusive
    listening guard on the port itself cannot work: it would refuse the
    workers' own SO_REUSEPORT sockets.) Linux only; elsewhere only the probe
    guards the address."""
    if not sys.platform.startswith("linux"):
        return None
    name = f"aspel-licensing-server {listen}"
    if len(name) > 100:  # abstract names end at 107 bytes; a long host name is hashed
        name = "aspel-licensing-server " + hashlib.sha256(listen.encode()).hexdigest()
    lock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        lock.bind("\0" + name)
    except OSError as exc:
        lock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(
                f"{listen} ya lo atiende otro `aspel-licensing-server serve` "
                "(o está arrancando); no se inicia"
            ) from None
        # A sandbox without Unix sockets must not stop the server: the probe remains.
        log.warning("no start lock for %s (%s): only the probe guards it", listen, exc)
        return None
    return lock


@contextlib.contextmanager
def exclusive_address(listen: str) -> Iterator[None]:
    """Holds `listen` for this process (and the workers it forks) or raises
    AddressInUse. Port 0 needs no guard: the kernel hands out a port that
    nobody holds."""
    if _host_port(listen)[1] == 0:
        yield
        return
    lock = _address_lock(listen)
    try:
        _probe(listen)
        yield
    finally:
        if lock is not None:
            lock.close()


@contextlib.contextmanager
def _reserved_port(listen: str) -> Iterator[tuple[str, int]]:
    """Binds the address with SO_REUSEPORT and holds it while workers start, so
    that port 0 resolves to one port that every worker then shares."""
    host, port, family = _host_port(listen)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        yield listen.rpartition(":")[0], int(sock.getsockname()[1])
    finally:
        sock.close()


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _follow_supervisor(supervisor: int) -> bool:
    """In a worker right after fork: arranges that the worker drains and exits
    (as on SIGTERM) when its supervisor dies, so a SIGKILLed supervisor leaves
    no orphan serving the port beside the next one. False when the supervisor
    is already gone.

    On Linux the kernel sends SIGTERM at once (PR_SET_PDEATHSIG; it fires when
    the forking *thread* ends, and the supervisor forks from its main thread,
    which lives as long as it does). A watchdog thread polling getppid() every
    second is the portable fallback, and covers a prctl that is refused; where
    prctl worked it finds the drain under way, and its SIGTERM only asks again."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # The supervisor may have died before prctl: then no signal ever comes.
    if os.getppid() != supervisor:
        log.warning("supervisor %d is gone before worker %d served", supervisor, os.getpid())
        return False

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(1.0)
        log.warning("supervisor %d is gone", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()
    return True


def serve_workers(settings: Settings, workers: int) -> int:
    """Runs `workers` server processes on one port (SO_REUSEPORT), as in grpc's
    multiprocessing example: forked before any gRPC object exists, since gRPC's
    threads do not survive a fork. SIGTERM is passed on to every worker, each
    drains its calls; a worker whose supervisor dies drains and exits too.
    Returns the first non-zero worker exit status, or 0.

    Raises AddressInUse (a CannotListen), before serving anything, when the
    address or the internal one is already served, by one process, by workers
    (even orphaned ones) or by another program, or is being claimed by another
    `serve` starting at the same moment."""
    with contextlib.ExitStack() as held:
        for address in filter(None, [settings.listen, settings.internal_listen]):
            held.enter_context(exclusive_address(address))
        if workers <= 1:
            serve(settings)
            return 0
        return _supervise(settings, workers)


def _supervise(settings: Settings, workers: int) -> int:
    if not settings.metrics_listen:
        return _supervise_workers(settings, workers)
    from .metrics import multiprocess_metrics

    # Before any fork: every worker writes its metrics in this folder.
    with multiprocess_metrics() as folder:
        log.info("workers keep their metrics in %s", folder)
        return _supervise_workers(settings, workers)


def _supervise_workers(settings: Settings, workers: int) -> int:
    with _reserved_port(settings.listen) as (host, port):
        # The cores are shared by the workers: so is the argon2 budget, or N
        # workers would run N times as many hashes as there are cores.
        hashes = settings.max_concurrent_hashes or max(1, (os.cpu_count() or 1) // workers)
        shared = dataclasses.replace(
            settings, listen=f"{host}:{port}", max_concurrent_hashes=hashes
        )
        supervisor = os.getpid()
        children: list[int] = []
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:  # the worker
                code = 0
                try:
                    if _follow_supervisor(supervisor):
                        serve(shared, reuse_port=True)
                except BaseException:
                    log.exception("worker %d failed", os.getpid())
                    code = 1
                finally:
                    logging.shutdown()
                    os._exit(code)
            children.append(pid)
    log.info("supervisor %d started %d workers on %s:%d", os.getpid(), workers, host, port)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    metrics_http = None
    metrics_store = None
    if settings.metrics_listen:
        # After the forks (threads do not survive one): the workers' sum.
        from prometheus_client import CollectorRegistry

        metrics_store = Store.from_url(settings.database_url)
        metrics_http = _serve_metrics(
            settings,
            CollectorRegistry(),
            metrics_store,
            KeyRingSource(pathlib.Path(settings.signing_key_file)),
        )
    status = 0
    remaining = set(children)
    while remaining:
        child, raw = os.wait()
        if child not in remaining:
            continue
        remaining.discard(child)
        # Its in-flight calls and running hashes are no longer anyone's.
        from .metrics import mark_worker_dead

        mark_worker_dead(child)
        code = os.waitstatus_to_exitcode(raw)
        if code and not status:
            status = code if code > 0 else 128 - code
            forward(signal.SIGTERM, None)  # one worker died: stop the rest
    if metrics_http is not None:
        metrics_http.shutdown()
    if metrics_store is not None:
        metrics_store.close()
    return status


# --- email (mail/) -------------------------------------------------------------


def new_mailer(settings: Settings, services: Services) -> MailerThread:
    """The outbox worker as a thread of this server, not yet started (see mail/worker.py)."""
    worker = build_worker(settings, services.store, services.calendar.clock)
    return MailerThread(worker, settings.mail_poll_seconds)
