"""The request id of the RPC that wrote each audit event, the one of
its request log line and its errors' RequestInfo. Null for older events and
for events written outside an RPC (the CLI, the mailer)."""

from typing import Any

from peewee import CharField


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(migrator.add_column("audit_event", "request_id", CharField(null=True)))
