"""The CSV of existing (legacy) serials that `aspel-licensing-server import`
and `aspel-licensing-admin import` read: one serial per row, after a header.

The file is UTF-8, with or without a BOM (Excel writes one), comma separated,
quoted the way Excel quotes (a field in double quotes, a quote inside doubled).
Columns, named in the header in any order (case and blanks ignored):

    serial_number, account_id, product_code, version, users, modality,
    billing_period, activation_date, next_payment_date, installations_allowed,
    activations

Dates are YYYY-MM-DD or DD/MM/YYYY (as the portal prints them). `modality` is
SUBSCRIPTION or PERPETUAL_LICENSE (also "suscripción", "pago único");
`billing_period` MONTHLY, SEMIANNUAL or ANNUAL (also "mensual", "semestral",
"anual"), empty for a perpetual licence. `next_payment_date`,
`installations_allowed` (1) and `activations` may be empty. `activations`
lists known installations separated by ";", each `hostname|fingerprint|when`,
`when` a date or an ISO 8601 instant (UTC unless it says otherwise).

Values are kept as data, never evaluated: a cell "=cmd" is the text "=cmd".
Parsing is the same for both commands; the checks of the values themselves
(a serial's shape, an account that exists) are the server's.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from aspel.licensing.v1 import admin_service_pb2

from .convert import date_message, timestamp_message

COLUMNS = (
    "serial_number",
    "account_id",
    "product_code",
    "version",
    "users",
    "modality",
    "billing_period",
    "activation_date",
    "next_payment_date",
    "installations_allowed",
    "activations",
)
REQUIRED = COLUMNS[:8]
#: A cell longer than this is refused (the longest real one is a fingerprint list).
CELL_MAX_LENGTH = 16_384
_MODALITIES = {
    "SUBSCRIPTION": "SUBSCRIPTION",
    "SUSCRIPCION": "SUBSCRIPTION",
    "SUSCRIPCIÓN": "SUBSCRIPTION",
    "PERPETUAL_LICENSE": "PERPETUAL_LICENSE",
    "PAGO UNICO": "PERPETUAL_LICENSE",
    "PAGO ÚNICO": "PERPETUAL_LICENSE",
    "LICENCIA": "PERPETUAL_LICENSE",
}
_PERIODS = {
    "MONTHLY": "MONTHLY",
    "MENSUAL": "MONTHLY",
    "SEMIANNUAL": "SEMIANNUAL",
    "SEMESTRAL": "SEMIANNUAL",
    "ANNUAL": "ANNUAL",
    "ANUAL": "ANNUAL",
}
#: Namespace of the request_ids derived from rows (uuid5): a row read again is
#: the same request, so a re-run is a retry.
ROW_NAMESPACE = uuid.UUID("5f0d7c3e-2b1a-4c55-9a51-6c3e0d8f4a21")


class RowError(ValueError):
    """A row that cannot be read; the text is es-MX."""


@dataclass(frozen=True)
class LegacyActivation:
    hostname: str
    machine_fingerprint: str
    activate_time: dt.datetime


@dataclass(frozen=True)
class LegacyRow:
    """One row as read, values still unchecked by the server."""

    line: int
    serial_number: str
    account_id: str
    product_code: str
    version: str
    users: int
    modality: str
    billing_period: str | None
    activation_date: dt.date
    next_payment_date: dt.date | None
    installations_allowed: int
    activations: tuple[LegacyActivation, ...] = field(default=())
    cells: tuple[str, ...] = field(default=(), compare=False)

    @property
    def request_id(self) -> str:
        """A UUID derived from the row's values (not its line): re-running the
        file sends the same request_id for the same row."""
        body = "\x1f".join(self.cells).encode("utf-8", "surrogatepass")
        return str(uuid.uuid5(ROW_NAMESPACE, hashlib.sha256(body).hexdigest()))


@dataclass(frozen=True)
class Refused:
    line: int
    reason: str


def parse_date(text: str, column: str) -> dt.date:
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = text.split("/")
            if len(year) != 4:
                raise ValueError(text)
            return dt.date(int(year), int(month), int(day))
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RowError(
            f"la columna {column} no es una fecha AAAA-MM-DD o DD/MM/AAAA válida"
        ) from None


def _instant(text: str) -> dt.datetime:
    text = text.strip()
    try:
        if len(text) == 10 or "/" in text:
            day = parse_date(text, "activations")
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        when = dt.datetime.fromisoformat(text)
    except (ValueError, RowError):
        raise RowError(
            "una activación no tiene una fecha válida (AAAA-MM-DD o AAAA-MM-DDTHH:MM:SSZ)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _integer(text: str, column: str, default: int | None = None) -> int:
    text = text.strip()
    if not text and default is not None:
        return default
    if not text.isdigit() or len(text) > 6:
        raise RowError(f"la columna {column} debe ser un número entero positivo")
    return int(text)


def _activations(text: str) -> tuple[LegacyActivation, ...]:
    found = []
    for entry in text.split(";"):
        if not entry.strip():
            continue
        parts = entry.split("|")
        if len(parts) != 3:
            raise RowError("cada activación se escribe equipo|huella|fecha, separadas por ;")
        hostname, fingerprint, when = parts
        found.append(LegacyActivation(hostname.strip(), fingerprint.strip(), _instant(when)))
    return tuple(found)


def _row(line: int, header: list[str], cells: list[str]) -> LegacyRow:
    if len(cells) != len(header):
        raise RowError(f"tiene {len(cells)} columnas y el encabezado {len(header)}")
    for cell in cells:
        if "\x00" in cell:
            raise RowError("contiene un carácter nulo")
        if len(cell) > CELL_MAX_LENGTH:
            raise RowError(f"una celda pasa de {CELL_MAX_LENGTH} caracteres")
    values = dict(zip(header, cells, strict=True))
    missing = [name for name in REQUIRED if name != "billing_period" and not values[name].strip()]
    if missing:
        raise RowError("faltan datos en " + ", ".join(missing))
    modality_text = values["modality"].strip().upper()
    modality = _MODALITIES.get(modality_text)
    if modality is None:
        raise RowError("la modalidad debe ser SUBSCRIPTION (suscripción) o PERPETUAL_LICENSE")
    period_text = values["billing_period"].strip().upper()
    period = _PERIODS.get(period_text) if period_text else None
    if period_text and period is None:
        raise RowError("la periodicidad debe ser MONTHLY, SEMIANNUAL o ANNUAL")
    next_payment = values.get("next_payment_date", "").strip()
    return LegacyRow(
        line=line,
        serial_number=values["serial_number"],
        account_id=values["account_id"].strip(),
        product_code=values["product_code"].strip().upper(),
        version=values["version"].strip(),
        users=_integer(values["users"], "users"),
        modality=modality,
        billing_period=period,
        activation_date=parse_date(values["activation_date"], "activation_date"),
        next_payment_date=parse_date(next_payment, "next_payment_date") if next_payment else None,
        installations_allowed=_integer(
            values.get("installations_allowed", ""), "installations_allowed", default=1
        ),
        activations=_activations(values.get("activations", "")),
        cells=tuple(values.get(name, "") for name in COLUMNS),
    )


def read_rows(data: bytes) -> Iterator[LegacyRow | Refused]:
    """Every data row of the file, read or refused with its line number (the
    line the row starts on; the header is line 1). A file whose header is not
    usable yields one Refused for line 1 and nothing else."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield Refused(1, "el archivo no está en UTF-8")
        return
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        first = next(reader, None)
    except csv.Error:
        first = None
    if first is None:
        yield Refused(1, "el archivo no tiene encabezado")
        return
    header = ["_".join(name.strip().lower().split()) for name in first]
    unknown = [name for name in header if name not in COLUMNS]
    absent = [name for name in REQUIRED if name not in header]
    if unknown or absent or len(set(header)) != len(header):
        yield Refused(
            1,
            "el encabezado debe tener las columnas "
            + ", ".join(COLUMNS)
            + (f" (faltan: {', '.join(absent)})" if absent else "")
            + (f" (desconocidas: {', '.join(unknown)})" if unknown else ""),
        )
        return
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Refused(start, f"el renglón no es CSV válido ({exc})")
            if reader.line_num < start:  # no progress: stop rather than loop
                return
            continue
        if not any(cell.strip() for cell in cells):
            continue
        try:
            yield _row(start, header, cells)
        except RowError as exc:
            yield Refused(start, str(exc))


def request_of(
    row: LegacyRow, *, request_id: str = "", validate_only: bool = False
) -> admin_service_pb2.ImportSubscriptionRequest:
    """The AdminService.ImportSubscription request of a row."""
    return admin_service_pb2.ImportSubscriptionRequest(
        serial_number=row.serial_number,
        account_id=row.account_id,
        product_code=row.product_code,
        version=row.version,
        users=row.users,
        modality=f"MODALITY_{row.modality}",
        billing_period=f"BILLING_PERIOD_{row.billing_period or 'UNSPECIFIED'}",
        activation_date=date_message(row.activation_date),
        next_payment_date=date_message(row.next_payment_date),
        installations_allowed=row.installations_allowed,
        activations=[
            admin_service_pb2.ImportedActivation(
                hostname=known.hostname,
                machine_fingerprint=known.machine_fingerprint,
                activate_time=timestamp_message(known.activate_time),
            )
            for known in row.activations
        ],
        request_id=request_id,
        validate_only=validate_only,
    )
