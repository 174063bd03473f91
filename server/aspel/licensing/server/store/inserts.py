"""Inserting one row that a unique index may refuse, without spoiling the caller's
transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import peewee

M = TypeVar("M", bound=peewee.Model)


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
