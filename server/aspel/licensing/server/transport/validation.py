"""Field checks shared by the servicers; failures become one INVALID_ARGUMENT
with a `BadRequest` violation per field."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
from google.protobuf import descriptor, message, timestamp_pb2
from google.type import date_pb2

from ..domain import serials
from ..errors import InvalidArgument
from .pagination import Listing

BEARER = "bearer "
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

    def serial(self, field: str, value: str) -> str:
        if not value.strip():
            self.add(field, "Escribe el número de serie.")
            return ""
        canonical = serials.normalize(value) if len(value) <= 64 else None
        if canonical is None:
            self.add(
                field,
                "El número de serie no es válido: tiene 15 caracteres (letras y números), "
                "por ejemplo ABCDE-12345-FGH7K. Revisa que esté bien escrito.",
            )
            return ""
        return canonical

    def request_id(self, field: str, value: str) -> str | None:
        if not value:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            self.add(field, "El identificador de la solicitud debe ser un UUID.")
            return None

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
