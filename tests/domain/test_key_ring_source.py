"""The key file is asked whether it was replaced at most once a second (one
`stat`, not one per licence), and a rotation is picked up within that second."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from aspel.licensing.server.domain import signing
from aspel.licensing.server.domain.signing import (
    KeyRingSource,
    generate_key_file,
    rotate_key_file,
)

NOW = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "keys.json"
    generate_key_file(path, NOW)
    return path


def test_a_rotation_is_picked_up_once_a_second_has_passed(key_file: pathlib.Path) -> None:
    clock = Seconds()
    source = KeyRingSource(key_file, clock=clock)
    first = source.current().active_key_id
    rotated = rotate_key_file(key_file, NOW + dt.timedelta(days=1))

    clock.now += 0.5
    assert source.current().active_key_id == first  # within the second: not asked yet
    clock.now += 0.5
    assert source.current().active_key_id == rotated.key_id


def test_the_file_is_asked_at_most_once_a_second(
    key_file: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Seconds()
    source = KeyRingSource(key_file, clock=clock)
    stats: list[object] = []
    real_stat = signing.os.stat
    monkeypatch.setattr(signing.os, "stat", lambda path: stats.append(path) or real_stat(path))

    for _ in range(100):
        source.current()
        clock.now += 0.001
    assert len(stats) == 1
    clock.now += 1.0
    source.current()
    assert len(stats) == 2


def test_a_clock_that_went_back_asks_again(key_file: pathlib.Path) -> None:
    clock = Seconds()
    source = KeyRingSource(key_file, clock=clock)
    source.current()
    rotated = rotate_key_file(key_file, NOW + dt.timedelta(days=1))
    clock.now -= 3600
    assert source.current().active_key_id == rotated.key_id
