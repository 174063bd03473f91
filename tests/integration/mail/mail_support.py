"""Helpers of the email tests: a real SMTP server (aiosmtpd) in this process that
records what it receives and can be stopped, restarted on the same port, made to
refuse or to hang; a self-signed certificate; outbox workers pointed at them."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import pathlib
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import grpc
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.rpc import error_details_pb2

from aspel.licensing.server.domain.clock import Clock
from aspel.licensing.server.mail.render import RenderContext
from aspel.licensing.server.mail.transports import SmtpTransport
from aspel.licensing.server.mail.worker import OutboxWorker, RetryPolicy
from aspel.licensing.server.store.database import Store
from aspel.licensing.v1 import licensing_service_pb2 as pb
from tests.transport.calls import detail_of

MAIL_FROM = "Mi cuenta Aspel <no-responder@licensing.aspel.com.mx>"
RESET_PAGE = "https://portal.example.com/restablecer"
SMTP_USER = "mailer"
SMTP_PASSWORD = "s3cret-smtp-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]

    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


@dataclass
class RecordingHandler:
    """Accepts and records mail; `rcpt_reply` makes RCPT fail ("451 ...", "550 ...");
    `hold_rcpt` keeps the client waiting at RCPT until cleared."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None
    hold_rcpt: threading.Event = field(default_factory=threading.Event)
    rcpt_reached: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        self.rcpt_reached.set()
        while self.hold_rcpt.is_set():
            await asyncio.sleep(0.05)
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a fixed local port, so it can go down and come back."""

    def __init__(self, port: int, **controller_options: Any) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self.controller_options = controller_options
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        assert self._controller is None
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.controller_options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.handler.hold_rcpt.clear()
            self._controller.stop()
            self._controller = None

    def transport(self, **options: Any) -> SmtpTransport:
        defaults: dict[str, Any] = {"security": "none", "timeout": 10.0, "helo": "localhost"}
        defaults.update(options)
        return SmtpTransport(host="127.0.0.1", port=self.port, **defaults)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?helo=localhost"


@dataclass(frozen=True)
class Tls:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext
    ca_file: pathlib.Path


def make_tls(folder: pathlib.Path) -> Tls:
    """A self-signed certificate for 127.0.0.1 and contexts that use and trust it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    client_context = ssl.create_default_context(cafile=str(cert_file))
    return Tls(server_context, client_context, cert_file)


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def new_worker(
    store: Store,
    clock: Clock,
    transport: Any,
    retry: RetryPolicy | None = None,
) -> OutboxWorker:
    return OutboxWorker(
        store,
        clock,
        transport,
        mail_from=MAIL_FROM,
        context=RenderContext(password_reset_url=RESET_PAGE),
        retry=retry,
    )


# --- gRPC helpers ------------------------------------------------------------------


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The one ErrorInfo of a failed call."""
    return detail_of(error, error_details_pb2.ErrorInfo)


def login(stub: Any, username: str, password: str) -> tuple[tuple[str, str], ...]:
    """Call metadata with the bearer token of a new session."""
    response = stub.Authenticate(pb.AuthenticateRequest(username=username, password=password))
    return (("authorization", f"Bearer {response.session_token}"),)


RESET_TOKEN = re.compile(r"alr_[A-Za-z0-9_-]{43}")


def reset_token_in(received: Received) -> str:
    """The reset token of a reset email, as a person would copy it from the text."""
    found = RESET_TOKEN.findall(received.text())
    assert found, "no reset token in the email"
    return str(found[0])
