"""Password recovery: the `password_reset` table (tokens kept as SHA-256 only).

A frozen copy of the model as it was, independent of `store/models.py`.
"""

from typing import Any

from peewee import CharField, ForeignKeyField, Model

from aspel.licensing.server.store.fields import UtcDateTimeField


def up(migrator: Any, db: Any) -> None:
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Account(Base):
        class Meta:
            table_name = "account"

    class PasswordReset(Base):
        token_hash = CharField(unique=True)
        account = ForeignKeyField(Account, on_delete="CASCADE")
        create_time = UtcDateTimeField()
        expire_time = UtcDateTimeField()
        use_time = UtcDateTimeField(null=True)

        class Meta:
            indexes = ((("account", "use_time"), False),)

    db.create_tables([PasswordReset])
