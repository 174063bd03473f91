"""One page of rows read by id: the caller reads `size + 1` rows after the
last id it showed, so the extra row tells whether another page exists."""

from __future__ import annotations

from typing import Protocol, TypeVar


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Identified)


def one_page(rows: list[R], size: int) -> tuple[list[R], int | None]:
    """The first `size` of the `size + 1` rows read, and the id to read after for
    the next page (None when this page is the last)."""
    page = rows[:size]
    return page, page[-1].id if len(rows) > size else None
