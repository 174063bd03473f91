"""Events and reminders: the `webhook_endpoint` table (where audited changes
are delivered, each endpoint's signing secret encrypted at rest) and the
`reminder_sent` table (one row per reminder ever queued, so each goes once).

A frozen copy of the models as they were, independent of `store/models.py`.
"""

from typing import Any

from peewee import CharField, TextField

from aspel.licensing.server.store.fields import JsonField, UtcDateTimeField
from aspel.licensing.server.store.migrations.frozen import frozen_base


def up(migrator: Any, db: Any) -> None:
    Base: Any = frozen_base(db)

    class WebhookEndpoint(Base):
        public_id = CharField(unique=True)
        url = TextField()
        event_types = JsonField()
        description = CharField(default="")
        secret_sealed = TextField()
        create_time = UtcDateTimeField()
        created_by = CharField()
        delete_time = UtcDateTimeField(null=True)
        disable_reason = CharField(null=True)

        class Meta:
            indexes = ((("delete_time",), False),)

    class ReminderSent(Base):
        kind = CharField()
        serial_number = CharField()
        occasion = CharField()
        create_time = UtcDateTimeField()

        class Meta:
            indexes = ((("kind", "serial_number", "occasion"), True),)

    db.create_tables([WebhookEndpoint, ReminderSent])
