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
from ..installations import InstallationService
from ..machine_match import MatchPolicy
from ..password_reset import PasswordResetService
from ..products import DEFAULT_PURCHASE_URL
from ..seats import SeatPolicy
from ..service_keys import ServiceKeyService
from .accounts import AccountAdmin
from .billing import BillingAdmin
from .catalog import CatalogAdmin
from .imports import ImportAdmin
from .support import SupportAdmin
from .upgrades import UpgradeAdmin
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
    #: Releasing installations (support), the same rule as the portal's.
    installations: InstallationService
    upgrades: UpgradeAdmin
    #: Where what is not free is bought (ASPEL_LICENSING_PURCHASE_URL).
    purchase_url: str = DEFAULT_PURCHASE_URL


def build_admin_services(
    store: Store,
    calendar: BusinessCalendar,
    hasher: PasswordHasher,
    resets: PasswordResetService,
    installations: InstallationService | None = None,
    purchase_url: str = DEFAULT_PURCHASE_URL,
    *,
    allow_loopback_http_webhooks: bool = False,
    match_policy: MatchPolicy | None = None,
) -> AdminServices:
    installations = installations or InstallationService(store, calendar)
    seat_policy: SeatPolicy = installations.policy
    return AdminServices(
        keys=ServiceKeyService(store, calendar),
        accounts=AccountAdmin(store, calendar, hasher, resets),
        catalog=CatalogAdmin(store, calendar),
        billing=BillingAdmin(store, calendar),
        support=SupportAdmin(store, calendar, seat_policy, match_policy),
        webhooks=WebhookAdmin(store, calendar, allow_loopback_http=allow_loopback_http_webhooks),
        installations=installations,
        upgrades=UpgradeAdmin(store, calendar),
        purchase_url=purchase_url,
        imports=ImportAdmin(store, calendar),
    )
