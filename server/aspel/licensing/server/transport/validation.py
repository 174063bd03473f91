"""The field checks of every servicer, each written once; failures become one
INVALID_ARGUMENT with a `BadRequest` violation per field.

Limits that are rules of the domain (a version's length, a URL rendered into
the terms) come from the domain's constants; the rest bound what the transport
reads (the columns and the work a hostile caller can cause).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import urllib.parse
import uuid
from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import descriptor, message, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.type import date_pb2

from ..domain import events, serials
from ..domain.idempotency import RequestKey
from ..domain.machine_match import MAX_COMPONENTS
from ..domain.products import PRODUCT_NAMES, is_valid_version
from ..domain.receipts import Receipt
from ..domain.upgrade_terms import DOWNLOAD_URL_MAX_LENGTH, VERSION_MAX_LENGTH
from ..errors import InvalidArgument
from .pagination import Listing
from .request_keys import request_key

BEARER = "bearer "
SERIAL_MAX_LENGTH = 64
EMAIL_MAX_LENGTH = 254
USERNAME_MIN_LENGTH, USERNAME_MAX_LENGTH = 3, 64
USERNAME = re.compile(
    rf"^[a-z0-9][a-z0-9._@-]{{{USERNAME_MIN_LENGTH - 1},{USERNAME_MAX_LENGTH - 1}}}$"
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A URL as it travels: printable ASCII without spaces (other characters are
# percent-encoded), so its length in characters is its length in bytes.
URL_CHARACTERS = re.compile(r"^[\x21-\x7e]+$")
# Printable ASCII without spaces: what an installer derives from the machine.
FINGERPRINT_MAX_LENGTH = 128
FINGERPRINT = re.compile(rf"[!-~]{{1,{FINGERPRINT_MAX_LENGTH}}}")
ACTIVATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
ACCOUNT_ID_MAX_LENGTH = 64
WEBHOOK_URL_MAX_LENGTH = 2048
EVENT_TYPES_MAX = 50
EVENT_TYPE = re.compile(r"^[a-z0-9_.]{1,64}$")
WEBHOOK_ENDPOINT_ID = re.compile(r"^whe_[0-9a-f]{20}$")
COMPONENT_KIND = re.compile(r"[a-z0-9_]{1,32}")
COMPONENT_DIGEST = re.compile(r"[0-9a-f]{64}")
INSTALLATION_PUBLIC_KEY_BYTES = 32
RECEIPT_SIGNATURE_BYTES = 64


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _webhook_host_allowed(host: str, *, allow_loopback: bool) -> bool:
    """An IP literal by events.address_allowed; a name is resolved only when
    delivering (mail/webhooks.py checks every address it resolves to), but
    `localhost` is this machine whatever the DNS says."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return allow_loopback
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return events.address_allowed(host, allow_loopback=allow_loopback)


# google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799


class Violations:
    """Collects every bad field of a request before answering, so the caller
    can fix them all at once."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, field: str, description: str) -> None:
        self.items.append((field, description))

    def required(self, field: str, value: str, max_length: int = 256) -> str:
        if not value.strip():
            self.add(field, f"El campo {field} es obligatorio.")
        elif len(value) > max_length:
            self.add(field, f"El campo {field} admite como máximo {max_length} caracteres.")
        return value

    def text(self, field: str, value: str, max_length: int) -> str:
        """A required text, without its surrounding blanks."""
        return self.required(field, value, max_length=max_length).strip()

    def optional(self, field: str, value: str, max_length: int) -> str:
        """A text that may be empty, without its surrounding blanks."""
        if len(value) > max_length:
            self.add(field, f"El campo {field} admite como máximo {max_length} caracteres.")
        return value.strip()

    def serial(self, field: str, value: str) -> str:
        if not value.strip():
            self.add(field, "Escribe el número de serie.")
            return ""
        canonical = serials.normalize(value) if len(value) <= SERIAL_MAX_LENGTH else None
        if canonical is None:
            self.add(
                field,
                f"El número de serie no es válido: tiene {serials.LENGTH} caracteres (letras y "
                "números), "
                "por ejemplo ABCDE-12345-FGH7K, o, si es de un sistema anterior, de "
                f"{serials.LEGACY_MIN_LENGTH} a {serials.LEGACY_MAX_LENGTH} letras y números, "
                "por ejemplo SKSNWR. Revisa que esté bien escrito.",
            )
            return ""
        return canonical

    def legacy_serial(self, field: str, value: str) -> str:
        """A serial of Aspel's earlier system, never a native one (serials.py)."""
        canonical = serials.normalize_legacy(value) if len(value) <= SERIAL_MAX_LENGTH else None
        if canonical is None:
            self.add(
                field,
                f"El número de serie de un sistema anterior tiene de {serials.LEGACY_MIN_LENGTH} "
                f"a {serials.LEGACY_MAX_LENGTH} letras y números (al menos una letra), por "
                "ejemplo SKSNWR; los números de serie de este servicio no se importan.",
            )
            return ""
        return canonical

    def username(self, field: str, value: str) -> str:
        name = value.strip().lower()
        if not USERNAME.match(name):
            self.add(
                field,
                f"El usuario debe tener de {USERNAME_MIN_LENGTH} a {USERNAME_MAX_LENGTH} "
                "caracteres: letras, dígitos y . _ - @, "
                "y empezar con letra o dígito.",
            )
        return name

    def email(self, field: str, value: str) -> str:
        address = value.strip()
        if len(address) > EMAIL_MAX_LENGTH or not EMAIL.match(address):
            self.add(field, "Escribe un correo electrónico válido, por ejemplo nombre@empresa.mx.")
        return address

    def product(self, field: str, value: str) -> str:
        code = value.strip().upper()
        if code not in PRODUCT_NAMES:
            self.add(
                field, f"Producto desconocido; usa uno de: {', '.join(sorted(PRODUCT_NAMES))}."
            )
        return code

    def version(self, field: str, value: str) -> str:
        version = value.strip()
        if len(version) > VERSION_MAX_LENGTH or not is_valid_version(version):
            self.add(field, "La versión se escribe con números y puntos, por ejemplo 8.0.")
        return version

    def https_url(self, field: str, value: str) -> str:
        url = value.strip()
        if len(url) > DOWNLOAD_URL_MAX_LENGTH:
            # The URL is rendered into every upgrade's terms: its limit is part
            # of the terms' worst case (domain/upgrade_terms.py).
            self.add(
                field,
                f"La dirección de descarga admite como máximo {DOWNLOAD_URL_MAX_LENGTH} "
                "caracteres.",
            )
            return url
        parsed = urllib.parse.urlsplit(url) if URL_CHARACTERS.match(url) else None
        if parsed is None or parsed.scheme != "https" or not parsed.hostname:
            self.add(
                field,
                "La dirección de descarga debe ser un URL https completo, sin espacios y con "
                "los caracteres especiales codificados (%XX).",
            )
        return url

    def webhook_url(self, field: str, value: str, *, allow_loopback_http: bool) -> str:
        """https with a host, no user or password (they would travel in every
        log line that shows the URL) and no fragment; http only to a loopback
        address, and only where the deployment allows it (tests, a sidecar)."""
        url = value.strip()
        if len(url) > WEBHOOK_URL_MAX_LENGTH:
            self.add(field, f"El URL admite como máximo {WEBHOOK_URL_MAX_LENGTH} caracteres.")
            return url
        try:
            parsed = urllib.parse.urlsplit(url) if URL_CHARACTERS.match(url) else None
            if parsed is not None:
                parsed.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            parsed = None
        if parsed is None or not parsed.hostname or parsed.scheme not in ("https", "http"):
            self.add(
                field,
                "Escribe un URL https completo, sin espacios y con los caracteres especiales "
                "codificados (%XX).",
            )
        elif parsed.username is not None or parsed.password is not None or "@" in parsed.netloc:
            self.add(field, "El URL no puede llevar usuario ni contraseña.")
        elif parsed.fragment or url.endswith("#"):
            self.add(field, "El URL no puede llevar un fragmento (#...).")
        elif parsed.scheme == "http" and not (
            allow_loopback_http and _is_loopback(parsed.hostname)
        ):
            self.add(field, "El URL debe usar https.")
        elif not _webhook_host_allowed(parsed.hostname, allow_loopback=allow_loopback_http):
            self.add(
                field,
                "El URL apunta a una dirección que no recibe eventos (este mismo equipo, una "
                "dirección local de enlace como 169.254.x.x, o una reservada).",
            )
        return url

    def event_types(self, field: str, values: Sequence[str]) -> list[str]:
        """Exact audit kinds ("payment.recorded") or prefixes ending in "."."""
        if len(values) > EVENT_TYPES_MAX:
            self.add(field, f"Indica como máximo {EVENT_TYPES_MAX} tipos de evento.")
            return []
        kinds = []
        for i, value in enumerate(values):
            kind = value.strip()
            if not EVENT_TYPE.match(kind):
                self.add(
                    f"{field}[{i}]",
                    "El tipo de evento se escribe como «payment.recorded» o «payment.».",
                )
            kinds.append(kind)
        return kinds

    def enum(self, field: str, enum: EnumTypeWrapper, value: int) -> str | None:
        """The value's name without the enum's prefix; None when unspecified.
        An unknown number (proto3 enums are open) is a violation."""
        prefix = enum.DESCRIPTOR.values_by_number[0].name.removesuffix("UNSPECIFIED")
        if value == 0:
            return None
        if value not in enum.DESCRIPTOR.values_by_number:
            self.add(field, "El valor no es uno de los admitidos.")
            return None
        return str(enum.Name(value)).removeprefix(prefix)

    def fingerprint(self, field: str, value: str) -> str:
        if not value:
            self.add(field, "Falta la huella del equipo (machine_fingerprint).")
        elif not FINGERPRINT.fullmatch(value):
            self.add(
                field,
                f"La huella del equipo admite hasta {FINGERPRINT_MAX_LENGTH} caracteres ASCII "
                "visibles, sin espacios.",
            )
        return value

    def activation_id(self, field: str, value: str) -> str:
        if not value:
            self.add(field, "Falta el identificador de la activación.")
        elif not ACTIVATION_ID.fullmatch(value):
            self.add(field, "El identificador de la activación no es válido.")
        return value

    def machine_components(self, field: str, values: Sequence[Any]) -> dict[str, str]:
        """kind -> digest of repeated MachineComponent: at most MAX_COMPONENTS,
        each kind once, kinds lower-case names, digests 64 lower-case hex."""
        if len(values) > MAX_COMPONENTS:
            self.add(field, f"Indica como máximo {MAX_COMPONENTS} componentes del equipo.")
            return {}
        components: dict[str, str] = {}
        for i, item in enumerate(values):
            kind, digest = item.kind, item.digest
            if not COMPONENT_KIND.fullmatch(kind):
                self.add(
                    f"{field}[{i}].kind",
                    "El tipo de componente se escribe en minúsculas, dígitos y _ "
                    "(hasta 32 caracteres), por ejemplo system_disk.",
                )
            elif kind in components:
                self.add(f"{field}[{i}].kind", "Cada tipo de componente se indica una sola vez.")
            if not COMPONENT_DIGEST.fullmatch(digest):
                self.add(
                    f"{field}[{i}].digest",
                    "El resumen del componente son 64 caracteres hexadecimales en minúsculas "
                    "(SHA-256).",
                )
            components[kind] = digest
        return components

    def installation_public_key(self, field: str, value: bytes) -> bytes | None:
        """An optional raw Ed25519 public key: empty or exactly 32 bytes."""
        if not value:
            return None
        if len(value) != INSTALLATION_PUBLIC_KEY_BYTES:
            self.add(
                field,
                f"La llave pública de la instalación son {INSTALLATION_PUBLIC_KEY_BYTES} bytes "
                "(Ed25519).",
            )
            return None
        return bytes(value)

    def deactivation_receipt(self, field: str, request: message.Message) -> Receipt | None:
        """The optional DeactivationReceipt of a request; None when unset."""
        if not request.HasField(field):
            return None
        receipt: Any = getattr(request, field)
        activation_id = self.activation_id(f"{field}.activation_id", receipt.activation_id)
        serial = self.serial(f"{field}.serial_number", receipt.serial_number)
        sign_time = None
        if not receipt.HasField("sign_time"):
            self.add(f"{field}.sign_time", "Falta la fecha y hora de firma del comprobante.")
        elif receipt.sign_time.nanos != 0:
            self.add(f"{field}.sign_time", "La hora de firma va en segundos enteros.")
        else:
            sign_time = self.timestamp(f"{field}.sign_time", receipt.sign_time)
        if len(receipt.signature) != RECEIPT_SIGNATURE_BYTES:
            self.add(
                f"{field}.signature",
                f"La firma del comprobante son {RECEIPT_SIGNATURE_BYTES} bytes (Ed25519).",
            )
        if self.items or sign_time is None:
            return None
        return Receipt(activation_id, serial, sign_time, bytes(receipt.signature))

    def account_key(self, request: message.Message) -> tuple[str | None, str | None]:
        """(account_id, username) from a request's `account_key` oneof: exactly one is set."""
        which = request.WhichOneof("account_key")
        account_id, username = getattr(request, "account_id", ""), getattr(request, "username", "")
        if which == "account_id" and account_id.strip():
            return self.text("account_id", account_id, ACCOUNT_ID_MAX_LENGTH), None
        if which == "username" and username.strip():
            return None, self.text("username", username, 128).lower()
        self.add("account_id", "Indica el identificador de la cuenta o su nombre de usuario.")
        return None, None

    def request_id(self, field: str, value: str) -> str | None:
        if not value:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            self.add(field, "El identificador de la solicitud debe ser un UUID.")
            return None

    def request_key(self, request: message.Message) -> RequestKey | None:
        """The idempotency key of a mutating request: its `request_id` (a UUID,
        optional) and a fingerprint of the rest; None without a request_id."""
        value: str = getattr(request, "request_id")  # noqa: B009 (untyped on Message)
        return request_key(request, self.request_id("request_id", value))

    def required_request_id(self, field: str, value: str, why: str) -> str:
        """A mandatory request_id; `why` tells the caller what needs it."""
        if not value:
            self.add(field, why)
            return ""
        return self.request_id(field, value) or ""

    def page_size(self, field: str, value: int, listing: Listing) -> int:
        """The size of the page to read: the list's default for 0, at most its maximum."""
        if value < 0:
            self.add(field, "El tamaño de página no puede ser negativo.")
            return 0
        return listing.page_size(value)

    def timestamp(self, field: str, value: timestamp_pb2.Timestamp | None) -> dt.datetime | None:
        """An aware UTC datetime; None when the field is unset. The range is
        google.protobuf.Timestamp's own: 0001-01-01 to 9999-12-31, nanos in [0, 1e9)."""
        if value is None:
            return None
        if not (_MIN_SECONDS <= value.seconds <= _MAX_SECONDS) or not (
            0 <= value.nanos < 1_000_000_000
        ):
            self.add(
                field,
                "La fecha y hora no es válida: debe estar entre el año 1 y el 9999.",
            )
            return None
        return value.ToDatetime(tzinfo=dt.UTC)

    def date(self, field: str, value: date_pb2.Date | None) -> dt.date | None:
        """A full calendar day (google.type.Date with year, month and day);
        None when the field is unset."""
        if value is None:
            return None
        try:
            return dt.date(value.year, value.month, value.day)
        except (ValueError, OverflowError):
            self.add(field, "La fecha no es válida: indica año, mes y día existentes.")
            return None

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidArgument(field_violations=self.items)


def given(request: message.Message, field: str) -> Any:
    """`request`'s `field` (an optional or message field) when it is set, else None."""
    return getattr(request, field) if request.HasField(field) else None


def serial_only(value: str, field: str = "serial_number") -> str:
    """The canonical serial of a request whose only field to check is its serial."""
    check = Violations()
    serial = check.serial(field, value)
    check.raise_if_any()
    return serial


def bearer_token(context: grpc.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str):
            if value[: len(BEARER)].lower() == BEARER:
                return value[len(BEARER) :].strip()
            return None
    return None


_NUL = "\x00"
_NUL_TEXT = "El texto contiene el carácter nulo (U+0000), que no se admite."


def nul_characters(request: message.Message, prefix: str = "") -> list[tuple[str, str]]:
    """A violation for every text field (at any depth) that holds U+0000.

    No field of this API admits it, and PostgreSQL cannot store it in text at
    all (the insert fails), so it is refused for every request in one place,
    before any servicer or the database sees it."""
    found: list[tuple[str, str]] = []
    for field, value in request.ListFields():
        name = prefix + field.name
        if field.type == descriptor.FieldDescriptor.TYPE_STRING:
            items = list(enumerate(value)) if field.is_repeated else [(None, value)]
            found.extend(
                (name if i is None else f"{name}[{i}]", _NUL_TEXT) for i, v in items if _NUL in v
            )
        elif field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if isinstance(key, str) and _NUL in key:
                        found.append((name, _NUL_TEXT))
                    if isinstance(item, str) and _NUL in item:
                        found.append((f"{name}[{key!r}]", _NUL_TEXT))
                    elif isinstance(item, message.Message):
                        found.extend(nul_characters(item, f"{name}[{key!r}]."))
            elif field.is_repeated:
                for i, item in enumerate(value):
                    found.extend(nul_characters(item, f"{name}[{i}]."))
            else:
                found.extend(nul_characters(value, name + "."))
    return found
