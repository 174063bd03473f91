"""Where the tests keep their files: in RAM when the machine has room.

On this project's machines the disk is mounted with `discard` and SQLite
commits with `synchronous=full`: every commit of a test's database waited for
the disk, and removing a PostgreSQL cluster at the end of a run took minutes.
The RAM file system behaves the same for what the tests check (files, modes,
locks, fsync calls) without the waits.
"""

from __future__ import annotations

import os

#: `1` keeps the tests' files in the usual temporary folder, on disk.
ON_DISK_ENV = "ASPEL_LICENSING_TEST_FILES_ON_DISK"
#: Less free room than this and the tests stay on disk.
MIN_ROOM = 2 * 1024**3


def memory_dir() -> str | None:
    """The RAM file system if it is writable with room to spare, else None (the usual place)."""
    shm = "/dev/shm"  # noqa: S108 (each user of it makes a folder of its own inside, mode 0700)
    if os.environ.get(ON_DISK_ENV) == "1" or not os.path.isdir(shm) or not os.access(shm, os.W_OK):
        return None
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    return shm if stats.f_bavail * stats.f_frsize > MIN_ROOM else None
