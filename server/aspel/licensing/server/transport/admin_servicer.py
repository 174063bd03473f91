"""`aspel.licensing.v1.AdminService`: billing, catalog and support over gRPC.

Before any method runs, `ScopeInterceptor` (auth_interceptor.py) has resolved
the service key and checked its scope against the one scope table; a method
reads its caller with `current_actor()`, validates the request, calls the
domain and converts the answer.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import grpc

from aspel.licensing.v1 import admin_service_pb2 as pb
from aspel.licensing.v1 import admin_service_pb2_grpc as pb_grpc
from aspel.licensing.v1 import subscription_pb2

from ..domain.admin import AdminServices
from ..domain.admin.imports import HOSTNAME_MAX_LENGTH, KnownActivation, LegacySubscription
from ..domain.admin.support import AuditFilter
from ..domain.admin.upgrades import OVERLAP_NEXT_VALIDATION, UpgradeOrder
from ..domain.idempotency import RequestKey
from ..domain.offline import OfflineActivationService
from ..domain.subscriptions import SubscriptionView
from ..domain.upgrade_terms import (
    CLAUSE_MAX_LENGTH,
    MAX_CLAUSES,
    RAZON_SOCIAL_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from ..store.subscriptions import SubscriptionTerms
from . import convert
from .auth_interceptor import current_actor
from .offline import redeem
from .pagination import AUDIT_EVENTS, WEBHOOK_ENDPOINTS, PageTokens, read_page
from .request_keys import required_request_key
from .validation import (
    ACCOUNT_ID_MAX_LENGTH,
    WEBHOOK_ENDPOINT_ID,
    Violations,
    given,
    serial_only,
)

REASON_MAX_LENGTH = 500
WEBHOOK_DESCRIPTION_MAX_LENGTH = 200
PAYMENT_REFERENCE_MAX_LENGTH = 100
ORDER_REFERENCE_MAX_LENGTH = 100
UPGRADE_SOURCES_MAX = 20
IMPORTED_ACTIVATIONS_MAX = 100  # the most installations a serial allows
KIND = re.compile(r"^[a-z0-9_.]{1,64}$")


def _audit_filters(where: AuditFilter) -> tuple[str | None, ...]:
    """What a page token of ListAuditEvents is bound to (AIP-158)."""
    return (
        where.account_id,
        where.serial_number,
        where.kind,
        where.start_time.isoformat() if where.start_time else None,
        where.end_time.isoformat() if where.end_time else None,
    )


def _reasoned_change(
    request: pb.SuspendSubscriptionRequest | pb.ReinstateSubscriptionRequest,
) -> tuple[str, str, RequestKey | None]:
    """The serial, the stated reason and the idempotency key of a change of state."""
    check = Violations()
    serial = check.serial("serial_number", request.serial_number)
    reason = check.text("reason", request.reason, REASON_MAX_LENGTH)
    key = check.request_key(request)
    check.raise_if_any()
    return serial, reason, key


def _modality(check: Violations, field: str, value: int) -> str:
    """The modality a request must name ("" with a violation when it does not)."""
    modality = check.enum(field, subscription_pb2.Modality, value)
    if modality is None:
        check.add(field, "Indica la modalidad: suscripción o licencia de pago único.")
    return modality or ""


def _sold_terms(
    check: Violations, request: pb.CreateSubscriptionRequest | pb.ImportSubscriptionRequest
) -> SubscriptionTerms:
    """What a serial is sold (or, for an import, was sold) as, checked into `check`."""
    product_code = check.product("product_code", request.product_code)
    version = check.version("version", request.version)
    modality = _modality(check, "modality", request.modality)
    period = check.enum("billing_period", subscription_pb2.BillingPeriod, request.billing_period)
    return SubscriptionTerms(
        product_code=product_code,
        version=version,
        users=request.users,
        installations_allowed=request.installations_allowed or 1,
        modality=modality,
        billing_period=period,
    )


@dataclass(eq=False)  # a servicer is one object, told apart by identity
class AdminServicer(pb_grpc.AdminServiceServicer):
    """Thin: the domain services do the work (their keys are ScopeInterceptor's)."""

    admin: AdminServices
    page_tokens: PageTokens
    offline: OfflineActivationService | None = None

    def _subscription(self, view: SubscriptionView) -> subscription_pb2.Subscription:
        return convert.subscription(view, self.admin.purchase_url)

    # --- accounts ---------------------------------------------------------------

    def CreateAccount(
        self, request: pb.CreateAccountRequest, context: grpc.ServicerContext
    ) -> pb.CreateAccountResponse:
        actor = current_actor()
        check = Violations()
        username = check.username("username", request.username)
        email = check.email("email", request.email)
        razon_social = check.text("razon_social", request.razon_social, RAZON_SOCIAL_MAX_LENGTH)
        key = check.request_key(request)
        check.raise_if_any()
        created = self.admin.accounts.create_account(
            actor,
            username=username,
            email=email,
            razon_social=razon_social,
            initial_password=request.initial_password or None,
            key=key,
        )
        return pb.CreateAccountResponse(
            account=convert.account(created.account),
            password_reset_email_queued=created.password_reset_email_queued,
        )

    def GetAccount(
        self, request: pb.GetAccountRequest, context: grpc.ServicerContext
    ) -> pb.GetAccountResponse:
        check = Violations()
        account_id, username = check.account_key(request)
        check.raise_if_any()
        details = self.admin.accounts.get_account(account_id, username)
        return pb.GetAccountResponse(
            account=convert.account(details.account),
            subscriptions=[self._subscription(v) for v in details.subscriptions],
            subscription_count=details.subscription_count,
            lock_expire_time=(
                convert.timestamp(details.lock_expire_time) if details.lock_expire_time else None
            ),
        )

    def UpdateAccount(
        self, request: pb.UpdateAccountRequest, context: grpc.ServicerContext
    ) -> pb.UpdateAccountResponse:
        actor = current_actor()
        check = Violations()
        account_id = check.text("account_id", request.account_id, ACCOUNT_ID_MAX_LENGTH)
        email = check.email("email", request.email) if request.HasField("email") else None
        razon_social = (
            check.text("razon_social", request.razon_social, RAZON_SOCIAL_MAX_LENGTH)
            if request.HasField("razon_social")
            else None
        )
        if email is None and razon_social is None:
            check.add("email", "Indica el correo, la razón social o ambos.")
        key = check.request_key(request)
        check.raise_if_any()
        view = self.admin.accounts.update_account(
            actor,
            account_id,
            email=email,
            razon_social=razon_social,
            key=key,
        )
        return pb.UpdateAccountResponse(account=convert.account(view))

    def DisableAccount(
        self, request: pb.DisableAccountRequest, context: grpc.ServicerContext
    ) -> pb.DisableAccountResponse:
        actor = current_actor()
        check = Violations()
        account_id = check.text("account_id", request.account_id, ACCOUNT_ID_MAX_LENGTH)
        reason = check.text("reason", request.reason, REASON_MAX_LENGTH)
        key = check.request_key(request)
        check.raise_if_any()
        result = self.admin.accounts.disable_account(actor, account_id, reason=reason, key=key)
        return pb.DisableAccountResponse(
            account=convert.account(result.account),
            ended_session_count=result.ended_session_count,
        )

    # --- catalog ------------------------------------------------------------------

    def PublishRelease(
        self, request: pb.PublishReleaseRequest, context: grpc.ServicerContext
    ) -> pb.PublishReleaseResponse:
        actor = current_actor()
        check = Violations()
        product_code = check.product("product_code", request.product_code)
        version = check.version("version", request.version)
        sources = [
            check.version(f"upgrade_from_versions[{i}]", v)
            for i, v in enumerate(request.upgrade_from_versions)
        ]
        if len(sources) > UPGRADE_SOURCES_MAX:
            check.add(
                "upgrade_from_versions",
                f"Indica como máximo {UPGRADE_SOURCES_MAX} versiones de origen.",
            )
        download_url = check.https_url("download_url", request.download_url)
        key = check.request_key(request)
        check.raise_if_any()
        view = self.admin.catalog.publish_release(
            actor,
            product_code=product_code,
            version=version,
            upgrade_from_versions=sources,
            download_url=download_url,
            key=key,
        )
        return pb.PublishReleaseResponse(release=convert.release(view))

    def PublishUpgradeTerms(
        self, request: pb.PublishUpgradeTermsRequest, context: grpc.ServicerContext
    ) -> pb.PublishUpgradeTermsResponse:
        actor = current_actor()
        check = Violations()
        product_code = check.product("product_code", request.product_code)
        to_version = check.version("to_version", request.to_version)
        title = check.text("title", request.title, TITLE_MAX_LENGTH)
        if not request.clauses or len(request.clauses) > MAX_CLAUSES:
            check.add("clauses", f"Escribe de 1 a {MAX_CLAUSES} cláusulas.")
        clauses = [
            check.text(f"clauses[{i}]", c, CLAUSE_MAX_LENGTH) for i, c in enumerate(request.clauses)
        ]
        introduction = check.optional("introduction", request.introduction, CLAUSE_MAX_LENGTH)
        key = check.request_key(request)
        check.raise_if_any()
        view = self.admin.catalog.publish_upgrade_terms(
            actor,
            product_code=product_code,
            to_version=to_version,
            title=title,
            clauses=clauses,
            introduction=introduction or None,
            key=key,
        )
        return pb.PublishUpgradeTermsResponse(upgrade_terms_template=convert.terms_template(view))

    # --- billing -----------------------------------------------------------------

    def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        actor = current_actor()
        check = Violations()
        account_id = check.text("account_id", request.account_id, ACCOUNT_ID_MAX_LENGTH)
        terms = _sold_terms(check, request)
        activation = check.date("activation_date", given(request, "activation_date"))
        key = check.request_key(request)
        check.raise_if_any()
        view = self.admin.billing.create_subscription(
            actor, account_id=account_id, terms=terms, activation_date=activation, key=key
        )
        return pb.CreateSubscriptionResponse(subscription=self._subscription(view))

    def RecordPayment(
        self, request: pb.RecordPaymentRequest, context: grpc.ServicerContext
    ) -> pb.RecordPaymentResponse:
        actor = current_actor()
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        request_id = check.required_request_id(
            "request_id",
            request.request_id,
            "Un pago necesita su identificador de solicitud (UUID).",
        )
        payment_reference = check.optional(
            "payment_reference", request.payment_reference, PAYMENT_REFERENCE_MAX_LENGTH
        )
        check.raise_if_any()
        result = self.admin.billing.record_payment(
            actor,
            serial,
            key=required_request_key(request, request_id),
            payment_reference=payment_reference,
        )
        return pb.RecordPaymentResponse(
            subscription=self._subscription(result.subscription),
            previous_next_payment_date=convert.date(result.previous_next_payment_date),
        )

    def SuspendSubscription(
        self, request: pb.SuspendSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.SuspendSubscriptionResponse:
        serial, reason, key = _reasoned_change(request)
        view = self.admin.billing.suspend(current_actor(), serial, reason=reason, key=key)
        return pb.SuspendSubscriptionResponse(subscription=self._subscription(view))

    def ReinstateSubscription(
        self, request: pb.ReinstateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.ReinstateSubscriptionResponse:
        serial, reason, key = _reasoned_change(request)
        view = self.admin.billing.reinstate(current_actor(), serial, reason=reason, key=key)
        return pb.ReinstateSubscriptionResponse(subscription=self._subscription(view))

    def ChangeSeats(
        self, request: pb.ChangeSeatsRequest, context: grpc.ServicerContext
    ) -> pb.ChangeSeatsResponse:
        actor = current_actor()
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        key = check.request_key(request)
        check.raise_if_any()
        view = self.admin.billing.change_seats(
            actor,
            serial,
            users=given(request, "users"),
            installations_allowed=given(request, "installations_allowed"),
            key=key,
        )
        return pb.ChangeSeatsResponse(subscription=self._subscription(view))

    # --- support -----------------------------------------------------------------

    def LookupSerial(
        self, request: pb.LookupSerialRequest, context: grpc.ServicerContext
    ) -> pb.LookupSerialResponse:
        found = self.admin.support.lookup_serial(serial_only(request.serial_number))
        return pb.LookupSerialResponse(
            subscription=self._subscription(found.subscription),
            account=convert.account(found.account),
            predecessors=[self._subscription(v) for v in found.predecessors],
            successors=[self._subscription(v) for v in found.successors],
            recent_events=[convert.audit_event(e) for e in found.recent_events],
            accepted_terms_id=found.accepted_terms_id or "",
            activations=[convert.activation(a) for a in found.activations],
            seats_in_use=found.seats_in_use,
            transfers_remaining=found.transfers_remaining,
            cloned_activations=convert.cloned_activations(found.cloned_activations),
        )

    def ReleaseActivation(
        self, request: pb.AdminServiceReleaseActivationRequest, context: grpc.ServicerContext
    ) -> pb.AdminServiceReleaseActivationResponse:
        actor = current_actor()
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        activation_id = check.activation_id("activation_id", request.activation_id)
        reason = check.text("reason", request.reason, REASON_MAX_LENGTH)
        key = check.request_key(request)
        check.raise_if_any()
        result = self.admin.installations.release_by_support(
            actor, serial, activation_id, reason, key
        )
        return pb.AdminServiceReleaseActivationResponse(**convert.released(result))

    def StartPasswordReset(
        self, request: pb.StartPasswordResetRequest, context: grpc.ServicerContext
    ) -> pb.StartPasswordResetResponse:
        actor = current_actor()
        check = Violations()
        account_id, username = check.account_key(request)
        key = check.request_key(request)
        check.raise_if_any()
        email = self.admin.accounts.start_password_reset(
            actor, account_id=account_id, username=username, key=key
        )
        return pb.StartPasswordResetResponse(email=email)

    def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEventsResponse:
        check = Violations()
        serial = (
            check.serial("serial_number", request.serial_number) if request.serial_number else None
        )
        kind = request.kind.strip() or None
        if kind is not None and not KIND.match(kind):
            check.add("kind", "El tipo de evento se escribe como «payment.recorded» o «login.».")
        start = check.timestamp("start_time", given(request, "start_time"))
        end = check.timestamp("end_time", given(request, "end_time"))
        if start is not None and end is not None and end < start:
            check.add("end_time", "El final del periodo no puede ser anterior a su inicio.")
        account_id = (
            check.optional("account_id", request.account_id.strip(), ACCOUNT_ID_MAX_LENGTH) or None
        )
        where = AuditFilter(
            account_id=account_id,
            serial_number=serial,
            kind=kind,
            start_time=start,
            end_time=end,
        )
        page, next_page_token = read_page(
            self.page_tokens,
            AUDIT_EVENTS,
            _audit_filters(where),
            request,
            check,
            lambda size, after_id: self.admin.support.list_audit_events(where, size, after_id),
        )
        return pb.ListAuditEventsResponse(
            audit_events=[convert.audit_event(e) for e in page.items],
            next_page_token=next_page_token,
        )

    # --- events: webhook endpoints ------------------------------------------------

    def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: grpc.ServicerContext
    ) -> pb.CreateWebhookEndpointResponse:
        actor = current_actor()
        webhooks = self.admin.webhooks
        check = Violations()
        url = check.webhook_url(
            "url", request.url, allow_loopback_http=webhooks.allow_loopback_http
        )
        event_types = check.event_types("event_types", request.event_types)
        description = check.optional(
            "description", request.description, WEBHOOK_DESCRIPTION_MAX_LENGTH
        )
        key = check.request_key(request)
        check.raise_if_any()
        created = webhooks.create(
            actor, url=url, event_types=event_types, description=description, key=key
        )
        return pb.CreateWebhookEndpointResponse(
            endpoint=convert.webhook_endpoint(created.endpoint), signing_secret=created.secret
        )

    def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: grpc.ServicerContext
    ) -> pb.ListWebhookEndpointsResponse:
        page, next_page_token = read_page(
            self.page_tokens, WEBHOOK_ENDPOINTS, (), request, Violations(), self.admin.webhooks.list
        )
        return pb.ListWebhookEndpointsResponse(
            endpoints=[convert.webhook_endpoint(e) for e in page.items],
            next_page_token=next_page_token,
        )

    def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: grpc.ServicerContext
    ) -> pb.DeleteWebhookEndpointResponse:
        actor = current_actor()
        check = Violations()
        endpoint_id = request.endpoint_id.strip()
        if not WEBHOOK_ENDPOINT_ID.match(endpoint_id):
            check.add("endpoint_id", "El identificador del destino se escribe como «whe_…».")
        key = check.request_key(request)
        check.raise_if_any()
        self.admin.webhooks.delete(actor, endpoint_id, key=key)
        return pb.DeleteWebhookEndpointResponse()

    # --- upgrades sold by billing ---------------------------------------------------

    def IssueUpgrade(
        self, request: pb.IssueUpgradeRequest, context: grpc.ServicerContext
    ) -> pb.IssueUpgradeResponse:
        actor = current_actor()
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        to_version = (
            check.version("to_version", request.to_version) if request.to_version.strip() else ""
        )
        kind = check.enum("kind", pb.UpgradeKind, request.kind)
        if kind is None:
            check.add("kind", "Indica qué se vendió: PURCHASED_UPGRADE o MODALITY_CHANGE.")
        modality = _modality(check, "new_modality", request.new_modality)
        period = check.enum(
            "billing_period", subscription_pb2.BillingPeriod, request.billing_period
        )
        order_reference = check.text(
            "order_reference", request.order_reference, ORDER_REFERENCE_MAX_LENGTH
        )
        overlap = (
            check.enum("overlap", pb.UpgradeOverlap, request.overlap) or OVERLAP_NEXT_VALIDATION
        )
        end_date = check.date("overlap_end_date", given(request, "overlap_end_date"))
        key = check.request_key(request)
        check.raise_if_any()
        issued = self.admin.upgrades.issue_upgrade(
            actor,
            UpgradeOrder(
                serial_number=serial,
                kind=kind or "",
                to_version=to_version,
                modality=modality,
                billing_period=period,
                order_reference=order_reference,
                overlap=overlap,
                overlap_end_date=end_date,
            ),
            key=key,
        )
        return pb.IssueUpgradeResponse(**convert.succession(issued, self.admin.purchase_url))

    def ImportSubscription(
        self, request: pb.ImportSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.ImportSubscriptionResponse:
        actor = current_actor()
        legacy, key = legacy_subscription(request)
        result = self.admin.imports.import_subscription(
            actor, legacy, key=key, dry_run=request.validate_only
        )
        return pb.ImportSubscriptionResponse(
            subscription=self._subscription(result.subscription),
            already_imported=result.already_imported,
        )

    # --- offline activation -----------------------------------------------------------

    def RedeemOfflineRequest(
        self, request: pb.AdminServiceRedeemOfflineRequestRequest, context: grpc.ServicerContext
    ) -> pb.AdminServiceRedeemOfflineRequestResponse:
        actor = current_actor()
        assert self.offline is not None, "AdminServicer built without offline activation"
        check = Violations()
        razon = check.optional("razon_social", request.razon_social, RAZON_SOCIAL_MAX_LENGTH)
        return pb.AdminServiceRedeemOfflineRequestResponse(
            **redeem(
                self.offline,
                check,
                request,
                razon_social_text=razon or None,
                account_db_id=None,
                actor=actor.audit_name,
                peer=actor.peer,
            )
        )


def legacy_subscription(
    request: pb.ImportSubscriptionRequest,
) -> tuple[LegacySubscription, RequestKey | None]:
    """The checked import of a request (also what `aspel-licensing-server
    import` runs each CSV row through), or INVALID_ARGUMENT."""
    check = Violations()
    serial = check.legacy_serial("serial_number", request.serial_number)
    account_id = check.text("account_id", request.account_id, ACCOUNT_ID_MAX_LENGTH)
    terms = _sold_terms(check, request)
    activation_date = check.date("activation_date", given(request, "activation_date"))
    if not request.HasField("activation_date"):
        check.add("activation_date", "Indica la fecha de activación del número de serie.")
    next_payment_date = check.date("next_payment_date", given(request, "next_payment_date"))
    activations = []
    if len(request.activations) > IMPORTED_ACTIVATIONS_MAX:
        check.add(
            "activations",
            f"Se importan como máximo {IMPORTED_ACTIVATIONS_MAX} activaciones por número de serie.",
        )
    else:
        for index, known in enumerate(request.activations):
            field = f"activations[{index}]"
            hostname = check.optional(f"{field}.hostname", known.hostname, HOSTNAME_MAX_LENGTH)
            fingerprint = check.fingerprint(
                f"{field}.machine_fingerprint", known.machine_fingerprint
            )
            when = check.timestamp(f"{field}.activate_time", given(known, "activate_time"))
            if not known.HasField("activate_time"):
                check.add(f"{field}.activate_time", "Indica cuándo se activó el equipo.")
            if when is not None:
                activations.append(KnownActivation(hostname, fingerprint, when))
    key = check.request_key(request)
    check.raise_if_any()
    assert activation_date is not None  # a violation otherwise
    legacy = LegacySubscription(
        serial_number=serial,
        account_id=account_id,
        **asdict(terms),
        activation_date=activation_date,
        next_payment_date=next_payment_date,
        activations=tuple(activations),
    )
    return legacy, key
