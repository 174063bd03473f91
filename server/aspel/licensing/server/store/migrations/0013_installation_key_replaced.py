"""When an activation's installation key is replaced (a reinstall made a new
key, or anyone who knows the machine's fingerprint sent another one), the
licences signed before may still run under the former key: `key_replaced_until`
keeps the licence bound of that moment, and until it passes a receipt signed by
the new key proves nothing about those copies (domain/receipts.py). Null: the
key was never replaced.
"""

from typing import Any

from aspel.licensing.server.store.fields import UtcDateTimeField


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("activation", "key_replaced_until", UtcDateTimeField(null=True))
    )
