"""The Ed25519 keys that sign licences, kept in one key file.

The key file is JSON, readable by its owner only (mode 0600), and is the only
place a private key exists: never in the database, in a log, an error or a
response. It holds one ACTIVE key, which signs every new licence, and the
RETIRED keys before it, still listed so that licences they signed verify.
`aspel-licensing-server keys generate|rotate|list` manage it; the server
reloads it when it changes, so a rotation needs no restart.

Every write goes to a new file that replaces the old one in one step
(`os.replace`), under a lock, so a crash or a concurrent rotation never leaves
a half-written or lost key.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import pathlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

KEY_FILE_FORMAT = "aspel-licensing-signing-keys/1"
ACTIVE = "ACTIVE"
RETIRED = "RETIRED"
FILE_MODE = 0o600


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable, malformed or open to other users.
    The message names the file, never a key."""


class KeyFileExists(KeyFileError):
    """`generate` refuses to replace existing keys (use `rotate`)."""


@dataclass(frozen=True)
class PublicKeyView:
    key_id: str
    public_key: bytes  # 32 raw bytes
    state: str
    create_time: dt.datetime


@dataclass(frozen=True)
class Signature:
    key_id: str
    signature: bytes


class _Key:
    """One key pair. Its repr and str name the key, never its private half."""

    __slots__ = ("create_time", "key_id", "private_key", "public_bytes", "state")

    def __init__(
        self, private_key: Ed25519PrivateKey, state: str, create_time: dt.datetime
    ) -> None:
        self.private_key = private_key
        self.public_bytes = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id_of(self.public_bytes)
        self.state = state
        self.create_time = create_time

    def __repr__(self) -> str:
        return f"<signing key {self.key_id} {self.state}>"

    __str__ = __repr__

    def view(self) -> PublicKeyView:
        return PublicKeyView(self.key_id, self.public_bytes, self.state, self.create_time)


def key_id_of(public_key: bytes) -> str:
    """A key's id: a digest of its public half, so it can be checked against it."""
    return "ed25519-" + hashlib.sha256(public_key).hexdigest()[:16]


class KeyRing:
    """The keys of one key file: exactly one active, the others retired, newest first."""

    def __init__(self, keys: list[_Key]) -> None:
        actives = [k for k in keys if k.state == ACTIVE]
        if len(actives) != 1:
            raise KeyFileError(f"the key file must hold exactly one active key, not {len(actives)}")
        self._keys = sorted(keys, key=lambda k: k.create_time, reverse=True)
        self._active = actives[0]

    @property
    def active_key_id(self) -> str:
        """The key that signs now (the operator's metrics show it)."""
        return self._active.key_id

    def sign(self, data: bytes) -> Signature:
        return Signature(self._active.key_id, self._active.private_key.sign(data))

    def keys(self) -> list[_Key]:
        return list(self._keys)

    def public_keys(self) -> list[PublicKeyView]:
        """Every key, newest first."""
        return [k.view() for k in self._keys]

    def __repr__(self) -> str:
        return f"<KeyRing active={self._active.key_id} keys={len(self._keys)}>"


# --- the file -------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _encode(keys: list[_Key]) -> bytes:
    document = {
        "format": KEY_FILE_FORMAT,
        "keys": [
            {
                "key_id": k.key_id,
                "state": k.state,
                "create_time": k.create_time.astimezone(dt.UTC).isoformat(),
                "public_key": _b64(k.public_bytes),
                "private_key": _b64(
                    k.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
                ),
            }
            for k in sorted(keys, key=lambda k: k.create_time, reverse=True)
        ],
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _decode(path: pathlib.Path, raw: bytes) -> list[_Key]:
    try:
        document = json.loads(raw)
        if document.get("format") != KEY_FILE_FORMAT:
            raise ValueError("format")
        keys = []
        for item in document["keys"]:
            private = Ed25519PrivateKey.from_private_bytes(
                base64.b64decode(item["private_key"], validate=True)
            )
            key = _Key(private, item["state"], dt.datetime.fromisoformat(item["create_time"]))
            if key.state not in (ACTIVE, RETIRED) or key.key_id != item["key_id"]:
                raise ValueError("key")
            keys.append(key)
    except (ValueError, KeyError, TypeError, AttributeError):
        # `from None`: the parsing error could quote the file's content.
        raise KeyFileError(f"{path} is not a valid signing key file") from None
    return keys


def _check_private(path: pathlib.Path, mode: int) -> None:
    """Owner only (0600, 0400), or also its group reading it (0640, 0440): a
    container secret or a systemd credential is often owned by root and
    readable by the server's group. Group write and any bit for others are
    refused: another user could read or replace the key that signs licences."""
    if os.name == "posix" and mode & 0o027:
        raise KeyFileError(
            f"{path} can be read or changed by other users (mode {mode & 0o777:o}); "
            f"run `chmod 600 {path}` (or 640 for a group that must read it)"
        )


def read_key_file(path: pathlib.Path) -> KeyRing:
    try:
        with path.open("rb") as handle:
            _check_private(path, os.fstat(handle.fileno()).st_mode)
            raw = handle.read()
    except FileNotFoundError:
        raise KeyFileError(
            f"no signing key file at {path}: run `aspel-licensing-server keys generate`"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from None
    return KeyRing(_decode(path, raw))


def _write_atomically(path: pathlib.Path, data: bytes) -> None:
    """A new 0600 file beside `path`, synced, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask did
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextlib.contextmanager
def _file_lock(path: pathlib.Path) -> Iterator[None]:
    """Serializes `generate` and `rotate` across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def generate_key_file(
    path: pathlib.Path, now: dt.datetime, *, if_missing: bool = False
) -> PublicKeyView | None:
    """Creates the key file with one new active key and returns its public half.

    When the file exists: None with `if_missing`, otherwise KeyFileExists.
    """
    with _file_lock(path):
        if path.exists():
            if if_missing:
                read_key_file(path)  # an unusable file fails here, not at the first licence
                return None
            raise KeyFileExists(f"{path} already exists; use `keys rotate` to add a new key")
        key = _Key(Ed25519PrivateKey.generate(), ACTIVE, now)
        _write_atomically(path, _encode([key]))
        return key.view()


def rotate_key_file(path: pathlib.Path, now: dt.datetime) -> PublicKeyView:
    """Adds a new active key; the former one is retired but kept for verification."""
    with _file_lock(path):
        keys = read_key_file(path).keys()
        for key in keys:
            key.state = RETIRED
        new = _Key(Ed25519PrivateKey.generate(), ACTIVE, now)
        _write_atomically(path, _encode([new, *keys]))
        return new.view()


class KeyRingSource:
    """The key ring of a key file, read again whenever the file is replaced.

    Whether it was replaced is asked of the file system (one `stat`) at most
    once every `check_seconds` of `clock` (seconds; the server passes its
    domain clock, so a test's fixed clock decides when time has passed), not
    on every licence signed or checked: a rotation (`keys rotate` replaces the
    file) is picked up within that time. A clock that went back asks again.
    """

    def __init__(
        self,
        path: pathlib.Path,
        *,
        check_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked = 0.0

    def current(self) -> KeyRing:
        ring = self._ring
        now = self._clock()
        if ring is not None and 0 <= now - self._checked < self.check_seconds:
            return ring
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise KeyFileError(
                f"no signing key file at {self.path}: run `aspel-licensing-server keys generate`"
            ) from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._ring is None or stamp != self._stamp:
                self._ring = read_key_file(self.path)
                self._stamp = stamp
            self._checked = now
            return self._ring
