"""Fixed-window rate limits shared by every server process."""

from __future__ import annotations

import datetime as dt

from .models import RateLimitWindow


class RateLimitRepository:
    """Fixed windows of attempts per key."""

    def hit(self, key: str, *, limit: int, window: dt.timedelta, now: dt.datetime) -> bool:
        """Counts one event for `key`; False when the window already holds `limit`.

        Call inside a write transaction so the read and the increment are one step.
        The row is created with INSERT ... ON CONFLICT DO NOTHING, so two first
        hits at once do not collide, and locked (FOR UPDATE) where the engine
        locks rows, so two processes never both take the last unit on PostgreSQL.
        """
        RateLimitWindow.insert(key=key, window_start=now, count=0).on_conflict_ignore().execute()
        query = RateLimitWindow.select().where(RateLimitWindow.key == key)
        if RateLimitWindow._meta.database.for_update:
            query = query.for_update()
        row = query.get()
        if now - row.window_start >= window:
            RateLimitWindow.update(window_start=now, count=1).where(
                RateLimitWindow.id == row.id
            ).execute()
            return True
        if row.count >= limit:
            return False
        RateLimitWindow.update(count=RateLimitWindow.count + 1).where(
            RateLimitWindow.id == row.id
        ).execute()
        return True

    def window_end(self, key: str, window: dt.timedelta) -> dt.datetime | None:
        """When the current window of `key` ends (its count starts again), if any."""
        row = RateLimitWindow.get_or_none(RateLimitWindow.key == key)
        return None if row is None else row.window_start + window
