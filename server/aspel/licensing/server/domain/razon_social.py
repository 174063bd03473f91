"""Comparing a razón social as a person types it with the one registered.

The activation wizard asks for the razón social registered in the account. A
person writes it with other capitals, accents, spaces and punctuation, and
spells the company type in one of several ways ("S.A. de C.V.", "SA DE CV",
"Sociedad Anónima de Capital Variable"). `normalize` removes all of those
differences; `matches` also accepts a name typed without its company type,
but never two different company types.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Long forms of the company types, in their normalized spelling, and the
# abbreviation each becomes. Longer phrases first, so they win.
_LONG_FORMS: tuple[tuple[str, str], ...] = (
    ("SOCIEDAD ANONIMA PROMOTORA DE INVERSION", "SAPI"),
    ("SOCIEDAD ANONIMA BURSATIL", "SAB"),
    ("SOCIEDAD ANONIMA", "SA"),
    ("SOCIEDAD DE RESPONSABILIDAD LIMITADA", "S DE RL"),
    ("SOCIEDAD POR ACCIONES SIMPLIFICADA", "SAS"),
    ("SOCIEDAD EN COMANDITA SIMPLE", "S EN CS"),
    ("SOCIEDAD EN COMANDITA POR ACCIONES", "S EN CPA"),
    ("SOCIEDAD EN NOMBRE COLECTIVO", "S EN NC"),
    ("SOCIEDAD COOPERATIVA", "SC DE RL"),
    ("SOCIEDAD CIVIL", "SC"),
    ("ASOCIACION CIVIL", "AC"),
    ("CAPITAL VARIABLE", "CV"),
    ("RESPONSABILIDAD LIMITADA", "RL"),
)

# The company types, as normalized word sequences. Longer first, so "SA DE CV"
# is taken whole rather than as "CV" after a name ending in "SA DE".
_COMPANY_TYPES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(t.split())
            for t in (
                "SA",
                "SA DE CV",
                "SAB",
                "SAB DE CV",
                "SAPI",
                "SAPI DE CV",
                "SAS",
                "SAS DE CV",
                "S DE RL",
                "S DE RL DE CV",
                "SC",
                "SC DE RL",
                "SC DE RL DE CV",
                "SC DE CV",
                "AC",
                "S EN C",
                "S EN CS",
                "S EN CPA",
                "S EN NC",
            )
        ),
        key=len,
        reverse=True,
    )
)

_NOT_WORD = re.compile(r"[^0-9A-Z]+")
# A one-letter word with its period, when another one-letter word follows:
# "S.A.", "S. A." and "C.V" lose the periods inside ("SA.", "CV").
_INITIAL = re.compile(r"\b([A-Z])\.\s*(?=[A-Z]\b)")


@dataclass(frozen=True)
class RazonSocial:
    """A razón social split into its name and its company type ("" when none)."""

    name: str
    company_type: str

    def __str__(self) -> str:
        return f"{self.name} {self.company_type}".strip()


def _plain_words(text: str) -> list[str]:
    """Upper-case ASCII words: accents dropped, initials joined ("S. de R.L." ->
    "S DE RL"), every other mark a separator."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " Y "))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    ascii_text = _INITIAL.sub(r"\1", ascii_text)
    return [w for w in _NOT_WORD.split(ascii_text) if w]


def _abbreviate(words: list[str]) -> list[str]:
    text = f" {' '.join(words)} "
    for long_form, short in _LONG_FORMS:
        text = text.replace(f" {long_form} ", f" {short} ")
    return text.split()


def parse(text: str) -> RazonSocial:
    """The normalized name and company type of a razón social."""
    words = _abbreviate(_plain_words(text))
    for company_type in _COMPANY_TYPES:
        n = len(company_type)
        if len(words) > n and tuple(words[-n:]) == company_type:
            return RazonSocial(" ".join(words[:-n]), " ".join(company_type))
    return RazonSocial(" ".join(words), "")


def normalize(text: str) -> str:
    """One spelling for every way of writing the same razón social."""
    return str(parse(text))


def matches(typed: str, registered: str) -> bool:
    """True when `typed` names the registered company: the same name, and the
    same company type unless the person left it out."""
    given, known = parse(typed), parse(registered)
    if not given.name or given.name != known.name:
        return False
    return not given.company_type or given.company_type == known.company_type
