"""Field checks shared by the servicers; failures become one INVALID_ARGUMENT
with a `BadRequest` violation per field."""

from __future__ import annotations

import base64
import binascii
import json
import uuid

import grpc

from ..domain import serials
from ..errors import InvalidArgument, InvalidPageToken

BEARER = "bearer "


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

    def page_size(self, field: str, value: int) -> int:
        if value < 0:
            self.add(field, "El tamaño de página no puede ser negativo.")
            return 0
        return value

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


def encode_page_token(kind: str, after_id: int) -> str:
    raw = json.dumps({"k": kind, "a": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_token(kind: str, token: str) -> int:
    """The position a token stands for; 0 for the first page."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["a"]
        if data["k"] != kind or not isinstance(after, int) or after < 0:
            raise ValueError(token)
        return after
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidPageToken() from exc
