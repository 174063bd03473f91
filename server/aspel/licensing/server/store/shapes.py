"""Query shapes several repositories share: an insert a unique index may refuse,
and the newest rows matching a condition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import peewee

from .models import BaseModel

M = TypeVar("M", bound=BaseModel)


def insert_or_raise(model: type[M], refused: Callable[[], Exception], **columns: Any) -> M:
    """Creates one row inside a savepoint; when a unique index refuses it, the
    savepoint rolls back (the caller's transaction stays usable) and `refused()`
    is raised instead of the IntegrityError."""
    try:
        with model._meta.database.atomic():
            row: M = model.create(**columns)
            return row
    except peewee.IntegrityError as exc:
        raise refused() from exc


def newest(model: type[M], condition: Any, limit: int) -> list[M]:
    """At most `limit` rows of `model` matching `condition`, newest (highest id) first."""
    return list(model.select().where(condition).order_by(model.id.desc()).limit(limit))
