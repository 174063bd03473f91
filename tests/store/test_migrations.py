"""The migrations build exactly the schema the live models describe."""

from __future__ import annotations

import pathlib
import threading

import peewee

from aspel.licensing.server.store import migrate as migrations
from aspel.licensing.server.store.database import SQLITE_PRAGMAS, open_database
from aspel.licensing.server.store.models import ALL_MODELS


def columns_of(database: peewee.Database, table: str) -> dict[str, bool]:
    return {c.name: c.null for c in database.get_columns(table)}


def test_migrating_an_empty_database_yields_the_models_schema(tmp_path: pathlib.Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert migrations.migrate(database) == migrations.pending(open_database("sqlite:///:memory:"))
    with database.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            assert database.table_exists(table), table
            expected = {f.column_name: f.null for f in model._meta.sorted_fields}
            assert columns_of(database, table) == expected, table
            unique_db = {tuple(i.columns) for i in database.get_indexes(table) if i.unique}
            for field in model._meta.sorted_fields:
                if field.unique:
                    assert (field.column_name,) in unique_db, (table, field.name)


def test_migrate_twice_applies_nothing_the_second_time(tmp_path: pathlib.Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert migrations.migrate(database)
    assert migrations.migrate(database) == []
    assert migrations.pending(database) == []


def test_concurrent_migrate_calls_apply_each_migration_once(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    applied: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            applied.append(migrations.migrate(open_database(url)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    flat = [name for names in applied for name in names]
    assert sorted(flat) == sorted(set(flat))
    assert set(flat) == {p.stem for p in migrations.MIGRATIONS_DIR.glob("[0-9]*.py")}


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path: pathlib.Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert (
            database.execute_sql("PRAGMA busy_timeout").fetchone()[0]
            == (SQLITE_PRAGMAS["busy_timeout"])
        )
