"""Server settings: flags first, then `ASPEL_LICENSING_*` environment variables,
then these defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from .domain.credentials import Argon2Parameters

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
    #: allowed to wait for one before SERVER_BUSY (negative: twice that).
    max_concurrent_hashes: int = 0
    max_waiting_hashes: int = -1
    #: Server processes sharing the listen port (SO_REUSEPORT).
    workers: int = 1
    #: Threads that run RPCs, per process.
    max_workers: int = 16
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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from the environment, with explicit `overrides` (flags) winning."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or f.name == "argon2":
                continue
            if f.type == "bool":
                values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "float":
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
