"""Time as a collaborator, so tests can set it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that moves only when told (tests)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, delta: dt.timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when


class BusinessCalendar:
    """Calendar days in the business time zone (America/Mexico_City by default)."""

    def __init__(self, clock: Clock, timezone: str = "America/Mexico_City") -> None:
        self.clock = clock
        self.zone = ZoneInfo(timezone)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return self.clock.now().astimezone(self.zone).date()

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone)
