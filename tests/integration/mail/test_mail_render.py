"""Templates and message building: content, escaping, stable bytes."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest

from aspel.licensing.server.mail.message import compose
from aspel.licensing.server.mail.render import KINDS, RenderContext, RenderError, render

CTX = RenderContext(password_reset_url="https://portal.example.com/restablecer")

UPGRADE = {
    "username": "demo",
    "razon_social": "Comercializadora Demo, S.A. de C.V.",
    "product_code": "SAE",
    "product_name": "Aspel SAE",
    "from_version": "7.0",
    "to_version": "8.0",
    "old_serial_number": "AAAAA-BBBBB-CCCCC",
    "new_serial_number": "DDDDD-EEEEE-FFFFF",
    "retire_date": "2026-12-10",
    "retire_date_text": "10 de diciembre de 2026",
    "download_url": "https://www.aspel.com.mx/descargas",
}
RESET = {
    "username": "demo",
    "razon_social": "Comercializadora Demo, S.A. de C.V.",
    "reset_token": "alr_TOKEN123",
    "valid_minutes": "30",
    "expire_time": "2026-11-23T18:30:00+00:00",
    "expire_time_text": "12:30 del 23 de noviembre de 2026",
}
CHANGED = {
    "username": "demo",
    "razon_social": "Comercializadora Demo, S.A. de C.V.",
    "change_time": "2026-11-23T18:00:00+00:00",
    "change_time_text": "12:00 del 23 de noviembre de 2026",
}
CUSTOMER = {"username": "demo", "razon_social": "Comercializadora Demo, S.A. de C.V."}
PAYMENT_DUE = {
    **CUSTOMER,
    "product_name": "Aspel SAE",
    "version": "8.0",
    "serial_number": "AAAAA-BBBBB-CCCCC",
    "due_text": "en 7 días",
    "due_date_text": "30 de noviembre de 2026",
}
IDLE_INSTALLATION = {
    **CUSTOMER,
    "product_name": "Aspel SAE",
    "version": "8.0",
    "serial_number": "AAAAA-BBBBB-CCCCC",
    "hostname": "CAJA-01",
    "last_seen_text": "12:00 del 23 de octubre de 2026",
    "idle_days": "30",
}
UPGRADE_AVAILABLE = {
    **CUSTOMER,
    "product_name": "Aspel SAE",
    "from_version": "8.0",
    "to_version": "9.0",
    "serial_number": "AAAAA-BBBBB-CCCCC",
    "download_url": "https://www.aspel.com.mx/descargas",
}
RELEASED = {
    "username": "demo",
    "razon_social": "Comercializadora Demo, S.A. de C.V.",
    "product_name": "Aspel SAE",
    "serial_number": "AAAAA-BBBBB-CCCCC",
    "hostname": "<b>CAJA-01</b>",
    "activation_id": "act_0123456789abcdef",
    "cause_text": "Liberaste desde el portal Mi cuenta Aspel la instalación de este equipo:",
    "release_time_text": "12:00 del 23 de noviembre de 2026",
    "seat_free_text": "Quedará libre a las 12:00 del 20 de diciembre de 2026.",
    "seat_free_time": "2026-12-20T18:00:00+00:00",
}
PAYLOADS = {
    "upgrade_notification": UPGRADE,
    "password_reset": RESET,
    "password_changed": CHANGED,
    "reminder_payment_due": PAYMENT_DUE,
    "reminder_idle_installation": IDLE_INSTALLATION,
    "reminder_upgrade_available": UPGRADE_AVAILABLE,
    "installation_released": RELEASED,
}


def test_every_kind_has_a_sample_here() -> None:
    assert set(PAYLOADS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_template_fills_all_its_placeholders(kind: str) -> None:
    rendered = render(kind, PAYLOADS[kind], CTX)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "$" not in part
    assert "\n" not in rendered.subject


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_message_ends_with_the_shared_closing_filled_in(kind: str) -> None:
    rendered = render(kind, PAYLOADS[kind], CTX)
    assert "{{>" not in rendered.text + rendered.html
    assert rendered.text.endswith("por favor no lo respondas.\n")
    assert rendered.html.endswith("</body>\n</html>\n")


@pytest.mark.parametrize("kind", sorted(k for k in PAYLOADS if k.startswith("reminder_")))
def test_every_reminder_says_where_the_serials_are_with_the_username(kind: str) -> None:
    rendered = render(kind, PAYLOADS[kind], CTX)
    for body in (rendered.text, rendered.html):
        assert "«Mi cuenta Aspel» (usuario: demo)" in body


def test_upgrade_notification_says_what_the_issue_lists() -> None:
    rendered = render("upgrade_notification", UPGRADE, CTX)
    assert "Aspel SAE" in rendered.subject
    assert "7.0" in rendered.subject and "8.0" in rendered.subject
    for body in (rendered.text, rendered.html):
        assert "DDDDD-EEEEE-FFFFF" in body  # the new serial
        assert "AAAAA-BBBBB-CCCCC" in body  # the serial it replaces
        assert "10 de diciembre de 2026" in body  # last day of the old serial
        assert "https://www.aspel.com.mx/descargas" in body  # where to download
        assert "asistente de activación" in body  # the razón social reminder
        assert "Comercializadora Demo, S.A. de C.V." in body


def test_reset_email_has_link_code_validity_and_what_if_not_you() -> None:
    rendered = render("password_reset", RESET, CTX)
    for body in (rendered.text, rendered.html):
        assert "https://portal.example.com/restablecer?token=alr_TOKEN123" in body
        assert "alr_TOKEN123" in body
        assert "30 minutos" in body
        assert "12:30 del 23 de noviembre de 2026" in body
        assert "No fuiste tú" in body


def test_changed_email_says_when_and_what_if_not_you() -> None:
    rendered = render("password_changed", CHANGED, CTX)
    assert "12:00 del 23 de noviembre de 2026" in rendered.text
    assert "No fuiste tú" in rendered.text
    assert "Soporte Aspel" in rendered.html


def test_the_release_email_names_the_machine_and_when_its_seat_is_free() -> None:
    rendered = render("installation_released", RELEASED, CTX)
    assert "CAJA-01" in rendered.subject or "AAAAA-BBBBB-CCCCC" in rendered.subject
    for part in (rendered.text, rendered.html):
        assert "act_0123456789abcdef" in part
        assert "12:00 del 20 de diciembre de 2026" in part
    assert "&lt;b&gt;CAJA-01&lt;/b&gt;" in rendered.html
    assert "<b>CAJA-01</b>" in rendered.text


def test_html_values_are_escaped_and_text_keeps_them_verbatim() -> None:
    payload = dict(UPGRADE, razon_social='<script>alert("x")</script> & Hijos')
    rendered = render("upgrade_notification", payload, CTX)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Hijos" in rendered.html
    assert '<script>alert("x")</script> & Hijos' in rendered.text


def test_a_link_that_is_not_http_is_left_out() -> None:
    payload = dict(UPGRADE, download_url="javascript:alert(1)")
    rendered = render("upgrade_notification", payload, CTX)
    assert "javascript:" not in rendered.html
    assert "javascript:" not in rendered.text


def test_unknown_kind_and_missing_fields_are_render_errors() -> None:
    with pytest.raises(RenderError):
        render("birthday_card", {}, CTX)
    with pytest.raises(RenderError):
        render("upgrade_notification", {"username": "demo"}, CTX)


def _compose() -> bytes:
    return compose(
        message_id="<abc@licensing.aspel.com.mx>",
        recipient="demo@example.com",
        create_time=dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC),
        mail_from="Mi cuenta Aspel <no-responder@licensing.aspel.com.mx>",
        rendered=render("upgrade_notification", UPGRADE, CTX),
    ).as_bytes()


def test_message_is_multipart_alternative_with_stable_headers() -> None:
    message = email.message_from_bytes(_compose(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-ID"] == "<abc@licensing.aspel.com.mx>"
    assert message["Date"] == "Mon, 23 Nov 2026 18:00:00 +0000"
    assert message["To"] == "demo@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "es-MX"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_the_same_row_always_makes_the_same_bytes() -> None:
    assert _compose() == _compose()
