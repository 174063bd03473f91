"""One page of rows read by id: the caller reads `size + 1` rows after the
last id it showed, so the extra row tells whether another page exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Identified)
V = TypeVar("V")


@dataclass(frozen=True)
class Page(Generic[V]):
    """One page of a list, as a service answers it."""

    items: list[V]
    #: The id to read after for the next page; None when this page is the last.
    next_after_id: int | None


def one_page(rows: list[R], size: int) -> tuple[list[R], int | None]:
    """The first `size` of the `size + 1` rows read, and the id to read after for
    the next page (None when this page is the last)."""
    page = rows[:size]
    return page, page[-1].id if len(rows) > size else None


def page_of_rows(rows: list[R], size: int, view: Callable[[R], V]) -> Page[V]:
    """`one_page` of the rows, each shown as `view` shows it."""
    page, next_after_id = one_page(rows, size)
    return Page([view(row) for row in page], next_after_id)
