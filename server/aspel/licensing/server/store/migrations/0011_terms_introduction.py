"""The introduction of upgrade terms: the paragraph between the title and the
clauses ("Ya está disponible una nueva versión ..."). Null for the texts
published before, which show the default introduction."""

from typing import Any

from peewee import TextField


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("upgrade_terms_text", "introduction", TextField(null=True))
    )
