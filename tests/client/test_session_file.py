"""The CLI's saved session: user-only, written atomically, removed on logout."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import stat

import pytest

from aspel.licensing.client import session_file
from aspel.licensing.client.session_file import (
    Session,
    SessionFileError,
    delete_session,
    load_session,
    save_session,
    session_path,
)

SESSION = Session(
    server="127.0.0.1:50051",
    username="demo",
    session_token="tok-123",
    expire_time=dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC),
    razon_social="Comercializadora Demo, S.A. de C.V.",
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def mode_of(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_saved_file_is_readable_only_by_its_owner(session_path: pathlib.Path) -> None:
    written = save_session(SESSION)
    assert written == session_path
    assert mode_of(session_path) == 0o600
    assert mode_of(session_path.parent) == 0o700


def test_saved_session_reads_back(session_path: pathlib.Path) -> None:
    save_session(SESSION)
    assert load_session() == SESSION


@posix_only
def test_saving_over_a_wider_file_replaces_it_with_a_private_one(
    session_path: pathlib.Path,
) -> None:
    session_path.parent.mkdir(parents=True)
    session_path.write_text("{}")
    session_path.chmod(0o644)
    save_session(SESSION)
    assert mode_of(session_path) == 0o600
    assert load_session() == SESSION
    assert list(session_path.parent.iterdir()) == [session_path]  # no temporary left


def test_delete_removes_the_file(session_path: pathlib.Path) -> None:
    save_session(SESSION)
    assert delete_session() is True
    assert not session_path.exists()
    assert load_session() is None
    assert delete_session() is False


def test_a_damaged_file_is_an_error_not_a_session(session_path: pathlib.Path) -> None:
    session_path.parent.mkdir(parents=True)
    session_path.write_text("{not json")
    with pytest.raises(SessionFileError):
        load_session()


def test_repr_hides_the_token() -> None:
    assert "tok-123" not in repr(SESSION)


def test_default_path_follows_xdg_config_home(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(session_file.SESSION_FILE_ENV)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert session_path() == tmp_path / "xdg" / "aspel-licensing" / "session.json"


def test_without_xdg_config_home_the_path_is_under_dot_config(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(session_file.SESSION_FILE_ENV)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert session_path() == tmp_path / ".config" / "aspel-licensing" / "session.json"


def test_the_environment_variable_overrides_the_path(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(session_file.SESSION_FILE_ENV, str(tmp_path / "elsewhere.json"))
    save_session(SESSION)
    assert (tmp_path / "elsewhere.json").exists()
