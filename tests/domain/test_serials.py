"""Serial numbers: unguessable, typo-proof, forgiving on input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspel.licensing.server.domain import serials

data_strings = st.text(alphabet=serials.ALPHABET, min_size=serials.DATA_LENGTH, max_size=14)


def with_check(data: str) -> str:
    return data + serials._check_character(data)


def test_generated_serials_are_canonical_and_distinct() -> None:
    made = {serials.generate() for _ in range(2000)}
    assert len(made) == 2000
    assert all(serials.normalize(s) == s for s in made)
    assert all(len(s) == serials.LENGTH for s in made)


def test_serial_carries_at_least_60_random_bits() -> None:
    assert serials.DATA_LENGTH * math.log2(len(serials.ALPHABET)) >= 60


def test_input_in_any_case_with_or_without_dashes_is_accepted() -> None:
    serial = serials.generate()
    shown = serials.display(serial)
    assert shown.count("-") == 2
    assert serials.normalize(shown.lower()) == serial
    assert serials.normalize(f"  {shown}  ") == serial
    assert serials.normalize(serial.lower()) == serial


def test_lookalike_letters_read_as_digits() -> None:
    serial = with_check("10101010101010")
    typed = serial[:-1].replace("1", "I").replace("0", "O") + serial[-1]
    assert serials.normalize(typed) == serial


@given(data_strings, st.integers(0, serials.LENGTH - 1), st.sampled_from(serials.ALPHABET))
def test_any_single_mistyped_character_is_caught(data: str, position: int, char: str) -> None:
    serial = with_check(data)
    if serial[position] == char:
        return
    typo = serial[:position] + char + serial[position + 1 :]
    assert serials.normalize(typo) is None


@pytest.mark.parametrize("position", range(serials.LENGTH - 1))
def test_swapping_zero_and_the_last_symbol_is_caught(position: int) -> None:
    # The case Luhn mod N misses.
    data = ["0"] * serials.DATA_LENGTH
    if position < serials.DATA_LENGTH:
        data[position] = serials.ALPHABET[-1]
    serial = with_check("".join(data))
    a, b = serial[position], serial[position + 1]
    if a != b:
        assert serials.normalize(serial[:position] + b + a + serial[position + 2 :]) is None


@given(data_strings, st.integers(0, serials.LENGTH - 2))
def test_any_swap_of_neighbours_is_caught(data: str, position: int) -> None:
    serial = with_check(data)
    a, b = serial[position], serial[position + 1]
    if a == b:
        return
    swapped = serial[:position] + b + a + serial[position + 2 :]
    assert serials.normalize(swapped) is None


def test_wrong_length_and_foreign_characters_are_refused() -> None:
    serial = serials.generate()
    assert serials.normalize(serial[:-1]) is None
    assert serials.normalize(serial + "0") is None
    assert serials.normalize(serial[:-1] + "U") is None
    assert serials.normalize(serial[:-1] + "Z") is None
    assert serials.normalize("") is None


# --- legacy serials (imported from Aspel's earlier system) -------------------


@pytest.mark.parametrize("typed", ["SKSNWR", "sksnwr", " sk-sn wr ", "S-K-S-N-W-R"])
def test_a_legacy_serial_reads_the_same_however_typed(typed: str) -> None:
    assert serials.normalize(typed) == "SKSNWR"
    assert serials.is_legacy("SKSNWR")
    assert serials.display("SKSNWR") == "SKSNWR"  # as printed, not grouped


def test_a_legacy_serial_keeps_its_lookalikes() -> None:
    assert serials.normalize("olivar") == "OLIVAR"


@pytest.mark.parametrize(
    "typed",
    ["ABCDE", "ABCDE-12345", "ABCDEFGHI", "12345678", "SKS\x00NWR", "SKSÑWR", "SKS_NWR", ""],
)
def test_what_is_not_a_legacy_shape_is_not_a_serial(typed: str) -> None:
    assert serials.normalize_legacy(typed) is None
    assert serials.normalize(typed) is None


@given(data_strings)
def test_no_native_serial_is_ever_read_as_legacy(data: str) -> None:
    serial = data + serials._check_character(data)
    assert serials.normalize_legacy(serial) is None
    assert not serials.is_legacy(serials.normalize(serial) or "")
    # One character too few or too many is malformed, never a legacy lookup.
    assert serials.normalize(serial[:-1]) is None
    assert serials.normalize(serial + "A") is None
