"""The migrations build exactly the schema the live models describe."""

from __future__ import annotations

import pathlib

import peewee

from aspel.licensing.server.store import migrate as migrations
from aspel.licensing.server.store.database import SQLITE_PRAGMAS, open_database
from aspel.licensing.server.store.models import ALL_MODELS


def columns_of(database: peewee.Database, table: str) -> dict[str, bool]:
    return {c.name: c.null for c in database.get_columns(table)}


def test_migrating_an_empty_database_yields_the_models_schema(empty_database_url: str) -> None:
    database = open_database(empty_database_url)
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


def test_migrate_twice_applies_nothing_the_second_time(empty_database_url: str) -> None:
    database = open_database(empty_database_url)
    assert migrations.migrate(database)
    assert migrations.migrate(database) == []
    assert migrations.pending(database) == []


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
