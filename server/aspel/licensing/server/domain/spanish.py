"""es-MX wording of dates and enumerations, for terms, emails and messages."""

from __future__ import annotations

import datetime as dt

_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)

BILLING_PERIODS_ES = {"MONTHLY": "mensual", "SEMIANNUAL": "semestral", "ANNUAL": "anual"}


def long_date(day: dt.date) -> str:
    """10 de marzo de 2022."""
    return f"{day.day} de {_MONTHS[day.month - 1]} de {day.year}"


def time_of_day(instant: dt.datetime) -> str:
    """14:05 del 10 de marzo de 2022 (already in the business time zone)."""
    return f"{instant:%H:%M} del {long_date(instant.date())}"
