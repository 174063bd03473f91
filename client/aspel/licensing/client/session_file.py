"""The saved login of the CLI: a JSON file only its owner can read (0600).

The file holds the session token, so it is written the careful way
(`private_files.write_atomically`): to a new temporary file in the same
folder, created with O_CREAT|O_EXCL and mode 0600, flushed to disk, then
renamed over the old one with `os.replace`. A reader never sees half a file,
and the token is never in a file with wider permissions, not even for a
moment. The folder is created 0700.

Where it lives: `$ASPEL_LICENSING_SESSION_FILE` when set; otherwise
`$XDG_CONFIG_HOME/aspel-licensing/session.json`, with `~/.config` when
`XDG_CONFIG_HOME` is unset or not an absolute path (XDG Base Directory spec).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
from dataclasses import dataclass, field

from .private_files import write_atomically

SESSION_FILE_ENV = "ASPEL_LICENSING_SESSION_FILE"
APP_DIR = "aspel-licensing"
FILE_NAME = "session.json"
FORMAT_VERSION = 1


class SessionFileError(Exception):
    """The session file exists but cannot be read as a session."""


@dataclass(frozen=True)
class Session:
    """A login kept between runs of the CLI."""

    server: str
    username: str
    session_token: str = field(repr=False)
    expire_time: dt.datetime | None = None
    razon_social: str = ""


def config_file(name: str, override_env: str) -> pathlib.Path:
    """A file of this package's configuration: $`override_env` if set, else
    `name` in $XDG_CONFIG_HOME/aspel-licensing (~/.config when unset or relative)."""
    override = os.environ.get(override_env)
    if override:
        return pathlib.Path(override).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME", "")
    base = (
        pathlib.Path(config_home) if os.path.isabs(config_home) else pathlib.Path.home() / ".config"
    )
    return base / APP_DIR / name


def session_path() -> pathlib.Path:
    """Where the session file is (see the module docstring)."""
    return config_file(FILE_NAME, SESSION_FILE_ENV)


def save_session(session: Session, path: pathlib.Path | None = None) -> pathlib.Path:
    """Writes the session atomically with mode 0600; returns the path."""
    path = path or session_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = {
        "version": FORMAT_VERSION,
        "server": session.server,
        "username": session.username,
        "razon_social": session.razon_social,
        "session_token": session.session_token,
        "expire_time": (
            session.expire_time.isoformat() if session.expire_time is not None else None
        ),
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    write_atomically(path, text.encode("utf-8"))
    return path


def load_session(path: pathlib.Path | None = None) -> Session | None:
    """The saved session, or None when there is none."""
    path = path or session_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SessionFileError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
        expire = data.get("expire_time")
        session = Session(
            server=str(data["server"]),
            username=str(data["username"]),
            session_token=str(data["session_token"]),
            expire_time=dt.datetime.fromisoformat(expire) if expire else None,
            razon_social=str(data.get("razon_social", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SessionFileError(f"{path} is not a session file") from exc
    if not session.session_token:
        raise SessionFileError(f"{path} has no session token")
    return session


def delete_session(path: pathlib.Path | None = None) -> bool:
    """Removes the session file; False when there was none."""
    path = path or session_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
