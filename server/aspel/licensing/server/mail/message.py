"""Builds the RFC 5322 message of an outbox row.

Everything in it comes from the row (Message-ID, Date = when it was queued) and
from the multipart boundary derived from the Message-ID, so a message delivered
twice is byte for byte the same message, and mail clients recognise the copy.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from email.message import EmailMessage

from .render import Rendered


def compose(
    *,
    message_id: str,
    recipient: str,
    create_time: dt.datetime,
    mail_from: str,
    rendered: Rendered,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = email.utils.format_datetime(create_time.astimezone(dt.UTC))
    message["Message-ID"] = message_id
    # RFC 3834: automatic replies (vacation notices) should not answer this.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the content: set_content() drops any Content-* header set before it.
    message["Content-Language"] = "es-MX"
    message.set_boundary("=_" + hashlib.sha256(message_id.encode()).hexdigest()[:40])
    return message


def envelope_address(mail_from: str) -> str:
    """The bare address of a From header: "Aspel <a@b>" -> "a@b"."""
    return email.utils.parseaddr(mail_from)[1] or mail_from
