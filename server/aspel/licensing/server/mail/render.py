"""Renders an outbox row into subject, plain text and HTML from the template files.

Each kind has three files in `templates/`: `<kind>.subject.txt`, `<kind>.txt`
and `<kind>.html`, filled with `string.Template` (`$name`). A line that is only
`{{> _part.txt}}` stands for the file `templates/_part.txt`, read in before the
values are filled: the parts every message (or every reminder) shares are
written once, in files whose names start with `_`. Every value put into
the HTML is escaped with `html.escape`, so a razón social like
`<script>` shows as text; URLs are also checked to be http(s).
"""

from __future__ import annotations

import html
import pathlib
import re
import string
import textwrap
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TEMPLATES = pathlib.Path(__file__).with_name("templates")
#: The columns of the plain-text bodies, as their templates are written.
TEXT_WIDTH = 80


class RenderError(Exception):
    """The row cannot become an email (unknown kind, missing field): a bug, not a retry."""


@dataclass(frozen=True)
class RenderContext:
    """What the templates need beyond the row: where the portal's pages are."""

    password_reset_url: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _safe_url(url: str) -> str:
    """Only http(s) links go into a message; anything else becomes inert text."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    return url if scheme in {"http", "https"} else ""


def _link(base: str, token: str) -> str:
    separator = "&" if urllib.parse.urlsplit(base).query else "?"
    return base + separator + urllib.parse.urlencode({"token": token})


def _strings(payload: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    try:
        return {name: str(payload[name]) for name in names}
    except KeyError as missing:
        raise RenderError(f"payload lacks {missing}") from None


#: The payload fields each kind's templates use, all required, in the order
#: they are written in the templates.
_FIELDS: dict[str, tuple[str, ...]] = {
    "upgrade_notification": (
        "username",
        "razon_social",
        "product_name",
        "from_version",
        "to_version",
        "old_serial_number",
        "new_serial_number",
        "retire_date_text",
        "download_url",
    ),
    "password_reset": (
        "username",
        "razon_social",
        "reset_token",
        "valid_minutes",
        "expire_time_text",
    ),
    "password_changed": ("username", "razon_social", "change_time_text"),
    "reminder_payment_due": (
        "username",
        "razon_social",
        "product_name",
        "version",
        "serial_number",
        "due_text",
        "due_date_text",
    ),
    "reminder_idle_installation": (
        "username",
        "razon_social",
        "product_name",
        "version",
        "serial_number",
        "hostname",
        "last_seen_text",
        "idle_days",
    ),
    "reminder_upgrade_available": (
        "username",
        "razon_social",
        "product_name",
        "from_version",
        "to_version",
        "serial_number",
        "download_url",
    ),
    "installation_released": (
        "username",
        "razon_social",
        "product_name",
        "serial_number",
        "hostname",
        "activation_id",
        "cause_text",
        "release_time_text",
        "seat_free_text",
    ),
}

#: Fields that are links: passed through `_safe_url` in every kind that has them.
_URL_FIELDS = ("download_url",)


def _upgrade_notification(
    values: dict[str, str], payload: Mapping[str, Any], ctx: RenderContext
) -> None:
    # What was done or bought, and how long the old serial works, are written
    # by the change that issued the serial (domain/succession.py); rows queued
    # before those fields existed were free upgrades, said as they were then.
    values["what_happened"] = str(
        payload.get("what_happened")
        or (
            f"Aceptaste los términos y condiciones para actualizar tu {values['product_name']} "
            f"de la versión {values['from_version']} a la versión {values['to_version']}."
        )
    )
    # Sentences of any length, wrapped as the rest of the text (a bullet's
    # lines indented); in the HTML a line break is only a space.
    values["what_happened"] = textwrap.fill(values["what_happened"], TEXT_WIDTH)
    values["retire_text"] = str(
        payload.get("retire_text")
        or (
            f"Podrás seguir usando {values['product_name']} {values['from_version']} solamente "
            f"hasta el {values['retire_date_text']}. Después de esa fecha quedará inactivo y "
            f"solo podrás usar la versión {values['to_version']}."
        )
    )
    values["retire_text"] = textwrap.fill(
        values["retire_text"], TEXT_WIDTH - 2, subsequent_indent="  "
    )


def _password_reset(values: dict[str, str], payload: Mapping[str, Any], ctx: RenderContext) -> None:
    values["reset_link"] = _safe_url(_link(ctx.password_reset_url, values["reset_token"]))


#: The few kinds whose templates need values computed from the fields.
_DERIVED: dict[str, Callable[[dict[str, str], Mapping[str, Any], RenderContext], None]] = {
    "upgrade_notification": _upgrade_notification,
    "password_reset": _password_reset,
}


def _values_of(kind: str) -> Callable[[Mapping[str, Any], RenderContext], dict[str, str]]:
    names = _FIELDS[kind]
    derive = _DERIVED.get(kind)

    def values_of(payload: Mapping[str, Any], ctx: RenderContext) -> dict[str, str]:
        values = _strings(payload, names)
        for name in _URL_FIELDS:
            if name in values:
                values[name] = _safe_url(values[name])
        if derive is not None:
            derive(values, payload, ctx)
        return values

    return values_of


#: Every kind of message, and how its row becomes the templates' values.
KINDS: dict[str, Callable[[Mapping[str, Any], RenderContext], dict[str, str]]] = {
    kind: _values_of(kind) for kind in _FIELDS
}

#: Payload fields that are secrets: erased from the row once it is SENT or FAILED.
SECRET_PAYLOAD_KEYS = frozenset({"reset_token"})


#: A line naming a shared part (one level: a part includes no other part).
_INCLUDE = re.compile(r"^\{\{> (_[\w.]+)\}\}\n", re.MULTILINE)


def _read(name: str) -> str:
    try:
        return (TEMPLATES / name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RenderError(f"no template {name}") from None


def _template(name: str) -> string.Template:
    return string.Template(_INCLUDE.sub(lambda line: _read(line.group(1)), _read(name)))


def render(kind: str, payload: Mapping[str, Any], ctx: RenderContext) -> Rendered:
    values_of = KINDS.get(kind)
    if values_of is None:
        raise RenderError(f"unknown message kind {kind!r}")
    values = values_of(payload, ctx)
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    try:
        subject = _template(f"{kind}.subject.txt").substitute(values)
        text = _template(f"{kind}.txt").substitute(values)
        body_html = _template(f"{kind}.html").substitute(escaped)
    except (KeyError, ValueError) as exc:
        raise RenderError(f"template of {kind} names an unknown field: {exc}") from None
    # One line, no control characters: a header must not be split by a value.
    subject = " ".join(subject.split())
    return Rendered(subject=subject, text=text, html=body_html)
