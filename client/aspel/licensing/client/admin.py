"""`AdminClient`: Aspel's internal services (`aspel.licensing.v1.AdminService`).

    with AdminClient("127.0.0.1:50051", service_key=os.environ["ASPEL_LICENSING_ADMIN_KEY"]) as a:
        account = a.create_account("ferreteria", "compras@ferreteria.mx", "Ferretería, S.A.")
        serial = a.create_subscription(account.account_id, "SAE", "8.0", users=2,
                                       modality=subscription_pb2.MODALITY_SUBSCRIPTION,
                                       billing_period=subscription_pb2.BILLING_PERIOD_MONTHLY)
        a.record_payment(serial.serial_number)
        print(a.lookup_serial(serial.serial_number))

The service key (made with `aspel-licensing-server service-keys create`) is
sent as `authorization: Bearer <key>` on every call. Every method that changes
something sends a request_id (a new UUID unless one is given), so the client
retries it on UNAVAILABLE and ABORTED without doing it twice; pass your own
request_id to retry safely across runs (a payment from a billing system, for
example). Methods return the generated messages and raise the typed errors of
`errors`; every method may raise UnauthenticatedError (SERVICE_KEY_INVALID) and
PermissionDeniedError (SCOPE_MISSING).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from aspel.licensing.v1 import account_pb2, audit_event_pb2, subscription_pb2
from aspel.licensing.v1 import admin_service_pb2 as pb
from aspel.licensing.v1 import admin_service_pb2_grpc as pb_grpc

from .base import BaseClient, follow_pages
from .convert import date_message, timestamp_message

#: The environment variable the admin CLI reads the service key from.
ADMIN_KEY_ENV = "ASPEL_LICENSING_ADMIN_KEY"
#: The billing period of a perpetual licence.
NO_BILLING_PERIOD = subscription_pb2.BILLING_PERIOD_UNSPECIFIED


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that are not None: a partial update sets only those (the
    request's `optional` fields say which were sent)."""
    return {name: value for name, value in fields.items() if value is not None}


class AdminClient(BaseClient):
    """A client of AdminService, authenticated by a service key."""

    stub_class = pb_grpc.AdminServiceStub

    def __init__(
        self, target: str | None = None, *, service_key: str | None = None, **options: Any
    ) -> None:
        """`options`: those of `BaseClient` (deadline, channel, credentials, ...)."""
        super().__init__(target, token=service_key, **options)

    # --- accounts (billing; support) ---------------------------------------------

    def create_account(
        self,
        username: str,
        email: str,
        razon_social: str,
        *,
        initial_password: str | None = None,
        request_id: str | None = None,
    ) -> pb.CreateAccountResponse:
        """Opens an account; without a password the reset email is queued.
        Raises AlreadyExistsError (USERNAME_TAKEN), InvalidArgumentError."""
        return self._mutate(
            self._stub.CreateAccount,
            pb.CreateAccountRequest(
                username=username,
                email=email,
                razon_social=razon_social,
                initial_password=initial_password or "",
            ),
            request_id,
        )

    def get_account(
        self, *, account_id: str | None = None, username: str | None = None
    ) -> pb.GetAccountResponse:
        """An account by id or username, with its serials (NotFoundError ACCOUNT_NOT_FOUND)."""
        request = (
            pb.GetAccountRequest(account_id=account_id)
            if account_id
            else pb.GetAccountRequest(username=username or "")
        )
        return self._call(self._stub.GetAccount, request)

    def update_account(
        self,
        account_id: str,
        *,
        email: str | None = None,
        razon_social: str | None = None,
        request_id: str | None = None,
    ) -> account_pb2.Account:
        """Changes the email, the razón social or both; the rest stays."""
        request = pb.UpdateAccountRequest(
            account_id=account_id, **_given(email=email, razon_social=razon_social)
        )
        response: pb.UpdateAccountResponse = self._mutate(
            self._stub.UpdateAccount, request, request_id
        )
        return response.account

    def disable_account(
        self, account_id: str, reason: str, *, request_id: str | None = None
    ) -> pb.DisableAccountResponse:
        """Disables an account and ends its sessions. Raises FailedPreconditionError
        (INVALID_STATE_TRANSITION) when it already was disabled."""
        return self._mutate(
            self._stub.DisableAccount,
            pb.DisableAccountRequest(account_id=account_id, reason=reason),
            request_id,
        )

    def start_password_reset(
        self,
        *,
        account_id: str | None = None,
        username: str | None = None,
        request_id: str | None = None,
    ) -> str:
        """Sends the reset email; returns the address it goes to."""
        request = pb.StartPasswordResetRequest()
        if account_id:
            request.account_id = account_id
        else:
            request.username = username or ""
        response: pb.StartPasswordResetResponse = self._mutate(
            self._stub.StartPasswordReset, request, request_id
        )
        return response.email

    # --- catalog -------------------------------------------------------------------

    def publish_release(
        self,
        product_code: str,
        version: str,
        download_url: str,
        *,
        upgrade_from_versions: Sequence[str] = (),
        request_id: str | None = None,
    ) -> pb.PublishReleaseResponse:
        """Publishes a version. Raises AlreadyExistsError (RELEASE_EXISTS),
        FailedPreconditionError (RELEASE_NOT_PUBLISHED for a source version)."""
        return self._mutate(
            self._stub.PublishRelease,
            pb.PublishReleaseRequest(
                product_code=product_code,
                version=version,
                upgrade_from_versions=list(upgrade_from_versions),
                download_url=download_url,
            ),
            request_id,
        )

    def publish_upgrade_terms(
        self,
        product_code: str,
        to_version: str,
        title: str,
        clauses: Sequence[str],
        *,
        introduction: str = "",
        request_id: str | None = None,
    ) -> pb.PublishUpgradeTermsResponse:
        """Puts new terms in force for a release (every serial gets a new terms_id).
        An empty `introduction` shows the default one."""
        return self._mutate(
            self._stub.PublishUpgradeTerms,
            pb.PublishUpgradeTermsRequest(
                product_code=product_code,
                to_version=to_version,
                title=title,
                clauses=list(clauses),
                introduction=introduction,
            ),
            request_id,
        )

    # --- billing -------------------------------------------------------------------

    def create_subscription(
        self,
        account_id: str,
        product_code: str,
        version: str,
        *,
        users: int,
        modality: subscription_pb2.Modality,
        billing_period: subscription_pb2.BillingPeriod = NO_BILLING_PERIOD,
        installations_allowed: int = 0,
        activation_date: dt.date | None = None,
        request_id: str | None = None,
    ) -> subscription_pb2.Subscription:
        """Issues a new serial. A retry with the same request_id returns the same serial.
        A perpetual licence has no billing period."""
        request = pb.CreateSubscriptionRequest(
            account_id=account_id,
            product_code=product_code,
            version=version,
            users=users,
            modality=modality,
            billing_period=billing_period,
            installations_allowed=installations_allowed,
            activation_date=date_message(activation_date),
        )
        response: pb.CreateSubscriptionResponse = self._mutate(
            self._stub.CreateSubscription, request, request_id
        )
        return response.subscription

    def record_payment(
        self, serial_number: str, *, payment_reference: str = "", request_id: str | None = None
    ) -> pb.RecordPaymentResponse:
        """Moves the next payment date one period on. A `payment_reference`
        (the invoice folio) counts once whoever records it and however often;
        without one, give the payment's own request_id when it may be recorded
        again. The same reference for another serial raises AlreadyExistsError
        (PAYMENT_REFERENCE_REUSED)."""
        return self._mutate(
            self._stub.RecordPayment,
            pb.RecordPaymentRequest(
                serial_number=serial_number,
                payment_reference=payment_reference,
            ),
            request_id,
        )

    def suspend_subscription(
        self, serial_number: str, reason: str, *, request_id: str | None = None
    ) -> subscription_pb2.Subscription:
        """Suspends an ACTIVE serial; otherwise FailedPreconditionError INVALID_STATE_TRANSITION."""
        response: pb.SuspendSubscriptionResponse = self._mutate(
            self._stub.SuspendSubscription,
            pb.SuspendSubscriptionRequest(serial_number=serial_number, reason=reason),
            request_id,
        )
        return response.subscription

    def reinstate_subscription(
        self, serial_number: str, reason: str, *, request_id: str | None = None
    ) -> subscription_pb2.Subscription:
        """Makes a SUSPENDED serial ACTIVE again."""
        response: pb.ReinstateSubscriptionResponse = self._mutate(
            self._stub.ReinstateSubscription,
            pb.ReinstateSubscriptionRequest(serial_number=serial_number, reason=reason),
            request_id,
        )
        return response.subscription

    def change_seats(
        self,
        serial_number: str,
        *,
        users: int | None = None,
        installations_allowed: int | None = None,
        request_id: str | None = None,
    ) -> subscription_pb2.Subscription:
        """Changes the users, the installations allowed or both."""
        request = pb.ChangeSeatsRequest(
            serial_number=serial_number,
            **_given(users=users, installations_allowed=installations_allowed),
        )
        response: pb.ChangeSeatsResponse = self._mutate(self._stub.ChangeSeats, request, request_id)
        return response.subscription

    # --- support -------------------------------------------------------------------

    def lookup_serial(self, serial_number: str) -> pb.LookupSerialResponse:
        """The serial, its account, lineage and latest events on one screen."""
        return self._call(
            self._stub.LookupSerial, pb.LookupSerialRequest(serial_number=serial_number)
        )

    def release_activation(
        self,
        serial_number: str,
        activation_id: str,
        *,
        reason: str,
        request_id: str | None = None,
    ) -> pb.AdminServiceReleaseActivationResponse:
        """Releases an installation for a customer (scope support); the reason
        goes into the audit event. Same seat rule as the portal's release."""
        return self._mutate(
            self._stub.ReleaseActivation,
            pb.AdminServiceReleaseActivationRequest(
                serial_number=serial_number, activation_id=activation_id, reason=reason
            ),
            request_id,
        )

    def redeem_offline_request(
        self, request_code: str, razon_social: str = "", request_id: str | None = None
    ) -> pb.AdminServiceRedeemOfflineRequestResponse:
        """Support redeems a customer's offline request (scope support); the
        razón social is checked only when given."""
        return self._mutate(
            self._stub.RedeemOfflineRequest,
            pb.AdminServiceRedeemOfflineRequestRequest(
                request_code=request_code, razon_social=razon_social
            ),
            request_id,
        )

    def list_audit_events_page(
        self,
        *,
        account_id: str = "",
        serial_number: str = "",
        kind: str = "",
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> pb.ListAuditEventsResponse:
        """One page of audit events, oldest first."""
        return self._call(
            self._stub.ListAuditEvents,
            pb.ListAuditEventsRequest(
                account_id=account_id,
                serial_number=serial_number,
                kind=kind,
                start_time=timestamp_message(start_time),
                end_time=timestamp_message(end_time),
                page_size=page_size,
                page_token=page_token,
            ),
        )

    def list_audit_events(
        self,
        *,
        account_id: str = "",
        serial_number: str = "",
        kind: str = "",
        start_time: dt.datetime | None = None,
        end_time: dt.datetime | None = None,
        page_size: int = 0,
    ) -> Iterator[audit_event_pb2.AuditEvent]:
        """Every matching event, oldest first, fetching the pages as it goes."""
        return follow_pages(
            lambda token: self.list_audit_events_page(
                account_id=account_id,
                serial_number=serial_number,
                kind=kind,
                start_time=start_time,
                end_time=end_time,
                page_size=page_size,
                page_token=token,
            ),
            lambda page: page.audit_events,
        )

    # --- events: webhook endpoints (billing or support) ------------------------------

    def create_webhook_endpoint(
        self,
        url: str,
        *,
        event_types: Sequence[str] = (),
        description: str = "",
        request_id: str | None = None,
    ) -> pb.CreateWebhookEndpointResponse:
        """Registers an endpoint; the response's `signing_secret` is shown only
        here (and to a retry with the same request_id): keep it."""
        return self._mutate(
            self._stub.CreateWebhookEndpoint,
            pb.CreateWebhookEndpointRequest(
                url=url, event_types=list(event_types), description=description
            ),
            request_id,
        )

    def list_webhook_endpoints_page(
        self, *, page_size: int = 0, page_token: str = ""
    ) -> pb.ListWebhookEndpointsResponse:
        return self._call(
            self._stub.ListWebhookEndpoints,
            pb.ListWebhookEndpointsRequest(page_size=page_size, page_token=page_token),
        )

    def list_webhook_endpoints(self) -> Iterator[pb.WebhookEndpoint]:
        """Every endpoint still receiving events, oldest first (never a secret)."""
        return follow_pages(
            lambda token: self.list_webhook_endpoints_page(page_token=token),
            lambda page: page.endpoints,
        )

    def delete_webhook_endpoint(self, endpoint_id: str, *, request_id: str | None = None) -> None:
        """Stops deliveries to it; NotFoundError WEBHOOK_ENDPOINT_NOT_FOUND when
        there is no such endpoint still receiving."""
        self._mutate(
            self._stub.DeleteWebhookEndpoint,
            pb.DeleteWebhookEndpointRequest(endpoint_id=endpoint_id),
            request_id,
        )

    # --- upgrades sold by billing -----------------------------------------------------

    def issue_upgrade(
        self,
        serial_number: str,
        *,
        kind: pb.UpgradeKind,
        new_modality: subscription_pb2.Modality,
        order_reference: str,
        to_version: str = "",
        billing_period: subscription_pb2.BillingPeriod = NO_BILLING_PERIOD,
        overlap: pb.UpgradeOverlap = pb.UPGRADE_OVERLAP_NEXT_VALIDATION,
        overlap_end_date: dt.date | None = None,
        request_id: str | None = None,
    ) -> pb.IssueUpgradeResponse:
        """Issues the successor of a serial billing sold (a bought version or a
        change of modality). The same `order_reference` again returns the same
        successor; with other fields it raises AlreadyExistsError
        (ORDER_REFERENCE_REUSED). A superseded serial raises
        FailedPreconditionError (SERIAL_NOT_ACTIVE) naming its successor."""
        request = pb.IssueUpgradeRequest(
            serial_number=serial_number,
            to_version=to_version,
            kind=kind,
            new_modality=new_modality,
            billing_period=billing_period,
            order_reference=order_reference,
            overlap=overlap,
            overlap_end_date=date_message(overlap_end_date),
        )
        return self._mutate(self._stub.IssueUpgrade, request, request_id)

    def import_subscription(
        self, request: pb.ImportSubscriptionRequest, *, request_id: str | None = None
    ) -> pb.ImportSubscriptionResponse:
        """Brings in a legacy serial (see `legacy_import.request_of` for a CSV
        row). The same serial with the same data again answers
        `already_imported`; with other data, AlreadyExistsError
        SERIAL_ALREADY_IMPORTED."""
        return self._mutate(self._stub.ImportSubscription, request, request_id)


__all__ = ["ADMIN_KEY_ENV", "AdminClient"]
