"""The text forms of offline activation: the dictated code (per-group check
characters), the armored file text, and the QR code read back by a reader."""

from __future__ import annotations

import os
import pathlib
import random

import pytest
import zxingcpp
from PIL import Image

from aspel.licensing.client import offline_code
from aspel.licensing.client.offline import qr_png, qr_terminal
from aspel.licensing.client.offline_code import (
    ALPHABET,
    LICENSE,
    REQUEST,
    OfflineCodeError,
    decode_code,
    encode_code,
    read_any,
)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 7, 31, 64, 199, 400])
def test_round_trip_in_any_case_and_spacing(size: int) -> None:
    payload = os.urandom(size)
    code = encode_code(REQUEST, payload)
    assert all(len(group) == 5 for group in code.split("-"))
    assert set(code) <= set(ALPHABET + "-")
    typed = code.lower().replace("-", " ")
    assert decode_code(typed, REQUEST) == payload
    assert read_any(offline_code.display(code), REQUEST) == payload


def test_crockford_look_alikes_read_as_digits() -> None:
    payload = bytes(range(40))
    code = encode_code(REQUEST, payload)
    assert decode_code(code.replace("0", "O").replace("1", "I"), REQUEST) == payload


def test_every_single_character_typo_is_caught_in_its_group() -> None:
    code = encode_code(REQUEST, os.urandom(120)).replace("-", "")
    rng = random.Random(7)
    for position in range(len(code)):
        wrong = rng.choice([c for c in ALPHABET if c != code[position]])
        typo = code[:position] + wrong + code[position + 1 :]
        with pytest.raises(OfflineCodeError) as caught:
            decode_code(typo, REQUEST)
        assert caught.value.group == position // 5 + 1


def test_a_group_left_out_or_swapped_is_caught() -> None:
    groups = encode_code(REQUEST, os.urandom(60)).split("-")
    with pytest.raises(OfflineCodeError):
        decode_code("-".join(groups[:3] + groups[4:]), REQUEST)
    swapped = groups[:]
    swapped[2], swapped[3] = swapped[3], swapped[2]
    with pytest.raises(OfflineCodeError):
        decode_code("-".join(swapped), REQUEST)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "ABCD", "UUUUU", "!!!!!", "A" * 9000, "ABCDE\0FGHIJ", "-----BEGIN ASPEL"],
)
def test_garbage_is_refused(text: str) -> None:
    with pytest.raises(OfflineCodeError):
        read_any(text, REQUEST)


def test_a_licence_code_is_not_a_request_code() -> None:
    code = encode_code(LICENSE, b"licence bytes")
    with pytest.raises(OfflineCodeError):
        decode_code(code, REQUEST)
    assert decode_code(code, LICENSE) == b"licence bytes"


def test_armored_text_round_trip_with_text_around_it() -> None:
    payload = os.urandom(150)
    text = offline_code.armor(REQUEST, payload)
    assert text.startswith(offline_code.REQUEST_BEGIN)
    assert read_any("Hola, va la solicitud:\r\n" + text + "\r\nSaludos", REQUEST) == payload
    with pytest.raises(OfflineCodeError):
        read_any(text.replace("A", "*", 3), REQUEST)


def test_qr_png_decodes_back_to_the_code(tmp_path: pathlib.Path) -> None:
    payload = os.urandom(200)
    code = encode_code(REQUEST, payload)
    path = tmp_path / "solicitud.png"
    qr_png(code, path)
    read = zxingcpp.read_barcodes(Image.open(path))
    assert [r.text for r in read] == [code]
    assert read[0].format == zxingcpp.BarcodeFormat.QRCode
    assert decode_code(read[0].text, REQUEST) == payload


def test_qr_terminal_is_text() -> None:
    art = qr_terminal(encode_code(REQUEST, b"x" * 50))
    assert len(art.splitlines()) > 10
