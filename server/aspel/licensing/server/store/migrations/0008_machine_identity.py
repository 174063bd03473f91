"""Machine identity: each activation keeps the component digests its installer
last sent (`machine_components`, a JSON object kind -> digest; null for
installers that send only a fingerprint) and the installation's public key
(`installation_public_key`, the 32 raw bytes in lower-case hex; null without one).

Matching reads the few active activations of one serial, which the existing
(subscription, deactivate_time) index finds: no new index is needed.
"""

from typing import Any

from peewee import CharField

from aspel.licensing.server.store.fields import JsonField


def up(migrator: Any, db: Any) -> None:
    migrator.migrate(
        migrator.add_column("activation", "machine_components", JsonField(null=True)),
        migrator.add_column("activation", "installation_public_key", CharField(null=True)),
    )
