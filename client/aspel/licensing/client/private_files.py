"""Files an installation keeps for itself (its licence, its private key, the
CLI's session, the trusted time): written whole or not at all, the secret
ones readable by their owner only."""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets

#: os.open's flags for a new temporary file: never an existing one (nor a link
#: put there), and on Windows bytes as they are (as tempfile.mkstemp opens).
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_atomically(path: str | os.PathLike[str], data: bytes, *, private: bool = True) -> None:
    """Writes `data` atomically: to a new temporary file beside `path`,
    flushed to disk, then renamed over it, so a reader never sees half a file.

    `private` (a licence, a key, a session token): the temporary file is
    created 0600 and set to exactly 0600, so the data is never readable by
    others, not even for a moment. Otherwise (the trusted time, which is
    signed and holds no secret) the file gets the mode `open()` gives a new
    file, 0666 less the umask."""
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, _NEW_FILE, 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            if private and hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), 0o600)  # whatever the umask took away
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


__all__ = ["write_atomically"]
