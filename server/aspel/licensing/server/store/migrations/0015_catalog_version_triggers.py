"""The catalog's version is bumped by the database itself, on every write of
`release` or `upgrade_terms_text`.

Until now the repository added one to `cache_version` beside each of its own
writes (migration 0014, store/catalog.py). Any other writer left every
process's kept catalog stale with no end: a server of the previous release
publishing during a rolling deploy (the README's migration rule lets old
servers run on the new schema), or an operator correcting a download URL in
SQL (no RPC edits a release). A trigger on each table runs in the writer's
transaction whoever the writer is, so the change and the new version commit
together or not at all, as before.

SQLite: one trigger per table and kind of write (it has no statement-level
triggers; a bulk insert bumps once per row, which only costs a reload).
PostgreSQL: one function and a statement-level trigger per table, TRUNCATE
included.
"""

from typing import Any

import peewee

TABLES = ("release", "upgrade_terms_text")
BUMP = "UPDATE cache_version SET version = version + 1 WHERE name = 'catalog'"


def up(migrator: Any, db: Any) -> None:
    if isinstance(db, peewee.SqliteDatabase):
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                db.execute_sql(
                    f"CREATE TRIGGER {table}_{event.lower()}_bumps_catalog "
                    f"AFTER {event} ON {table} BEGIN {BUMP}; END"
                )
        return
    db.execute_sql(
        "CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in TABLES:
        db.execute_sql(
            f"CREATE TRIGGER {table}_bumps_catalog "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
        )
