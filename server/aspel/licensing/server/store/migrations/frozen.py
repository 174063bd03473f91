"""What every migration needs to freeze its tables: a base class bound to the
migration's database, stand-ins for tables an earlier migration created, and
the partial unique index "unique among the rows still active".

Not a migration itself (the runner loads only files that start with a digit),
and deliberately independent of `store/models.py`: each migration still
declares its own columns, so it creates the same tables forever. Change
nothing here that would change what an existing migration creates.
"""

from typing import Any

from peewee import Field, Model


def frozen_base(db: Any) -> type[Model]:
    """The base of one migration's frozen models, bound to its database.

    Assign it as `Base: Any = frozen_base(db)`: mypy takes a class statement's
    base from a call's result only through a variable typed `Any`.
    """

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    return Base


def existing_table(base: type[Model], name: str, table_name: str) -> type[Model]:
    """A stand-in for a table an earlier migration created, only for foreign keys
    to point at (it is never created again)."""
    meta = type("Meta", (), {"table_name": table_name})
    return type(name, (base,), {"Meta": meta, "__module__": __name__})


def add_unique_while_active(model: type[Model], *fields: Field, name: str, ended: Field) -> None:
    """A unique index on `fields` over the rows whose `ended` is still null."""
    model.add_index(model.index(*fields, unique=True, where=ended.is_null(), name=name))
