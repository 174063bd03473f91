"""The raw durable SQLite transaction rate: the most write transactions per
second this machine's disk lets SQLite commit.

One connection with the server's own pragmas (write-ahead log,
`synchronous=FULL`: each commit waits for the disk) runs BEGIN IMMEDIATE /
one INSERT / COMMIT in a tight loop, on a file beside the working copies (the
same file system). No gRPC, no server, no ORM: the ceiling of the RPCs that
write (AcceptUpgrade, ActivateInstallation), as argon2_rate.py is that of
Authenticate. SQLite serializes writers, so one connection is the ceiling: more
processes would only queue on the write lock.
"""

from __future__ import annotations

import contextlib
import pathlib
import sqlite3
import time

from aspel.licensing.server.store.database import SQLITE_PRAGMAS

#: About the size of an activation row (ids, a fingerprint, a hostname, times).
PAYLOAD = "x" * 200


def commit_rate(path: pathlib.Path, *, warmup: float, duration: float) -> float:
    """Committed transactions per second after `warmup` seconds, over `duration`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove(path)
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            for name, value in SQLITE_PRAGMAS.items():
                connection.execute(f"PRAGMA {name}={value}")
            connection.execute("CREATE TABLE row (id INTEGER PRIMARY KEY, payload TEXT, t REAL)")
            t0 = time.perf_counter()
            begin, end = t0 + warmup, t0 + warmup + duration
            count = 0
            while (now := time.perf_counter()) < end:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO row (payload, t) VALUES (?, ?)", (PAYLOAD, now))
                connection.execute("COMMIT")
                if now >= begin:
                    count += 1
            return count / duration
        finally:
            connection.close()
    finally:
        _remove(path)


def _remove(path: pathlib.Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            pathlib.Path(f"{path}{suffix}").unlink()
