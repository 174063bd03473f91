"""Server settings: flags first, then `ASPEL_LICENSING_*` environment variables,
then these defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from .domain.credentials import Argon2Parameters

ENV_PREFIX = "ASPEL_LICENSING_"
DEFAULT_DATABASE_URL = "sqlite:///var/aspel-licensing.db"
DEFAULT_LISTEN = "127.0.0.1:50051"


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
    argon2: Argon2Parameters = field(default_factory=Argon2Parameters)
    #: TLS (issue 5): the server's certificate chain and private key, PEM files.
    #: Both set: the server listens with TLS instead of plain text.
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    #: Mutual TLS: PEM file of the CA that signs client certificates. When set,
    #: every client must present a certificate it signed (keys still checked).
    tls_client_ca_file: str | None = None

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
