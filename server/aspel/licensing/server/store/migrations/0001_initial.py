"""The first schema: accounts, sessions, catalog, subscriptions, outbox, audit,
idempotency records and rate-limit windows.

A frozen copy of the models as they were, deliberately independent of
`store/models.py`, so this file creates the same tables forever.
"""

from typing import Any

from peewee import (
    BooleanField,
    CharField,
    DateField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from aspel.licensing.server.store.fields import JsonField, UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import frozen_base


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)

    class Account(Base):
        public_id = CharField(unique=True)
        username = CharField(unique=True)
        email = CharField()
        razon_social = CharField()
        password_hash = CharField()
        failed_logins = IntegerField(default=0)
        locked_until = UtcDateTimeField(null=True)
        disabled = BooleanField(default=False)
        create_time = UtcDateTimeField()

    class Session(Base):
        token_hash = CharField(unique=True)
        account = ForeignKeyField(Account, on_delete="CASCADE")
        create_time = UtcDateTimeField()
        last_used_time = UtcDateTimeField()
        expire_time = UtcDateTimeField()
        end_time = UtcDateTimeField(null=True)

    class Release(Base):
        product_code = CharField()
        version = CharField()
        upgrade_from = JsonField()
        download_url = CharField()
        publish_time = UtcDateTimeField()

        class Meta:
            indexes = ((("product_code", "version"), True),)

    class UpgradeTermsText(Base):
        product_code = CharField()
        to_version = CharField()
        title = CharField()
        clauses = JsonField()
        locale = CharField(default="es-MX")
        publish_time = UtcDateTimeField()

        class Meta:
            indexes = ((("product_code", "to_version", "publish_time"), False),)

    class Subscription(Base):
        serial_number = CharField(unique=True)
        account = ForeignKeyField(Account, on_delete="RESTRICT")
        product_code = CharField()
        version = CharField()
        users = IntegerField()
        installations_allowed = IntegerField(default=1)
        modality = CharField()
        billing_period = CharField(null=True)
        activation_date = DateField()
        next_payment_date = DateField(null=True)
        status = CharField(default="ACTIVE")
        retire_date = DateField(null=True)
        predecessor = ForeignKeyField("self", null=True, unique=True, on_delete="RESTRICT")
        accepted_terms_id = CharField(null=True)
        create_time = UtcDateTimeField()

        class Meta:
            indexes = ((("account", "id"), False),)

    class OutboxMessage(Base):
        message_id = CharField(unique=True)
        kind = CharField()
        recipient = CharField()
        payload = JsonField()
        state = CharField(default="PENDING")
        attempts = IntegerField(default=0)
        next_attempt_time = UtcDateTimeField()
        claimed_until = UtcDateTimeField(null=True)
        last_error = TextField(null=True)
        create_time = UtcDateTimeField()
        sent_time = UtcDateTimeField(null=True)

        class Meta:
            indexes = ((("state", "next_attempt_time"), False),)

    class AuditEvent(Base):
        time = UtcDateTimeField()
        kind = CharField()
        actor = CharField()
        peer = CharField(null=True)
        account_public_id = CharField(null=True, index=True)
        serial_number = CharField(null=True, index=True)
        detail = JsonField()

    class IdempotencyRecord(Base):
        scope = CharField()
        request_id = CharField()
        operation = CharField()
        request_hash = CharField()
        result = JsonField()
        create_time = UtcDateTimeField()

        class Meta:
            indexes = ((("scope", "request_id"), True),)

    class RateLimitWindow(Base):
        key = CharField(unique=True)
        window_start = UtcDateTimeField()
        count = IntegerField(default=0)

    # Every table declared above (peewee orders them by their foreign keys).
    db.create_tables(Base.__subclasses__())
