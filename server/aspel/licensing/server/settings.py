"""Server settings: flags first, then `ASPEL_LICENSING_*` environment variables,
then these defaults."""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import os
import urllib.parse
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from .domain.credentials import Argon2Parameters
from .domain.products import DEFAULT_PURCHASE_URL
from .domain.seats import SeatPolicy
from .store.database import (
    BACKGROUND_CONNECTIONS,
    POOL_DEFAULT_MAX_CONNECTIONS,
    POSTGRES_SCHEMES,
)

ENV_PREFIX = "ASPEL_LICENSING_"
DEFAULT_DATABASE_URL = "sqlite:///var/aspel-licensing.db"
DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_SIGNING_KEY_FILE = "var/signing-keys.json"
DEFAULT_SMTP_URL = "file:var/mail"
DEFAULT_MAIL_FROM = "Mi cuenta Aspel <no-responder@licensing.aspel.com.mx>"
DEFAULT_RESET_PAGE_URL = "https://www.aspel.com.mx/mi-cuenta/restablecer-contrasena"


@dataclass(frozen=True)
class Settings:
    #: Where the data lives: sqlite:///relative/path.db or sqlite:////absolute/path.db.
    database_url: str = DEFAULT_DATABASE_URL
    #: host:port to listen on; port 0 picks a free port (tests).
    listen: str = DEFAULT_LISTEN
    #: The time zone in which activation, payment and retire dates are calendar days.
    business_timezone: str = "America/Mexico_City"
    #: Server reflection, for grpcurl. Turn off on a public port.
    reflection: bool = True
    #: Optional second host:port (an internal network) serving the same services
    #: with reflection always on, so `reflection` can be off on the public port.
    #: With several workers, give it a fixed port: they share it as they share `listen`.
    internal_listen: str = ""
    #: argon2id hashes running at once per process (0: one per core), and callers
    #: allowed to wait for one before SERVER_BUSY (negative: twice that). Both
    #: together are held to half of max_workers (each holds an RPC thread), so
    #: logins always leave threads to the other calls.
    max_concurrent_hashes: int = 0
    max_waiting_hashes: int = -1
    #: Server processes sharing the listen port (SO_REUSEPORT).
    workers: int = 1
    #: Threads that run RPCs, per process. 4: measured with `make bench`
    #: (--server-env ASPEL_LICENSING_MAX_WORKERS=2/4/8/16, bench/README.md), every
    #: thread more than a few makes each call dearer: a call gives the GIL up at
    #: each SQLite step and gRPC batch, and with more threads ready to take it
    #: every give-up is a thread switch (8 threads: 27 switches and 0.85 ms of CPU
    #: per ValidateLicense, 2 threads: 10 and 0.58 ms). 4 still runs two hashes
    #: (one per core here) with two threads left for everything else, and waits on
    #: PostgreSQL overlap. More threads help only calls that wait, not compute.
    max_workers: int = 4
    #: RPCs accepted at once; more are refused RESOURCE_EXHAUSTED instead of queueing.
    max_concurrent_rpcs: int = 256
    #: The largest request or response accepted, in bytes.
    max_message_bytes: int = 1024 * 1024
    #: Seconds SIGTERM waits for in-flight calls before ending.
    shutdown_grace_seconds: float = 10.0
    #: Seconds between two checks, by a thread of the server, that the database
    #: answers; grpc.health.v1 reports NOT_SERVING while it does not.
    health_check_seconds: float = 5.0
    argon2: Argon2Parameters = field(default_factory=Argon2Parameters)
    #: The licence signing keys (JSON, mode 0600); see `aspel-licensing-server keys`.
    signing_key_file: str = DEFAULT_SIGNING_KEY_FILE
    #: Days of grace after a licence's expiry while the product cannot reach the
    #: server, by modality; a subscription's is also its grace after an unpaid
    #: payment date (domain/licence_policy.py). Then read-only.
    subscription_grace_days: int = 7
    perpetual_grace_days: int = 30
    #: TLS: the server's certificate chain and private key, PEM files.
    #: Both set: the server listens with TLS instead of plain text.
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    #: Mutual TLS: PEM file of the CA that signs client certificates. When set,
    #: every client must present a certificate it signed (keys still checked).
    tls_client_ca_file: str | None = None

    # --- email (mail/) --------------------------------------------------------
    #: Where email goes: smtp://user:pass@host:587 (STARTTLS on 587 or with
    #: ?starttls=1), smtps://user:pass@host:465 (implicit TLS), or file:var/mail /
    #: file:///abs/dir (one .eml file per message). Holds a password: never logged.
    smtp_url: str = field(default=DEFAULT_SMTP_URL, repr=False)
    #: The From of every email.
    mail_from: str = DEFAULT_MAIL_FROM
    #: Run the delivery worker as a thread of `serve` (off when a separate
    #: `aspel-licensing-server mailer` delivers).
    mail_worker: bool = True
    #: Seconds the worker sleeps when nothing is due.
    mail_poll_seconds: float = 5.0
    #: Seconds a claimed message stays reserved for one worker; after that a
    #: crashed worker's message is taken again. Must exceed one SMTP exchange.
    mail_claim_seconds: float = 300.0
    #: Seconds each SMTP network operation may take.
    mail_timeout_seconds: float = 30.0
    #: Hours after which a message that still cannot be delivered is FAILED.
    mail_give_up_hours: float = 48.0
    #: Attempts after which a message that still cannot be delivered is FAILED.
    mail_max_attempts: int = 40
    #: The page of the portal that takes a reset token; the email links to
    #: <this>?token=<token>.
    password_reset_url: str = DEFAULT_RESET_PAGE_URL
    #: Where a customer buys what is not free: shown on the portal row of a
    #: serial whose newer version must be bought, and in UPGRADE_REQUIRES_PURCHASE.
    purchase_url: str = DEFAULT_PURCHASE_URL

    # --- events (webhooks) and reminders -----------------------------------------
    #: Seconds to connect to a webhook endpoint, and to wait for each read of
    #: its answer; past either the attempt is retried with backoff.
    webhook_connect_timeout_seconds: float = 5.0
    webhook_read_timeout_seconds: float = 10.0
    #: Accept http:// endpoints on a loopback address (127.0.0.0/8, ::1,
    #: localhost): tests and a receiver on the same machine. Otherwise https only.
    webhook_allow_loopback_http: bool = False
    #: Send customer reminders periodically from `serve` (off when a cron job
    #: runs `aspel-licensing-server reminders`); safe in every worker at once.
    reminders: bool = True
    #: Seconds between two reminder runs of `serve`.
    reminders_interval_seconds: float = 3600.0
    #: Days before a payment date that a reminder is sent, comma-separated.
    reminder_payment_days: str = "7,1"
    #: Days without a validation after which an installation's owner is told.
    reminder_idle_installation_days: int = 30
    # --- seats (domain/seats.py) ------------------------------------------------
    #: Releases per serial per rolling year that free the seat at once while
    #: the machine's licence is still valid (0: none; each waits for it).
    seat_transfers_per_year: int = 2
    #: Days after its latest licence expired without a validation at which an
    #: activation is released automatically and its seat reclaimed.
    seat_reclaim_after_days: int = 30
    #: Seconds between two reclaim runs by a thread of `serve` (0: none; run
    #: `aspel-licensing-server reclaim-seats` from a timer instead).
    seat_reclaim_interval_seconds: float = 3600.0

    # --- machine identity --------------------------------------------------------
    #: Machine components (of machine_id, system_uuid, system_disk, network_mac)
    #: that must match for a new fingerprint to be a known machine reinstalled.
    machine_match_components: int = 2
    #: How far a deactivation receipt's signing time may be from the server's clock.
    deactivation_receipt_window_seconds: float = 600.0

    # --- the validation hot path (domain/licence_reuse.py, validation_records.py)
    #: How long ValidateLicense may answer again with the licence it signed for
    #: an activation, while that licence states the same (0: always a new one).
    license_reuse_seconds: float = 300.0
    #: How long a validation's recorded time waits in memory before `serve`
    #: writes it, batched (lost on a crash; never a licence's bound).
    validation_flush_seconds: float = 1.0

    # --- offline activation ------------------------------------------------------
    #: The oldest offline request RedeemOfflineRequest accepts, in days.
    offline_request_max_age_days: int = 30
    #: The validity of a perpetual licence redeemed offline, in days.
    offline_perpetual_validity_days: int = 365

    # --- operations: metrics, logs, proxies ------------------------------------
    #: host:port of the Prometheus /metrics endpoint; empty: none.
    metrics_listen: str = ""
    #: Comma-separated CIDRs of the load balancers in front: only from these is
    #: x-forwarded-for believed (the client is its right-most untrusted address).
    trusted_proxies: str = ""
    #: json or text log lines; empty: json when stderr is not a terminal.
    log_format: str = ""
    #: DEBUG, INFO, WARNING or ERROR.
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from the environment, with explicit `overrides` (flags) winning.

        Every value is checked here, at start: a bad one raises SettingsError,
        one line naming the variable (or flag), rather than failing later.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name = ENV_PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is None or f.name == "argon2":
                continue
            values[f.name] = _parse(name, str(f.type), raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key, value in values.items():
            source = (
                "--" + key.replace("_", "-")
                if overrides.get(key) is not None
                else ENV_PREFIX + key.upper()
            )
            _check(source, key, value)
        settings = cls(**values)  # type: ignore[arg-type]
        _check_pool_size(settings, "--database" if overrides.get("database_url") else None)
        return settings

    def redacted(self) -> dict[str, str]:
        """Every setting as text for `aspel-licensing-server config`, passwords hidden."""
        shown: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("database_url", "smtp_url"):
                value = redact_url(str(value))
            shown[f.name] = str(value)
        return shown


def seat_policy(settings: Settings) -> SeatPolicy:
    """The seat rule's numbers these settings give (domain/seats.py)."""
    return SeatPolicy(
        transfers_per_year=settings.seat_transfers_per_year,
        reclaim_after=dt.timedelta(days=settings.seat_reclaim_after_days),
    )


def connections_needed(settings: Settings) -> int:
    """The database connections one server process may hold at once: each RPC
    thread keeps its own between calls (store/database.py `Store.kept`), the
    internal port has threads of its own, and the background threads take one
    while they work."""
    ports = 2 if settings.internal_listen else 1
    return settings.max_workers * ports + BACKGROUND_CONNECTIONS


def _check_pool_size(settings: Settings, flag: str | None) -> None:
    """A `postgresql+pool://` URL's `max_connections` must hold every connection
    the process keeps; fewer would leave RPC threads without one under load
    (answered DATABASE_UNAVAILABLE) while the database itself is fine."""
    parsed = urllib.parse.urlsplit(settings.database_url)
    if not parsed.scheme.endswith("+pool"):
        return
    given = urllib.parse.parse_qs(parsed.query).get("max_connections", [])
    size = int(given[-1]) if given and given[-1].isdigit() else POOL_DEFAULT_MAX_CONNECTIONS
    needed = connections_needed(settings)
    if size < needed:
        source = flag or ENV_PREFIX + "DATABASE_URL"
        raise SettingsError(
            f"{source}: max_connections={size} es menor que las conexiones que cada proceso "
            f"puede ocupar ({needed}: {settings.max_workers} hilos RPC por puerto y "
            f"{BACKGROUND_CONNECTIONS} tareas de fondo); usa max_connections={needed} o más, "
            "o menos hilos (ASPEL_LICENSING_MAX_WORKERS)"
        )


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line naming it."""


#: ASPEL_LICENSING_* variables that are not server settings: the client CLIs'
#: and the test suite's. Not warned about.
OTHER_VARIABLES = frozenset(
    ENV_PREFIX + name
    for name in (
        "SERVER",
        "ADMIN_KEY",
        "SESSION_FILE",
        "PINNED_KEYS",
        "TRUSTED_TIME_FILE",
        "REQUIRE_POSTGRES",
        "HOSTILE_EXAMPLES",
        "HOSTILE_ENGINES",
    )
)

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

#: Inclusive ranges of the numbers; a value outside is refused at start.
_RANGES: dict[str, tuple[float, float]] = {
    "max_concurrent_hashes": (0, 4096),
    "max_waiting_hashes": (-1, 1_000_000),
    "workers": (1, 256),
    "max_workers": (1, 4096),
    "max_concurrent_rpcs": (1, 1_000_000),
    "max_message_bytes": (1024, 2**31 - 1),
    "shutdown_grace_seconds": (0, 3600),
    "health_check_seconds": (0.01, 3600),
    "mail_poll_seconds": (0.01, 3600),
    "mail_claim_seconds": (1, 86_400),
    "mail_timeout_seconds": (0.1, 3600),
    "mail_give_up_hours": (0.01, 24 * 365),
    "mail_max_attempts": (1, 10_000),
    "webhook_connect_timeout_seconds": (0.1, 300),
    "webhook_read_timeout_seconds": (0.1, 300),
    "reminders_interval_seconds": (1, 7 * 86_400),
    "reminder_idle_installation_days": (1, 3650),
    "offline_request_max_age_days": (1, 365),
    "offline_perpetual_validity_days": (1, 3650),
    "subscription_grace_days": (0, 90),
    "perpetual_grace_days": (0, 365),
    "seat_transfers_per_year": (0, 1000),
    "seat_reclaim_after_days": (1, 3650),
    "seat_reclaim_interval_seconds": (0, 7 * 86_400),
    "machine_match_components": (1, 4),
    "deactivation_receipt_window_seconds": (1, 86_400),
    "license_reuse_seconds": (0, 3600),
    "validation_flush_seconds": (0.01, 60),
}


def payment_days(text: str) -> tuple[int, ...]:
    """ "7,1" -> (7, 1): the days before a payment date, largest first."""
    days = {int(part) for part in (p.strip() for p in text.split(",")) if part}
    return tuple(sorted(days, reverse=True))


def known_variables() -> list[str]:
    return [ENV_PREFIX + f.name.upper() for f in fields(Settings) if f.name != "argon2"]


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning line per ASPEL_LICENSING_* variable that nothing reads,
    with the closest known name (a typo is the usual cause)."""
    env = os.environ if environ is None else environ
    known = known_variables()
    warnings = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known or name in OTHER_VARIABLES:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; ¿quiso decir {close[0]}?" if close else ""
        warnings.append(f"variable desconocida {name}: se ignora{hint}")
    return warnings


def _parse(name: str, kind: str, raw: str) -> object:
    text = raw.strip()
    if kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise SettingsError(f"{name}={raw!r}: use true/false, 1/0, yes/no u on/off")
    if kind in ("int", "float"):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: no es un número") from None
    if kind == "str | None":
        return text or None
    return raw


def _address(source: str, value: str, *, optional: bool) -> None:
    if optional and not value:
        return
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError(f"{source}={value!r}: debe ser host:puerto (puerto 0-65535)")


def _check(source: str, key: str, value: object) -> None:
    if key in _RANGES and isinstance(value, int | float):
        low, high = _RANGES[key]
        if not low <= value <= high:
            raise SettingsError(f"{source}={value}: fuera del intervalo {low:g}-{high:g}")
    if key == "database_url":
        scheme = urllib.parse.urlsplit(str(value)).scheme
        # Every scheme the store opens (open_database), the pooled ones included.
        if scheme != "sqlite" and scheme not in POSTGRES_SCHEMES:
            raise SettingsError(
                f"{source}: esquema {scheme or '(ninguno)'!r} no admitido "
                "(sqlite:///ruta.db, postgresql://usuario@host/base o postgresql+pool://...)"
            )
    elif key == "smtp_url":
        scheme = urllib.parse.urlsplit(str(value)).scheme
        if scheme not in ("smtp", "smtps", "file"):
            raise SettingsError(
                f"{source}: esquema {scheme or '(ninguno)'!r} no admitido (smtp, smtps o file)"
            )
    elif key == "purchase_url":
        parts = urllib.parse.urlsplit(str(value))
        if parts.scheme != "https" or not parts.netloc or not str(value).isprintable():
            raise SettingsError(f"{source}={value!r}: debe ser una URL https://")
        if len(str(value)) > 255:
            raise SettingsError(f"{source}: admite como máximo 255 caracteres")
    elif key == "password_reset_url":
        parts = urllib.parse.urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(f"{source}={value!r}: debe ser una URL https://")
    elif key == "listen":
        _address(source, str(value), optional=False)
    elif key in ("internal_listen", "metrics_listen"):
        _address(source, str(value), optional=True)
    elif key == "business_timezone":
        try:
            zoneinfo.ZoneInfo(str(value))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{source}={value!r}: zona horaria desconocida") from None
    elif key == "trusted_proxies":
        # The same parsing as transport/peers.py's parse_networks (no grpc here).
        for part in filter(None, (p.strip() for p in str(value).split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise SettingsError(f"{source}: {part!r} no es una red CIDR") from None
    elif key == "reminder_payment_days":
        try:
            days = payment_days(str(value))
        except ValueError:
            days = ()
        if not days or not all(1 <= d <= 366 for d in days):
            raise SettingsError(f"{source}={value!r}: días separados por comas, de 1 a 366")
    elif key == "log_format":
        if value not in ("", "json", "text"):
            raise SettingsError(f"{source}={value!r}: use json o text")
    elif key == "log_level" and str(value).upper() not in _LEVELS:
        raise SettingsError(f"{source}={value!r}: use DEBUG, INFO, WARNING o ERROR")


def redact_url(url: str) -> str:
    """smtp://user:secret@host -> smtp://user:***@host."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
