"""Files an installation keeps for itself (its licence, its private key):
written whole or not at all, readable by their owner only."""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile


def write_private_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Writes `data` atomically: to a temporary file beside `path`, flushed to
    disk, then renamed over it, so a reader never sees half a file. mkstemp
    creates the temporary file 0600, so it is never readable by others, not
    even for a moment."""
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


__all__ = ["write_private_file"]
