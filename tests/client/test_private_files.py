"""The one atomic write of the client's files: which ones are private (0600)
and which keep the mode a new file gets (the trusted time)."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from aspel.licensing.client.installation_key import InstallationKey
from aspel.licensing.client.license_verification import TrustedTime
from aspel.licensing.client.private_files import write_atomically
from aspel.licensing.client.session_file import Session, save_session


@pytest.fixture
def umask():
    """Sets the process umask for one test and puts the old one back."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_private_file_is_exactly_0600_whatever_the_umask(tmp_path, umask):
    umask(0o000)
    write_atomically(tmp_path / "a.lic", b"licence")
    umask(0o277)  # would leave the owner unable to write it again
    write_atomically(tmp_path / "b.lic", b"licence")
    assert mode_of(tmp_path / "a.lic") == 0o600
    assert mode_of(tmp_path / "b.lic") == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_session_file_is_private(tmp_path, umask):
    umask(0o000)
    path = save_session(Session("127.0.0.1:1", "demo", "tok"), tmp_path / "s" / "session.json")
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700


def test_the_trusted_time_file_keeps_the_mode_a_new_file_gets(tmp_path, umask):
    # The records are signed and hold no secret: the file is written as open()
    # writes a new file (0666 less the umask), as it always was, not 0600.
    umask(0o022)
    path = tmp_path / "SAE.lic.time"
    TrustedTime(path, key=InstallationKey.generate()).reset(dt.datetime.now(dt.UTC))
    assert mode_of(path) == 0o644
    umask(0o002)
    TrustedTime(path, key=InstallationKey.generate()).reset(dt.datetime.now(dt.UTC))
    assert mode_of(path) == 0o664
