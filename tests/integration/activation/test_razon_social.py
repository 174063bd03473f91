"""Normalizing a razón social: properties over generated names (hypothesis)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspel.licensing.server.domain.razon_social import matches, normalize, parse


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Spanish company names: letters with and without accents, digits.
LETTERS = "abcdefghijklmnñopqrstuvwxyzáéíóúüABCDEFGHIJKLMNÑOPQRSTUVWXYZÁÉÍÓÚÜ"
# Words that spell a company type, or part of one, are kept out of the names:
# a name that ends in "SA" is read as having the company type SA.
RESERVED = {
    "SA", "SAB", "SAPI", "SAS", "SC", "AC", "DE", "CV", "RL", "EN", "CS", "CPA", "NC",
    "SOCIEDAD", "ASOCIACION", "ANONIMA", "CIVIL", "CAPITAL", "VARIABLE", "RESPONSABILIDAD",
    "LIMITADA", "COOPERATIVA", "COMANDITA", "SIMPLE", "ACCIONES", "SIMPLIFICADA", "POR",
    "PROMOTORA", "INVERSION", "BURSATIL", "NOMBRE", "COLECTIVO",
}  # fmt: skip
word = st.text(alphabet=LETTERS + "0123456789", min_size=2, max_size=12).filter(
    lambda w: strip_accents(w).upper() not in RESERVED
)
names = st.lists(word, min_size=1, max_size=5)
separators = st.sampled_from([" ", "  ", " \t ", ", ", " - ", ". "])

# Every spelling of one company type, by its normalized form.
SPELLINGS = {
    "SA DE CV": [
        "S.A. de C.V.",
        "SA DE CV",
        "s. a. de c. v.",
        "S.A. DE C.V",
        "Sociedad Anónima de Capital Variable",
    ],
    "S DE RL DE CV": ["S. de R.L. de C.V.", "S DE RL DE CV", "s de r.l. de c.v."],
    "S DE RL": ["S. de R.L.", "S DE RL", "Sociedad de Responsabilidad Limitada"],
    "SC": ["S.C.", "SC", "s. c.", "Sociedad Civil"],
    "AC": ["A.C.", "AC", "Asociación Civil"],
    "SAPI DE CV": ["S.A.P.I. de C.V.", "SAPI DE CV"],
    "SAS": ["S.A.S.", "SAS"],
}
company_types = st.sampled_from(sorted(SPELLINGS))


@given(names, separators)
def test_normalizing_twice_changes_nothing(words: list[str], separator: str) -> None:
    once = normalize(separator.join(words))
    assert normalize(once) == once


@given(names)
def test_case_does_not_matter(words: list[str]) -> None:
    text = " ".join(words)
    assert normalize(text.lower()) == normalize(text.upper()) == normalize(text)


@given(names)
def test_accents_do_not_matter(words: list[str]) -> None:
    text = " ".join(words)
    assert normalize(strip_accents(text)) == normalize(text)


@given(names, st.lists(separators, min_size=5, max_size=5))
def test_spacing_and_punctuation_between_words_do_not_matter(
    words: list[str], between: list[str]
) -> None:
    spaced = "".join(w + s for w, s in zip(words, between, strict=False))
    assert normalize(f"  {spaced}  ") == normalize(" ".join(words))


@given(names, company_types, st.data())
def test_every_spelling_of_a_company_type_is_the_same(
    words: list[str], company_type: str, data: st.DataObject
) -> None:
    a = data.draw(st.sampled_from(SPELLINGS[company_type]))
    b = data.draw(st.sampled_from(SPELLINGS[company_type]))
    name = " ".join(words)
    assert matches(f"{name}, {a}", f"{name} {b}")
    assert parse(f"{name}, {a}").company_type == company_type


@given(names, company_types)
def test_the_company_type_may_be_left_out(words: list[str], company_type: str) -> None:
    name = " ".join(words)
    registered = f"{name}, {SPELLINGS[company_type][0]}"
    assert matches(name, registered)


@given(names, company_types, company_types)
def test_a_different_company_type_never_matches(
    words: list[str], registered_type: str, typed_type: str
) -> None:
    name = " ".join(words)
    typed = f"{name} {SPELLINGS[typed_type][0]}"
    registered = f"{name} {SPELLINGS[registered_type][0]}"
    assert matches(typed, registered) == (typed_type == registered_type)


@given(names, names, company_types)
def test_different_names_never_match(
    typed_words: list[str], registered_words: list[str], company_type: str
) -> None:
    typed, registered = " ".join(typed_words), " ".join(registered_words)
    suffix = SPELLINGS[company_type][0]
    assert matches(f"{typed} {suffix}", f"{registered} {suffix}") == (
        normalize(typed) == normalize(registered)
    )


@pytest.mark.parametrize("empty", ["", "   ", ".,;", "S.A. de C.V."])
def test_nothing_but_punctuation_or_a_company_type_matches_no_name(empty: str) -> None:
    assert not matches(empty, "Comercializadora Demo, S.A. de C.V.")


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("Comercializadora Demo, S.A. de C.V.", "COMERCIALIZADORA DEMO SA DE CV"),
        ("Pérez & Hijos, S. de R.L. de C.V.", "PEREZ Y HIJOS S DE RL DE CV"),
        ("Servicios Contables Ejemplo, S.C.", "SERVICIOS CONTABLES EJEMPLO SC"),
        ("Grupo X, S.A.", "GRUPO X SA"),
    ],
)
def test_known_names_normalize_as_expected(typed: str, normalized: str) -> None:
    assert normalize(typed) == normalized
