"""The migrations build exactly the schema the live models describe, from an
empty database and from every earlier schema version, on both engines."""

from __future__ import annotations

import peewee
import pytest

from aspel.licensing.server.store import migrate as migrations
from aspel.licensing.server.store.database import SQLITE_PRAGMAS, open_database
from aspel.licensing.server.store.models import ALL_MODELS

MIGRATION_NAMES = sorted(p.stem for p in migrations.MIGRATIONS_DIR.glob("[0-9]*.py"))


def assert_schema_matches_models(database: peewee.Database) -> None:
    with database.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            assert database.table_exists(table), table
            expected = {f.column_name: f.null for f in model._meta.sorted_fields}
            actual = {c.name: c.null for c in database.get_columns(table)}
            assert actual == expected, table
            db_indexes = database.get_indexes(table)
            unique_in_db = {tuple(i.columns) for i in db_indexes if i.unique}
            for field in model._meta.sorted_fields:
                if field.unique:
                    assert (field.column_name,) in unique_in_db, (table, field.name)
            for index in model._meta.indexes:
                if isinstance(index, peewee.ModelIndex):
                    # A named (for example partial) index: the same name, unique
                    # or not, and partial when the model's is.
                    found = {i.name: i for i in db_indexes}.get(index._name)
                    assert found is not None, (table, index._name)
                    assert found.unique == index._unique, (table, index._name)
                    assert (index._where is not None) == ("WHERE" in found.sql.upper())
                    continue
                fields, unique = index
                if unique:
                    columns = tuple(model._meta.fields[f].column_name for f in fields)
                    assert columns in unique_in_db, (table, columns)


def test_migrating_an_empty_database_yields_the_models_schema(empty_database_url: str) -> None:
    database = open_database(empty_database_url)
    assert migrations.migrate(database) == MIGRATION_NAMES
    assert_schema_matches_models(database)


@pytest.mark.parametrize("stop_after", MIGRATION_NAMES[:-1] or [None])
def test_migrating_from_every_earlier_schema_version(
    empty_database_url: str, stop_after: str | None
) -> None:
    if stop_after is None:
        pytest.skip("only one migration exists: no earlier schema version yet")
    database = open_database(empty_database_url)
    with database.connection_context():
        migrations._runner(database).up(target=stop_after)
    applied = migrations.migrate(database)
    assert applied == MIGRATION_NAMES[MIGRATION_NAMES.index(stop_after) + 1 :]
    assert_schema_matches_models(database)


def test_migrate_twice_applies_nothing_the_second_time(empty_database_url: str) -> None:
    database = open_database(empty_database_url)
    assert migrations.migrate(database)
    assert migrations.migrate(database) == []
    assert migrations.pending(database) == []


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        busy = database.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        assert busy == SQLITE_PRAGMAS["busy_timeout"]
