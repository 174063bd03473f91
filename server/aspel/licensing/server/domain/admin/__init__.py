"""The rules of AdminService, split by the team that calls them: accounts,
catalog, billing and support. No grpc, no protos.

Every change is one `store.write()` transaction that also writes its audit
event (actor `service:<key name>`, the caller's address) and, when the call
carries a request_id, the first answer for retries (AIP-155).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...store.database import Store
from ..clock import BusinessCalendar
from ..credentials import PasswordHasher
from ..password_reset import PasswordResetService
from ..service_keys import ServiceKeyService
from .accounts import AccountAdmin
from .billing import BillingAdmin
from .catalog import CatalogAdmin
from .imports import ImportAdmin
from .support import SupportAdmin
from .webhooks import WebhookAdmin


@dataclass
class AdminServices:
    """The domain services behind AdminService, and the service keys."""

    keys: ServiceKeyService
    accounts: AccountAdmin
    catalog: CatalogAdmin
    billing: BillingAdmin
    support: SupportAdmin
    webhooks: WebhookAdmin
    imports: ImportAdmin


def build_admin_services(
    store: Store,
    calendar: BusinessCalendar,
    hasher: PasswordHasher,
    resets: PasswordResetService,
    *,
    allow_loopback_http_webhooks: bool = False,
) -> AdminServices:
    return AdminServices(
        keys=ServiceKeyService(store, calendar),
        accounts=AccountAdmin(store, calendar, hasher, resets),
        catalog=CatalogAdmin(store, calendar),
        billing=BillingAdmin(store, calendar),
        support=SupportAdmin(store, calendar),
        webhooks=WebhookAdmin(store, calendar, allow_loopback_http=allow_loopback_http_webhooks),
        imports=ImportAdmin(store, calendar),
    )
