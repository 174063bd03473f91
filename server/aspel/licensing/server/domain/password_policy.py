"""What a new password must be (NIST SP 800-63B, section 3.1.1.2).

At least 15 characters and up to 256, any Unicode (compared after NFC, so the
same text typed on two keyboards is the same password), spaces allowed, no
rules about digits, capitals or symbols. Refused when it is, or boils down to,
one of the common passwords shipped in `common_passwords.txt`, when it is one
character or two repeated, or when it contains the username.

"Boils down to": spaces and separators removed, digits and symbols at both ends
removed, a repeated chunk counted once ("teamoteamoteamo" -> "teamo") and
leetspeak undone ("p4ssw0rd" -> "password"). So padding a favourite with a year
and an exclamation mark does not make it a new password.
"""

from __future__ import annotations

import functools
import pathlib
import string
import unicodedata

from .. import errors

MIN_LENGTH = 15
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = pathlib.Path(__file__).with_name("common_passwords.txt")

# Passwords with at most this many distinct characters are refused as predictable.
_MIN_DISTINCT = 4
_SEPARATORS = " \t-_.,;:/\\|"
_PADDING = string.digits + string.punctuation + "¡¿°¬ " + _SEPARATORS
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def normalize(password: str) -> str:
    """The password as it is hashed and compared: NFC, otherwise untouched."""
    return unicodedata.normalize("NFC", password)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text.casefold())


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    )


def _unit(text: str) -> str:
    """The shortest chunk that repeated makes `text` ("abcabc" -> "abc")."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return text


def stems(password: str) -> set[str]:
    """Every form of `password` compared with the common list."""
    compact = "".join(c for c in _folded(password) if c not in _SEPARATORS)
    core = compact.strip(_PADDING)
    forms = {compact, core, _unit(compact), _unit(core)}
    for form in list(forms):
        forms.add(_unaccented(form))
        # Leetspeak inside the word, after the padding is gone: "p@ssw0rd".
        unleet = form.translate(_LEET)
        forms.update({unleet, _unit(unleet), _unaccented(unleet)})
    return {f for f in forms if f}


def problems(password: str, username: str | None = None) -> list[tuple[str, str]]:
    """(code, es-MX sentence) for each rule `password` breaks; empty when it is fine."""
    text = normalize(password)
    found: list[tuple[str, str]] = []
    if len(text) < MIN_LENGTH:
        found.append(
            (
                "TOO_SHORT",
                f"Debe tener al menos {MIN_LENGTH} caracteres (tiene {len(text)}); puedes usar "
                "espacios, acentos, la ñ y cualquier símbolo.",
            )
        )
    compact = "".join(c for c in _folded(text) if c not in _SEPARATORS)
    if len(set(compact)) < _MIN_DISTINCT or stems(text) & common_passwords():
        found.append(
            (
                "COMMON",
                "Es una de las contraseñas más usadas o se parece demasiado a una de ellas "
                "(agregar números, años o signos al principio o al final no la vuelve segura).",
            )
        )
    if username:
        name = _folded(username.strip())
        if len(name) >= 3 and (name in _folded(text) or name in compact):
            found.append(("CONTAINS_USERNAME", "No debe contener tu nombre de usuario."))
    return found


def check(password: str, username: str | None = None, field: str = "new_password") -> str:
    """The NFC password when it follows the policy; PASSWORD_TOO_WEAK or, when longer
    than MAX_LENGTH, INVALID_ARGUMENT otherwise."""
    text = normalize(password)
    if len(text) > MAX_LENGTH:
        raise errors.InvalidArgument(
            field_violations=[(field, f"La contraseña admite como máximo {MAX_LENGTH} caracteres.")]
        )
    found = problems(text, username)
    if found:
        raise errors.PasswordTooWeak(field, found)
    return text
