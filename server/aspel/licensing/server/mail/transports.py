"""Where messages go, chosen by a URL (`--smtp-url` / ASPEL_LICENSING_SMTP_URL).

- `smtp://user:pass@host:port`: SMTP with login; STARTTLS when the port is 587
  or with `?starttls=1` (`?starttls=0` turns it off). Port 25 by default.
- `smtps://user:pass@host:port`: SMTP over implicit TLS, port 465 by default.
  Both verify the server's certificate with the system's CAs, or with
  `?cafile=/path/ca.pem`; `?helo=name` sets the EHLO name.
- `file:var/mail` (relative) or `file:///abs/dir`: one `.eml` file per
  message, for the demo and for tests: a person can open them.

A failed send raises `TemporaryFailure` (retry later: the server cannot be
reached, said 4xx, or refused our login or TLS, which is a configuration
problem, not the message's) or `PermanentFailure` (the server refused this
message for good: 5xx to MAIL FROM, RCPT TO or DATA). Their text never holds
the password.
"""

from __future__ import annotations

import email.utils
import os
import pathlib
import re
import smtplib
import ssl
import tempfile
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

_MAX_ERROR = 300


class DeliveryError(Exception):
    """A send that did not happen. `str()` is safe to store and log."""


class TemporaryFailure(DeliveryError):
    pass


class PermanentFailure(DeliveryError):
    pass


class InvalidMailUrl(ValueError):
    """The transport URL cannot be used (its text never includes the password)."""


class Transport(Protocol):
    def send(self, message: EmailMessage, envelope_from: str, recipients: Sequence[str]) -> None:
        """Delivers one message or raises TemporaryFailure / PermanentFailure."""
        ...

    def describe(self) -> str:
        """Where messages go, for logs: never the password."""
        ...


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"SMTP {code} {' '.join(text.split())}"[:_MAX_ERROR]


@dataclass
class SmtpTransport:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    #: "starttls", "tls" (implicit) or "none".
    security: str = "starttls"
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None
    helo: str | None = None

    def describe(self) -> str:
        user = f"{self.username}@" if self.username else ""
        scheme = "smtps" if self.security == "tls" else "smtp"
        return f"{scheme}://{user}{self.host}:{self.port} ({self.security})"

    def _context(self) -> ssl.SSLContext:
        return self.tls_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.helo,
                timeout=self.timeout,
                context=self._context(),
            )
        return smtplib.SMTP(self.host, self.port, local_hostname=self.helo, timeout=self.timeout)

    def send(self, message: EmailMessage, envelope_from: str, recipients: Sequence[str]) -> None:
        try:
            smtp = self._connect()
            try:
                if self.security == "starttls":
                    smtp.starttls(context=self._context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message, from_addr=envelope_from, to_addrs=list(recipients))
            finally:
                _quit(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            text = "; ".join(_reply_text(c, r) for c, r in exc.recipients.values())
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {text}"[:_MAX_ERROR]) from None
            raise TemporaryFailure(f"recipient deferred: {text}"[:_MAX_ERROR]) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            text = _reply_text(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code >= 500:
                raise PermanentFailure(f"message refused: {text}") from None
            raise TemporaryFailure(f"message deferred: {text}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(
                f"login refused (check the SMTP user and password): "
                f"{_reply_text(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise TemporaryFailure(_reply_text(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Refused or dropped connections, timeouts, TLS errors, no STARTTLS.
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}"[:_MAX_ERROR]) from None
        except (UnicodeError, ValueError) as exc:
            raise PermanentFailure(f"cannot encode the message: {type(exc).__name__}") from None


def _quit(smtp: smtplib.SMTP) -> None:
    """Ends the session; a failure here must not turn a delivered message into a retry."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class FileTransport:
    """Writes `<Date>-<Message-ID>.eml` into a folder; a second delivery of the
    same message overwrites its file, so the folder holds each message once."""

    directory: pathlib.Path

    def describe(self) -> str:
        return f"file:{self.directory}"

    def send(self, message: EmailMessage, envelope_from: str, recipients: Sequence[str]) -> None:
        message_id = str(message["Message-ID"]).strip("<>")
        date = message["Date"]
        stamp = f"{email.utils.parsedate_to_datetime(str(date)):%Y%m%dT%H%M%S}-" if date else ""
        name = stamp + _UNSAFE_NAME.sub("_", message_id) + ".eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Written under a name no `*.eml` reader picks up, then renamed:
            # a reader sees a whole message or none.
            with tempfile.NamedTemporaryFile(
                "wb", dir=self.directory, prefix=".", suffix=".part", delete=False
            ) as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, self.directory / name)
        except OSError as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc.strerror}") from None


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_url(
    url: str, *, timeout: float = 30.0, tls_context: ssl.SSLContext | None = None
) -> Transport:
    """The transport a URL names (see the module docstring)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        path = urllib.parse.unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path:
            raise InvalidMailUrl("use file:relative/dir or file:///absolute/dir")
        return FileTransport(pathlib.Path(path))
    if scheme not in ("smtp", "smtps"):
        raise InvalidMailUrl(f"unsupported mail URL scheme {scheme!r}: use smtp, smtps or file")
    if not parts.hostname:
        raise InvalidMailUrl("the mail URL names no host")
    query = dict(urllib.parse.parse_qsl(parts.query))
    try:
        port = parts.port
    except ValueError:
        raise InvalidMailUrl("the mail URL has an invalid port") from None
    if scheme == "smtps":
        security, port = "tls", port or 465
    else:
        port = port or 25
        security = "starttls" if _flag(query.get("starttls"), port == 587) else "none"
    context = tls_context
    if context is None and query.get("cafile"):
        context = ssl.create_default_context(cafile=query["cafile"])
    return SmtpTransport(
        host=parts.hostname,
        port=port,
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        security=security,
        timeout=timeout,
        tls_context=context,
        helo=query.get("helo"),
    )
