"""Views read from rows: most fields of a view are a column of the same name,
so a converter names only the fields it renames or reshapes."""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

V = TypeVar("V", bound="DataclassInstance")


@functools.cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    # Once per view class: the portal's reads build many views per call.
    return tuple(f.name for f in fields(cls))


def view_of(cls: type[V], row: object, **given: Any) -> V:
    """A `cls` (a dataclass) whose fields are `row`'s attributes of the same
    names, but for the ones `given` (renamed, converted or computed).

    Mind a peewee model's foreign keys: a field named like one reads the
    related row; views name such a field `..._id`, or have it given."""
    copied = {name: getattr(row, name) for name in _field_names(cls) if name not in given}
    return cls(**copied, **given)
