"""Transports: URL parsing, .eml files, and SMTP against a real aiosmtpd server
(plain, STARTTLS with login, implicit TLS), including how refusals are classified."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import pathlib

import pytest

from aspel.licensing.server.mail import transports
from aspel.licensing.server.mail.message import compose
from aspel.licensing.server.mail.render import Rendered
from aspel.licensing.server.mail.transports import (
    FileTransport,
    InvalidMailUrl,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    from_url,
)

from .mail_support import (
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpServer,
    Tls,
    authenticator,
    free_port,
)


def message(message_id: str = "<m1@licensing.aspel.com.mx>") -> email.message.EmailMessage:
    return compose(
        message_id=message_id,
        recipient="demo@example.com",
        create_time=dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC),
        mail_from="Aspel <no-responder@licensing.aspel.com.mx>",
        rendered=Rendered("Asunto con acentos: número", "Hola, ñandú.\n", "<p>Hola</p>"),
    )


# --- URLs ----------------------------------------------------------------------


def test_smtp_on_587_uses_starttls_and_keeps_the_login() -> None:
    t = from_url("smtp://ana%40corp:p%3Ass@mail.example.com:587")
    assert isinstance(t, SmtpTransport)
    assert (t.host, t.port, t.security) == ("mail.example.com", 587, "starttls")
    assert (t.username, t.password) == ("ana@corp", "p:ss")


def test_smtp_starttls_flag_and_default_port() -> None:
    assert from_url("smtp://relay?starttls=1").security == "starttls"  # type: ignore[attr-defined]
    plain = from_url("smtp://relay")
    assert isinstance(plain, SmtpTransport)
    assert (plain.port, plain.security) == (25, "none")


def test_smtps_is_implicit_tls_on_465() -> None:
    t = from_url("smtps://u:p@mail.example.com")
    assert isinstance(t, SmtpTransport)
    assert (t.port, t.security) == (465, "tls")


def test_file_urls_relative_and_absolute() -> None:
    relative = from_url("file:var/mail")
    absolute = from_url("file:///srv/mail")
    assert isinstance(relative, FileTransport) and isinstance(absolute, FileTransport)
    assert relative.directory == pathlib.Path("var/mail")
    assert absolute.directory == pathlib.Path("/srv/mail")


@pytest.mark.parametrize("url", ["http://x", "smtp://", "file://otherhost/x", "smtp://h:notaport"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidMailUrl):
        from_url(url)


def test_describe_never_shows_the_password() -> None:
    t = from_url("smtp://ana:hunter2-secret@mail.example.com:587")
    assert "hunter2-secret" not in t.describe()
    assert "ana@mail.example.com:587" in t.describe()


# --- files -----------------------------------------------------------------------


def test_file_transport_writes_one_eml_per_message_and_redelivery_overwrites(
    tmp_path: pathlib.Path,
) -> None:
    t = FileTransport(tmp_path / "mail")
    t.send(message(), "a@b", ["demo@example.com"])
    t.send(message(), "a@b", ["demo@example.com"])
    t.send(message("<m2@licensing.aspel.com.mx>"), "a@b", ["demo@example.com"])
    files = sorted(p.name for p in (tmp_path / "mail").iterdir())
    assert files == [
        "20261123T180000-m1_licensing.aspel.com.mx.eml",
        "20261123T180000-m2_licensing.aspel.com.mx.eml",
    ]
    parsed = email.message_from_bytes(
        (tmp_path / "mail" / files[0]).read_bytes(), policy=email.policy.default
    )
    assert parsed["Subject"] == "Asunto con acentos: número"


# --- SMTP ------------------------------------------------------------------------


def test_plain_smtp_delivers_with_envelope(smtp_server: SmtpServer) -> None:
    smtp_server.transport().send(message(), "no-responder@x.mx", ["demo@example.com"])
    [got] = smtp_server.received
    assert got.mail_from == "no-responder@x.mx"
    assert got.rcpt_tos == ["demo@example.com"]
    assert got.message["Subject"] == "Asunto con acentos: número"
    assert got.text() == "Hola, ñandú.\n"


def test_recipient_refused_with_5xx_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such mailbox"
    with pytest.raises(PermanentFailure, match="550"):
        smtp_server.transport().send(message(), "a@b.mx", ["nadie@example.com"])


def test_recipient_deferred_with_4xx_is_temporary(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "451 4.3.0 Try again later"
    with pytest.raises(TemporaryFailure, match="451"):
        smtp_server.transport().send(message(), "a@b.mx", ["demo@example.com"])


def test_connection_refused_is_temporary() -> None:
    t = SmtpTransport(host="127.0.0.1", port=free_port(), security="none", helo="localhost")
    with pytest.raises(TemporaryFailure, match="ConnectionRefused"):
        t.send(message(), "a@b.mx", ["demo@example.com"])


def test_starttls_with_login(tls: Tls) -> None:
    server = SmtpServer(
        free_port(),
        tls_context=tls.server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    server.start()
    try:
        t = from_url(
            f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{server.port}"
            f"?starttls=1&helo=localhost&cafile={tls.ca_file}"
        )
        t.send(message(), "a@b.mx", ["demo@example.com"])
        assert len(server.received) == 1
    finally:
        server.stop()


def test_wrong_smtp_password_is_temporary_and_not_in_the_error(tls: Tls) -> None:
    server = SmtpServer(
        free_port(),
        tls_context=tls.server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    server.start()
    try:
        t = server.transport(
            security="starttls",
            username=SMTP_USER,
            password="wrong-password-xyz",
            tls_context=tls.client_context,
        )
        with pytest.raises(TemporaryFailure, match="535") as caught:
            t.send(message(), "a@b.mx", ["demo@example.com"])
        assert "wrong-password-xyz" not in str(caught.value)
        assert server.received == []
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_login(tls: Tls) -> None:
    server = SmtpServer(
        free_port(),
        ssl_context=tls.server_context,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # the whole connection is TLS already
    )
    server.start()
    try:
        t = transports.from_url(
            f"smtps://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{server.port}?helo=localhost",
            tls_context=tls.client_context,
        )
        t.send(message(), "a@b.mx", ["demo@example.com"])
        assert len(server.received) == 1
    finally:
        server.stop()


def test_untrusted_certificate_is_refused_temporarily(tls: Tls) -> None:
    server = SmtpServer(free_port(), ssl_context=tls.server_context)
    server.start()
    try:
        # The system CAs do not trust the test's self-signed certificate.
        t = from_url(f"smtps://127.0.0.1:{server.port}?helo=localhost")
        with pytest.raises(TemporaryFailure, match="SSL"):
            t.send(message(), "a@b.mx", ["demo@example.com"])
        assert server.received == []
    finally:
        server.stop()
