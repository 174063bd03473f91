"""What a unit of work hands its caller: one repository per kind of row.

`with store.write() as tx:` (or `store.read()`) yields a `UnitOfWork`; every
query of the block goes through it (`tx.subscriptions.find_for_account(...)`,
`tx.audit.record(...)`), on the store's connection, in its transaction.
"""

from __future__ import annotations

from .accounts import AccountRepository
from .activations import ActivationRepository
from .audit import AuditRepository
from .catalog import CatalogRepository
from .idempotency import IdempotencyRepository
from .outbox import OutboxRepository
from .password_resets import PasswordResetRepository
from .rate_limits import RateLimitRepository
from .reminders import ReminderRepository
from .server_secrets import ServerSecretRepository
from .service_keys import ServiceKeyRepository
from .subscriptions import SubscriptionRepository
from .webhooks import WebhookRepository


class UnitOfWork:
    """The repositories of one store. They hold no state of their own: the
    connection and transaction are the store's, for the block they run in."""

    def __init__(self) -> None:
        self.accounts = AccountRepository()
        self.activations = ActivationRepository()
        self.audit = AuditRepository()
        self.catalog = CatalogRepository()
        self.idempotency = IdempotencyRepository()
        self.outbox = OutboxRepository()
        self.password_resets = PasswordResetRepository()
        self.rate_limits = RateLimitRepository()
        self.server_secrets = ServerSecretRepository()
        self.service_keys = ServiceKeyRepository()
        self.subscriptions = SubscriptionRepository()
        self.webhooks = WebhookRepository()
        self.reminders = ReminderRepository()
