"""The last licence signed for each activation, handed out again while it
still says everything a new one would (ValidateLicense's hot path).

Signing and encoding a certificate is about 15 % of a validation's CPU, and an
installation validates again and again (each start, each module) with nothing
changed. A validation may therefore answer with the licence it was given a
moment ago, as long as:

- everything the licence states except its times is what a new licence would
  state now: serial, product, version, users, razón social, fingerprint,
  activation id, state, next payment and retire dates, the terms' flags
  (read-only access, payment overdue), the installation's public key, and the
  current signing key's id (a rotated key is never served with licences of
  the former one);
- it is young: issued at most `max_age` ago (0 turns reuse off), and its
  expire and grace end times are at most that much earlier than a new
  licence's (a licence cut at the end of a day is not handed out the next day).

Why it is safe:

- The seat's bound (activation.license_bound, domain/seats.py) was raised to
  cover this licence durably before it was first handed out; the bound is only
  ever raised, and a reused licence expires no later than when it was issued.
  Handing it out again extends nothing, so a seat still frees once every
  licence handed out for it has expired.
- The client rejects a licence whose issue_time is later than its trusted time
  (clock rollback, license_verification.py, 24 h allowed); an issue_time a few
  minutes old is earlier than any clock that accepted the previous answer, so
  the check is not held back by it.

One cache per process, bounded (least recently used out first), thread-safe.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

#: Activations kept per process: each entry is a licence (~0.5 KB) and its terms.
MAX_ENTRIES = 20_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Kept(Generic[T]):
    #: Everything the licence states except its times, and the key that signed it.
    stated: Hashable
    issue_time: dt.datetime
    expire_time: dt.datetime
    grace_end_time: dt.datetime
    licence: T


class LicenceReuse(Generic[T]):
    def __init__(self, max_age: dt.timedelta, max_entries: int = MAX_ENTRIES) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Kept[T]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_age > dt.timedelta(0)

    def find(
        self,
        activation_id: str,
        stated: Hashable,
        now: dt.datetime,
        expire_time: dt.datetime,
        grace_end_time: dt.datetime,
    ) -> T | None:
        """The licence kept for the activation, if it states `stated` and a
        licence issued now with those times would differ only by its age."""
        if not self.enabled:
            return None
        with self._lock:
            kept = self._kept.get(activation_id)
            if kept is None:
                return None
            self._kept.move_to_end(activation_id)
        age = now - kept.issue_time
        if kept.stated != stated or not dt.timedelta(0) <= age <= self.max_age:
            return None
        if expire_time - kept.expire_time > self.max_age:
            return None
        if grace_end_time - kept.grace_end_time > self.max_age:
            return None
        return kept.licence

    def keep(self, activation_id: str, kept: Kept[T]) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._kept[activation_id] = kept
            self._kept.move_to_end(activation_id)
            while len(self._kept) > self.max_entries:
                self._kept.popitem(last=False)
