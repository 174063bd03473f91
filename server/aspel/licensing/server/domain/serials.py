"""Serial numbers: 14 random characters (69 bits) plus a check character.

The alphabet is Crockford's base 32 without Z (too like 2): 31 symbols, none of
I, L, O or U, so nothing reads as anything else; on input I and L read as 1 and
O as 0, and case, spaces and dashes do not matter. The check character is the
position-weighted sum of the data modulo 31, a prime: since no two symbols
differ by a multiple of 31 and the weights 1..14 are distinct, it catches every
single mistyped character and every swap of two neighbours (Luhn mod 32, by
contrast, misses the swap of 0 and the last symbol).

Legacy serials, brought in by AdminService.ImportSubscription from Aspel's
earlier system (the seed's "SKSNWR"), have their own shape: 6 to 8 letters
A-Z and digits with at least one letter, canonical in upper case without
spaces or dashes, and printed exactly so. No legacy serial can be read as a
native one: a native serial has 15 characters, a legacy one at most 8, and
the lookalikes I, L and O are kept as typed (an old code "OLIVAR" is not
"011VAR"). A native serial typed with a character too few or too many (14 or
16), or only its first one or two groups (5 or 10), is neither shape, so it is
refused as malformed rather than looked up.
"""

from __future__ import annotations

import operator
import secrets
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_SYMBOLS = frozenset(ALPHABET)
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
DATA_LENGTH = 14  # 14 x log2(31) = 69.4 random bits
LENGTH = DATA_LENGTH + 1
GROUP = 5
LEGACY_MIN_LENGTH, LEGACY_MAX_LENGTH = 6, 8
_LEGACY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


_WEIGHTS = range(1, DATA_LENGTH + 1)


def _check_character(data: str) -> str:
    """The check character of `data`: exactly DATA_LENGTH symbols (map stops at the weights)."""
    # sum(weight * value) with the loop in C: every installer's call reads a serial.
    total = sum(map(operator.mul, _WEIGHTS, map(_VALUE.__getitem__, data)))
    return ALPHABET[total % len(ALPHABET)]


def generate() -> str:
    """A new serial in canonical form (no dashes)."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return data + _check_character(data)


def generate_unused(in_use: Callable[[str], bool]) -> str:
    """A new serial that `in_use` (the store's lookup) does not know yet.

    A collision has a chance of 2^-70 per try; cheap to be sure all the same.
    """
    serial = generate()
    while in_use(serial):
        serial = generate()
    return serial


def _squeezed(text: str) -> str:
    return "".join(text.split()).replace("-", "").upper()


def normalize_legacy(text: str) -> str | None:
    """The canonical form of a legacy serial as typed, or None when the text
    does not have a legacy serial's shape."""
    return _legacy(_squeezed(text))


def _legacy(cleaned: str) -> str | None:
    if (
        not LEGACY_MIN_LENGTH <= len(cleaned) <= LEGACY_MAX_LENGTH
        or any(ch not in _LEGACY_CHARACTERS for ch in cleaned)
        or cleaned.isdigit()
    ):
        return None
    return cleaned


def is_legacy(canonical: str) -> bool:
    """True for the canonical form of a legacy (imported) serial."""
    return len(canonical) <= LEGACY_MAX_LENGTH


def normalize(text: str) -> str | None:
    """The canonical form of what a person typed, native or legacy, or None
    when it is not a serial."""
    squeezed = _squeezed(text)
    legacy = _legacy(squeezed)
    if legacy is not None:
        return legacy
    cleaned = squeezed.translate(_LOOKALIKES)
    if len(cleaned) != LENGTH or not _SYMBOLS.issuperset(cleaned):
        return None
    if _check_character(cleaned[:DATA_LENGTH]) != cleaned[-1]:
        return None
    return cleaned


def display(canonical: str) -> str:
    """XXXXX-XXXXX-XXXXX, the form printed on screens and emails; a legacy
    serial as it was printed (its canonical form)."""
    if is_legacy(canonical):
        return canonical
    return "-".join(canonical[i : i + GROUP] for i in range(0, len(canonical), GROUP))
