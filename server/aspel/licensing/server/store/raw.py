"""Hot reads as plain rows: SQL written once here, values back as tuples.

After `prepared.py` removed peewee's SQL building, what remained of a hot read
was peewee's row hydration: a model instance per row, per-field converters,
`_resolve_model_columns` re-run for each cursor (about 70 % of ValidateLicense's
in-process time, measured with cProfile; bench/README.md). The few queries
every installer and portal call runs therefore skip the ORM: a `RawSelect` is
SQL text with `?` placeholders, rewritten once per engine to its parameter
style, executed through peewee's `execute_sql` (so driver errors are still
peewee's, and the store's outage translation still applies), and each row is
a tuple handed to a converter the repository chooses (usually a frozen
dataclass constructor). peewee stays the tool for the schema, migrations and
the writes, but for the few `RawWrite`s and `RawInsert`s inside the hot write
transactions.

The SQL names tables and columns as the models declare them; the store tests
run each one on SQLite and PostgreSQL, which is what keeps them in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import peewee

from .binding import database_proxy
from .models import BaseModel

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class _RawSql:
    """SQL text with `?` placeholders, rewritten once per engine to its style."""

    __slots__ = ("_by_engine", "_sql")

    def __init__(self, sql: str) -> None:
        if "%" in sql:
            raise ValueError("write placeholders as ?: % would clash with psycopg's")
        self._sql = " ".join(sql.split())
        self._by_engine: dict[type, str] = {}

    def _execute(self, arguments: tuple[Any, ...]) -> Any:
        database = database_proxy.obj
        kind = type(database)
        text = self._by_engine.get(kind)
        if text is None:
            text = self._by_engine[kind] = self._text_for(database)
        return database.execute_sql(text, arguments)

    def _text_for(self, database: peewee.Database) -> str:
        return self._sql.replace("?", database.param)


class RawSelect(_RawSql, Generic[T]):
    """`RawSelect("SELECT a, b FROM t WHERE id = ?", Row)`, then `.first(42)`.

    `convert` receives the row's values as positional arguments. Arguments are
    bound as given: pass values already in database form (ids, canonical
    serials, hashes; datetimes through `db_datetime`).
    """

    __slots__ = ("_convert",)

    def __init__(self, sql: str, convert: Callable[..., T]) -> None:
        super().__init__(sql)
        self._convert = convert

    def rows(self, *arguments: Any) -> list[T]:
        convert = self._convert
        return [convert(*values) for values in self._execute(arguments).fetchall()]

    def first(self, *arguments: Any) -> T | None:
        values = self._execute(arguments).fetchone()
        return None if values is None else self._convert(*values)


class RawWrite(_RawSql):
    """`RawWrite("UPDATE t SET a = ? WHERE id = ?")`, then `.execute(1, 42)`:
    the number of rows inserted, changed or deleted. Arguments as for
    `RawSelect` (JSON through the field's own `db_value`). For the few
    statements run while SQLite's write lock is held on every call: the
    idempotency claim and answer of each retryable mutation, ActivateInstallation's
    seat freeing, a succession's retiring of the old serial. Every other write
    stays peewee's, but for the `RawInsert`s."""

    __slots__ = ()

    def execute(self, *arguments: Any) -> int:
        return int(self._execute(arguments).rowcount)


class RawInsert(_RawSql):
    """`RawInsert(Model, "a", "b")`, then `.execute(a=1, b=2)`: inserts one row
    with exactly those fields (the others NULL) and answers its id. The SQL is written
    from the model once; each value goes through its field's `db_value`, so the
    driver gets exactly what peewee's own insert would send (JSON text, naive
    UTC, a foreign key's id). For the rows that ActivateInstallation's and
    AcceptUpgrade's transactions add on every call (the activation; the
    successor serial and its email; the audit event and its webhook
    deliveries), where peewee built the INSERT anew each time."""

    __slots__ = ("_names", "_to_db")

    def __init__(self, model: type[peewee.Model], *names: str) -> None:
        # peewee fills a field's default in Python: the column has none to fall back on.
        defaulted = {field.name for field in model._meta.defaults} - {"id", *names}
        if defaulted:
            raise ValueError(f"{model.__name__}: name the fields with defaults {sorted(defaulted)}")
        fields = [model._meta.fields[name] for name in names]
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        marks = ", ".join("?" * len(fields))
        table = model._meta.table_name
        super().__init__(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})')  # noqa: S608 - names
        self._to_db = tuple(zip(names, (field.db_value for field in fields), strict=True))
        self._names = frozenset(names)

    def _text_for(self, database: peewee.Database) -> str:
        # The new id: RETURNING on PostgreSQL; on SQLite the cursor's lastrowid,
        # as peewee reads it (RETURNING would need SQLite 3.35, newer than some
        # hosts' system library, e.g. Debian 11's 3.34).
        text = super()._text_for(database)
        return text if isinstance(database, peewee.SqliteDatabase) else f"{text} RETURNING id"

    def execute(self, **values: Any) -> int:
        if values.keys() != self._names:
            raise TypeError(f"expected the fields {sorted(self._names)}, got {sorted(values)}")
        cursor = self._execute(tuple(to_db(values[name]) for name, to_db in self._to_db))
        if _on_sqlite():
            return int(cursor.lastrowid)
        return int(cursor.fetchone()[0])

    def insert(self, row: M, refused: Callable[[], Exception] | None = None) -> M:
        """Inserts `row`, a model instance built as `Model.create` builds one
        (the values given, the model's defaults filled in), and answers it with
        its new id, as `Model.create` does. With `refused`, as `execute_or_raise`."""
        values = row.__data__
        if refused is None:
            row.id = self.execute(**values)
        else:
            row.id = self.execute_or_raise(refused, **values)
        return row

    def execute_or_raise(self, refused: Callable[[], Exception], **values: Any) -> int:
        """`execute`, but a unique index's refusal raises `refused()` instead of
        the IntegrityError, and the caller's transaction stays usable.

        PostgreSQL aborts the whole transaction at a failed statement, so there
        the insert runs in a savepoint. SQLite backs out only the failed
        statement (its default ABORT resolution), so there the SAVEPOINT and
        RELEASE would be two statements for nothing (tests/store/test_raw.py
        pins both)."""
        try:
            if _on_sqlite():
                return self.execute(**values)
            with database_proxy.obj.atomic():
                return self.execute(**values)
        except peewee.IntegrityError as exc:
            raise refused() from exc


def _on_sqlite() -> bool:
    return isinstance(database_proxy.obj, peewee.SqliteDatabase)


# --- values as the drivers return them -------------------------------------------
# SQLite hands back the text peewee wrote ('2026-12-02 16:20:00.123456',
# '2026-12-02'); psycopg hands back naive datetimes and dates. Columns of
# UtcDateTimeField hold naive UTC (fields.py).


def utc_datetime(value: Any) -> dt.datetime | None:
    """A UtcDateTimeField's value, aware (UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC)


def date(value: Any) -> dt.date | None:
    """A DateField's value."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def db_datetime(value: dt.datetime) -> str | dt.datetime:
    """An aware datetime as a UtcDateTimeField stores it (for comparisons in SQL):
    naive UTC, and on SQLite the text peewee writes, so string order is time order."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")  # as UtcDateTimeField
    naive = value.astimezone(dt.UTC).replace(tzinfo=None)
    if _on_sqlite():
        return naive.isoformat(" ")
    return naive
