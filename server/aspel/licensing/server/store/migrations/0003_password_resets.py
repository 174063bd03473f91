"""Password recovery: the `password_reset` table (tokens kept as SHA-256 only).

A frozen copy of the model as it was, independent of `store/models.py`.
"""

from typing import Any

from peewee import CharField, ForeignKeyField

from aspel.licensing.server.store.fields import UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import existing_table, frozen_base


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)
    Account = existing_table(Base, "Account", "account")

    class PasswordReset(Base):
        token_hash = CharField(unique=True)
        account = ForeignKeyField(Account, on_delete="CASCADE")
        create_time = UtcDateTimeField()
        expire_time = UtcDateTimeField()
        use_time = UtcDateTimeField(null=True)

        class Meta:
            indexes = ((("account", "use_time"), False),)

    db.create_tables([PasswordReset])
