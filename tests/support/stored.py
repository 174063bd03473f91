"""A row as the database holds it, below the models: what the raw SQL of the
store (store/raw.py) is compared with peewee's own writes by."""

from __future__ import annotations

from aspel.licensing.server.store.binding import database_proxy


def stored_row(table: str, row_id: int, *unlike: str) -> dict[str, object]:
    """The row as the database holds it (SQLite: the very text), but its id and
    the columns `unlike` (those unique to each row)."""
    cursor = database_proxy.obj.execute_sql(
        f"SELECT * FROM {table} WHERE id = {int(row_id)}"  # noqa: S608 - an int
    )
    names = [column[0] for column in cursor.description]
    return {n: v for n, v in zip(names, cursor.fetchone(), strict=True) if n not in {"id", *unlike}}
