"""SELECTs whose SQL text is generated once, for the hot read paths.

peewee builds the SQL of a query anew on every execution, walking its whole
expression tree; on the hot RPCs (ListSubscriptions, GetUpgradeTerms, every
session lookup) that took about half of the server's CPU per call (measured
with `make bench --profile`, see bench/README.md). A `PreparedSelect` builds
its query once per database engine, with stand-in values for the arguments,
keeps the SQL and the parameter positions of the stand-ins, and afterwards only
binds the real values. Rows come back through the query's own cursor wrapper,
so they are the same model instances (joins included) as without it.

Arguments must be plain `int` or `str` values already in database form (ids,
serials, hashes), since they skip the fields' conversions.

The portal's reads (sessions, pages, successors, the catalog) and the
installers' serial lookup have since moved to plain rows (raw.py), which also
skip peewee's row hydration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee

from .binding import database_proxy

Argument = int | str


@dataclass(frozen=True)
class _Compiled:
    query: peewee.ModelSelect[Any]
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, index of the argument)


def _stand_in(index: int, kind: type) -> Argument:
    if kind is int:
        return -(1 << 62) - index
    if kind is str:
        return f"\x00prepared-argument-{index}\x00"
    raise TypeError(f"a prepared query takes int or str arguments, not {kind.__name__}")


class PreparedSelect:
    """`PreparedSelect(lambda account_id: Model.select().where(...))`, then
    `.rows(42)`: the rows of the query built with 42, without rebuilding its SQL."""

    def __init__(self, build: Callable[..., peewee.ModelSelect[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[type, tuple[type, ...]], _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, database: peewee.Database, kinds: tuple[type, ...]) -> _Compiled:
        stand_ins = [_stand_in(i, kind) for i, kind in enumerate(kinds)]
        query = self._build(*stand_ins)
        sql, params = database.get_sql_context().sql(query).query()
        slots = tuple(
            (position, index)
            for position, value in enumerate(params)
            for index, stand_in in enumerate(stand_ins)
            if type(value) is type(stand_in) and value == stand_in
        )
        missing = set(range(len(stand_ins))) - {index for _, index in slots}
        if missing:
            raise ValueError(f"arguments {sorted(missing)} do not reach the SQL parameters")
        return _Compiled(query, sql, tuple(params), slots)

    def rows(self, *arguments: Argument) -> list[Any]:
        database = database_proxy.obj
        key = (type(database), tuple(type(a) for a in arguments))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(database, key[1])
                self._compiled[key] = compiled
        params = list(compiled.params)
        for position, index in compiled.slots:
            params[position] = arguments[index]
        cursor = database.execute_sql(compiled.sql, params)
        # What peewee's own execute() does with the cursor (not in its stubs).
        wrap: Callable[[Any], Any] = compiled.query._get_cursor_wrapper  # type: ignore[attr-defined]
        return list(wrap(cursor))

    def first(self, *arguments: Argument) -> Any | None:
        found = self.rows(*arguments)
        return found[0] if found else None
