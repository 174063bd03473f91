"""The password policy (domain/password_policy.py) and its shipped common list."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from aspel.licensing.server import errors
from aspel.licensing.server.domain import password_policy
from aspel.licensing.server.domain.password_policy import check, common_passwords, problems

ROOT = Path(__file__).resolve().parents[3]


def codes(password: str, username: str | None = None) -> list[str]:
    return [code for code, _ in problems(password, username)]


@pytest.mark.parametrize(
    "password",
    [
        "una tarde de lluvia en Coyoacán",
        "7 gatos negros y 1 perro",
        "correcto caballo batería grapa",
        "ñandú-águila-pingüino-colibrí",
        "雨の日に猫がピアノを静かに弾いている",  # any Unicode
        "x" * 3 + "9Qv!m2LpZ#r4Tb",
    ],
)
def test_long_uncommon_passwords_pass_without_composition_rules(password: str) -> None:
    assert codes(password) == []
    assert check(password) == unicodedata.normalize("NFC", password)


def test_fifteen_characters_is_the_minimum() -> None:
    assert codes("gato azul verde") == []  # 15 characters
    assert codes("gato azul verd") == ["TOO_SHORT"]  # 14


def test_length_counts_characters_after_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "ñandú pingüino")  # 14 characters, 17 in NFD
    assert "TOO_SHORT" in codes(decomposed)


def test_up_to_256_characters_and_no_more() -> None:
    words = "paso lento sobre la arena tibia "
    long_ok = (words * 10)[:256]
    assert check(long_ok) == long_ok
    with pytest.raises(errors.InvalidArgument):
        check(long_ok + "x")


@pytest.mark.parametrize(
    "password",
    [
        "passwordpassword",
        "Contraseña2024!!!!",
        "contrasena 123456789",
        "teamoteamoteamo",
        "P4ssw0rdP4ssw0rd",
        "123456789012345",
        "qwertyuiopasdfgh",
        "1qaz2wsx3edc4rfv",
        "aaaaaaaaaaaaaaaaaa",
        "abababababababab",
        "micuentaaspel2026",
        "!!!Guadalupe1985!!!",
        "correct horse battery staple",
    ],
)
def test_common_passwords_and_their_paddings_are_refused(password: str) -> None:
    assert "COMMON" in codes(password)


def test_the_username_may_not_appear_in_any_case() -> None:
    assert codes("mi usuario es DEMO y ya", "demo") == ["CONTAINS_USERNAME"]
    assert codes("mi usuario es de mo y ya", "demo") == ["CONTAINS_USERNAME"]
    assert codes("mi usuario es otro y ya", "demo") == []


def test_too_weak_carries_every_reason_as_violations() -> None:
    with pytest.raises(errors.PasswordTooWeak) as caught:
        check("demo2024", "demo")
    assert caught.value.reason == "PASSWORD_TOO_WEAK"
    assert caught.value.metadata["problems"] == "TOO_SHORT,CONTAINS_USERNAME"
    assert [field for field, _ in caught.value.field_violations] == ["new_password"] * 2


def test_the_list_is_shipped_with_a_few_thousand_entries() -> None:
    listed = common_passwords()
    assert len(listed) > 3000
    assert {"password", "contraseña", "teamo", "aspel", "123456789012345"} <= listed
    assert password_policy.COMMON_PASSWORDS_FILE.is_file()


def test_the_list_is_what_its_generator_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_common_passwords.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
