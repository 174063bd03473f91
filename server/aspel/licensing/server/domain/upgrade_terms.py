"""The terms of a version upgrade, written for one serial."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import string
from collections.abc import Sequence
from dataclasses import dataclass

from ..store.accounts import AccountRow
from ..store.catalog import ReleaseRow, TermsRow
from ..store.models import Account
from ..store.subscriptions import AnySubscription
from .products import PRODUCT_NAMES, product_name
from .serials import LENGTH as SERIAL_LENGTH
from .serials import display
from .spanish import BILLING_PERIODS_ES, long_date

DEFAULT_TITLE = "Actualiza la versión de tu sistema"

#: The paragraph above the clauses, as Aspel's portal writes it ("Ya está
#: disponible una nueva versión para tu sistema en renta, ..."), with the
#: product and version filled in per serial.
DEFAULT_INTRODUCTION = (
    "Ya está disponible una nueva versión para tu sistema en renta, $product_name "
    "$to_version, puedes obtenerla sin costo adicional en este momento, solo debes "
    "considerar los siguientes aspectos:"
)

# The conditions of Aspel's portal, in its own order and words, filled in per serial.
DEFAULT_CLAUSES: tuple[str, ...] = (
    "A partir de que te entreguemos el número de serie electrónico de la nueva versión "
    "($product_name $to_version), tendrás que dejar de utilizar la versión anterior de tu "
    "sistema ($product_name $from_version), por lo que si consideras que aún no estás listo "
    "para suspender el uso de tu actual versión entonces no continúes con este proceso.",
    "Al aceptar actualizarte a la nueva versión se generará un nuevo número de serie "
    "electrónico correspondiente a la versión $to_version, que reemplaza al número de serie "
    "$serial_number.",
    "Para facilitar la transición entre ambas versiones (anterior-actual) podrás utilizar la "
    "versión anterior solamente hasta el vencimiento de tu siguiente validación, el "
    "$retire_date; una vez que se cumpla este plazo la versión anterior de tu sistema quedará "
    "«Inactiva». Esto significa que podrás utilizar ambas versiones solo durante un tiempo, a "
    "bien de que puedas trasladar la información de una versión a otra, pero una vez que "
    "venza la última validación de la versión anterior, el sistema se inactivará y a partir "
    "de ese momento solo podrás utilizar la nueva versión.",
    "El número de serie electrónico de la nueva versión tendrá la misma periodicidad de renta "
    "que el de la versión anterior: $billing_period.",
    "Para instalar la nueva versión del sistema, es necesario que la descargues en nuestro "
    "centro de descarga: $download_url",
    "Para activar la nueva versión de tu sistema, en el Asistente de activación deberás "
    "indicar como razón social aquella que registraste en aspel.com («$razon_social»); si "
    "requieres que tus reportes o recibos se emitan con una razón social diferente podrás "
    "modificar dicha razón social en el sistema después de que lo hayas activado.",
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
    introduction: str


def unknown_placeholders(clauses: Sequence[str]) -> set[str]:
    """Placeholders a catalog editor wrote that no serial can fill."""
    found: set[str] = set()
    for clause in clauses:
        for _, named, braced, _ in string.Template.pattern.findall(clause):
            found.add(named or braced)
    return found - PLACEHOLDERS - {""}


def placeholder_problems(text: str) -> list[str]:
    """What is wrong with the placeholders of one text, in es-MX, each naming
    the allowed ones; empty when every one can be filled.

    `$name` and `${name}` are placeholders and `$$` a literal dollar sign; a
    `$` followed by a space or a digit ("$ 1,500", "$1,500") is kept as
    written, as string.Template's safe_substitute does. What looks meant as
    a placeholder but can never be filled is refused: an unknown name, and a
    `${` that does not close on a name (`${product_name`, `${}`, `${1}`).
    """
    problems: list[str] = []
    unknown = unknown_placeholders([text])
    if unknown:
        problems.append("marcadores desconocidos: " + ", ".join(f"${n}" for n in sorted(unknown)))
    for match in string.Template.pattern.finditer(text):
        if match.group("invalid") is not None and text.startswith("${", match.start()):
            problems.append(
                f"llave sin cerrar o vacía en la posición {match.start() + 1} "
                "(escribe ${nombre} o $$ para un signo de pesos)"
            )
            break
    if problems:
        allowed = ", ".join(f"${n}" for n in sorted(PLACEHOLDERS))
        problems[-1] += f". Marcadores permitidos: {allowed}."
    return problems


def worst_case_bytes(text: str) -> int:
    """The most UTF-8 bytes `text` can render to for any serial: its literal
    text plus, for each placeholder, the longest value that can fill it."""
    size = _utf8(text)
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name in PLACEHOLDER_MAX_BYTES:
            size += PLACEHOLDER_MAX_BYTES[name] - _utf8(match.group(0))
    return size


def terms_worst_case_bytes(
    title: str, clauses: Sequence[str], introduction: str | None = None
) -> int:
    """The most bytes the rendered title, introduction and clauses can take together."""
    return (
        worst_case_bytes(title)
        + worst_case_bytes(DEFAULT_INTRODUCTION if introduction is None else introduction)
        + sum(worst_case_bytes(clause) for clause in clauses)
    )


def render(
    subscription: AnySubscription,
    account: AccountRow | Account,
    release: ReleaseRow,
    text: TermsRow,
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
    # Texts published without an introduction (or before there was one) get
    # the portal's own.
    introduction = string.Template(text.introduction or DEFAULT_INTRODUCTION).safe_substitute(
        values
    )
    # The id is a digest of everything shown, so any change of text, version or
    # date yields a new id and an acceptance of the old text is refused.
    digest = hashlib.sha256(
        json.dumps(
            [
                subscription.serial_number,
                text.id,
                release.version,
                title,
                clauses,
                text.locale,
                introduction,
            ],
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
        introduction=introduction,
    )
