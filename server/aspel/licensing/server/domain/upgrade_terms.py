"""The terms of a version upgrade, written for one serial."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import string
from collections.abc import Sequence
from dataclasses import dataclass

from ..store.models import Account, Release, Subscription, UpgradeTermsText
from .products import PRODUCT_NAMES, product_name
from .serials import LENGTH as SERIAL_LENGTH
from .serials import display
from .spanish import BILLING_PERIODS_ES, long_date

DEFAULT_TITLE = "Actualiza la versión de tu sistema"

# The conditions of Aspel's portal, in its own order, filled in per serial.
DEFAULT_CLAUSES: tuple[str, ...] = (
    "Ya está disponible $product_name $to_version para tu sistema en renta y puedes obtenerla "
    "sin costo adicional. A partir de que te entreguemos el número de serie electrónico de la "
    "versión $to_version, tendrás que dejar de utilizar $product_name $from_version; si aún no "
    "estás listo para suspender el uso de tu versión actual, no continúes con este proceso.",
    "Al aceptar se generará un nuevo número de serie electrónico para $product_name "
    "$to_version, que reemplaza al número de serie $serial_number.",
    "Para facilitar la transición podrás utilizar $product_name $from_version solamente hasta "
    "el vencimiento de tu siguiente validación, el $retire_date. Después de esa fecha la "
    "versión $from_version quedará inactiva y solo podrás utilizar la versión $to_version.",
    "El número de serie de la versión $to_version tendrá la misma periodicidad de renta que el "
    "de la versión anterior: $billing_period.",
    "Para instalar $product_name $to_version descárgalo de nuestro centro de descargas: "
    "$download_url",
    "Para activar la nueva versión, en el asistente de activación deberás indicar como razón "
    "social la que registraste en tu cuenta Aspel: «$razon_social». Si necesitas que tus "
    "reportes o recibos se emitan con otra razón social, podrás modificarla en el sistema "
    "después de activarlo.",
)

PLACEHOLDERS = frozenset(
    {
        "product_name",
        "from_version",
        "to_version",
        "serial_number",
        "retire_date",
        "billing_period",
        "download_url",
        "razon_social",
    }
)


# The limits of what fills the placeholders and of what a catalog editor
# writes. The account and catalog checks of AdminService use these same
# numbers, so the worst case computed below holds for every serial.
RAZON_SOCIAL_MAX_LENGTH = 254  # Account.razon_social is a varchar(255) too
VERSION_MAX_LENGTH = 16
# The column that holds it (Release.download_url) is a varchar(255) on PostgreSQL.
DOWNLOAD_URL_MAX_LENGTH = 255
TITLE_MAX_LENGTH = 200
CLAUSE_MAX_LENGTH = 4000
MAX_CLAUSES = 50

#: The most UTF-8 bytes the rendered title and clauses may take, a quarter of
#: the server's default max_message_bytes (1 MiB): GetUpgradeTermsResponse adds
#: the download URL, ids and framing, and must always fit in one message.
TERMS_MAX_BYTES = 256 * 1024

_UTF8_MAX = 4  # bytes of the widest character


def _utf8(text: str) -> int:
    return len(text.encode())


UNKNOWN_RETIRE_DATE = "tu siguiente validación"
UNKNOWN_BILLING_PERIOD = "la misma"

#: The longest each placeholder can render, in UTF-8 bytes. Free text counts
#: four bytes a character; the download URL is ASCII (the catalog checks it).
PLACEHOLDER_MAX_BYTES: dict[str, int] = {
    "product_name": max(_utf8(name) for name in PRODUCT_NAMES.values()),
    "from_version": VERSION_MAX_LENGTH * _UTF8_MAX,
    "to_version": VERSION_MAX_LENGTH * _UTF8_MAX,
    "serial_number": _utf8(display("0" * SERIAL_LENGTH)),
    "retire_date": max(
        _utf8(UNKNOWN_RETIRE_DATE),
        *(_utf8(long_date(dt.date(9999, month, 28))) for month in range(1, 13)),
    ),
    "billing_period": max(_utf8(UNKNOWN_BILLING_PERIOD), *map(_utf8, BILLING_PERIODS_ES.values())),
    "download_url": DOWNLOAD_URL_MAX_LENGTH,
    "razon_social": RAZON_SOCIAL_MAX_LENGTH * _UTF8_MAX,
}


@dataclass(frozen=True)
class TermsView:
    terms_id: str
    serial_number: str
    product_code: str
    from_version: str
    to_version: str
    title: str
    clauses: tuple[str, ...]
    locale: str
    download_url: str


def unknown_placeholders(clauses: Sequence[str]) -> set[str]:
    """Placeholders a catalog editor wrote that no serial can fill."""
    found: set[str] = set()
    for clause in clauses:
        for _, named, braced, _ in string.Template.pattern.findall(clause):
            found.add(named or braced)
    return found - PLACEHOLDERS - {""}


def worst_case_bytes(text: str) -> int:
    """The most UTF-8 bytes `text` can render to for any serial: its literal
    text plus, for each placeholder, the longest value that can fill it."""
    size = _utf8(text)
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name in PLACEHOLDER_MAX_BYTES:
            size += PLACEHOLDER_MAX_BYTES[name] - _utf8(match.group(0))
    return size


def terms_worst_case_bytes(title: str, clauses: Sequence[str]) -> int:
    """The most bytes the rendered title and clauses can take together."""
    return worst_case_bytes(title) + sum(worst_case_bytes(clause) for clause in clauses)


def render(
    subscription: Subscription,
    account: Account,
    release: Release,
    text: UpgradeTermsText,
) -> TermsView:
    retire_date = subscription.next_payment_date
    values = {
        "product_name": product_name(subscription.product_code),
        "from_version": subscription.version,
        "to_version": release.version,
        "serial_number": display(subscription.serial_number),
        "retire_date": long_date(retire_date) if retire_date else UNKNOWN_RETIRE_DATE,
        "billing_period": BILLING_PERIODS_ES.get(
            subscription.billing_period or "", UNKNOWN_BILLING_PERIOD
        ),
        "download_url": release.download_url,
        "razon_social": account.razon_social,
    }
    clauses = tuple(string.Template(c).safe_substitute(values) for c in text.clauses)
    title = string.Template(text.title).safe_substitute(values)
    # The id is a digest of everything shown, so any change of text, version or
    # date yields a new id and an acceptance of the old text is refused.
    digest = hashlib.sha256(
        json.dumps(
            [subscription.serial_number, text.id, release.version, title, clauses, text.locale],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    return TermsView(
        terms_id=f"terms-{digest[:24]}",
        serial_number=subscription.serial_number,
        product_code=subscription.product_code,
        from_version=subscription.version,
        to_version=release.version,
        title=title,
        clauses=clauses,
        locale=text.locale,
        download_url=release.download_url,
    )
