"""Serial numbers: 70 random bits in Crockford's base 32, plus a check character.

Crockford's alphabet leaves out I, L, O and U, so nothing looks like anything
else; on input I and L read as 1 and O as 0, case and dashes do not matter. The
check character is Luhn mod 32 over the 14 data characters: it catches every
single mistyped character and every swap of two neighbours.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
DATA_LENGTH = 14  # 14 x 5 = 70 random bits
LENGTH = DATA_LENGTH + 1
GROUP = 5


def _check_character(data: str) -> str:
    n = len(ALPHABET)
    total = 0
    factor = 2
    for ch in reversed(data):
        addend = factor * _VALUE[ch]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def generate() -> str:
    """A new serial in canonical form (no dashes)."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return data + _check_character(data)


def normalize(text: str) -> str | None:
    """The canonical form of what a person typed, or None when it is not a serial."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(cleaned) != LENGTH or any(ch not in _VALUE for ch in cleaned):
        return None
    if _check_character(cleaned[:DATA_LENGTH]) != cleaned[-1]:
        return None
    return cleaned


def display(canonical: str) -> str:
    """XXXXX-XXXXX-XXXXX, the form printed on screens and emails."""
    return "-".join(canonical[i : i + GROUP] for i in range(0, len(canonical), GROUP))
