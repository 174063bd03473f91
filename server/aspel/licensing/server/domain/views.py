"""Views read from rows: most fields of a view are a column of the same name,
so a converter names only the fields it renames or reshapes."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

V = TypeVar("V", bound="DataclassInstance")


@functools.cache
def _copier(
    cls: type[DataclassInstance], given: frozenset[str]
) -> tuple[tuple[str, ...], Callable[[object], Any]]:
    # Once per view class and set of given fields: the portal's reads build
    # several views per call, and reading the row's attributes in one
    # attrgetter call costs a third of a loop over dataclass fields.
    names = tuple(f.name for f in fields(cls) if f.name not in given)
    if not names:
        return names, lambda _row: ()
    getter = operator.attrgetter(*names)
    if len(names) == 1:
        return names, lambda row: (getter(row),)
    return names, getter


def view_of(cls: type[V], row: object, **given: Any) -> V:
    """A `cls` (a dataclass) whose fields are `row`'s attributes of the same
    names, but for the ones `given` (renamed, converted or computed).

    Mind a peewee model's foreign keys: a field named like one reads the
    related row; views name such a field `..._id`, or have it given."""
    names, read = _copier(cls, frozenset(given))
    return cls(**dict(zip(names, read(row), strict=True)), **given)
