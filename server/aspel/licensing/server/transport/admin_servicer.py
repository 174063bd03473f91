"""`aspel.licensing.v1.AdminService`: billing, catalog and support over gRPC.

Each method first resolves the service key (`authorization: Bearer <key>`) and
checks its scope, then validates the request, calls the domain and converts
the answer. The scope each method needs is listed in `SCOPES` and in the
method's comment in admin_service.proto.
"""

from __future__ import annotations

import re
import urllib.parse

import grpc
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from aspel.licensing.v1 import admin_service_pb2 as pb
from aspel.licensing.v1 import admin_service_pb2_grpc as pb_grpc
from aspel.licensing.v1 import subscription_pb2

from .. import request_context
from ..domain.admin.accounts import AccountAdmin
from ..domain.admin.billing import BillingAdmin
from ..domain.admin.catalog import CatalogAdmin
from ..domain.admin.support import AuditFilter, SupportAdmin
from ..domain.products import PRODUCT_NAMES, is_valid_version
from ..domain.service_keys import Actor, ServiceKeyService, require_scope
from ..domain.upgrade_terms import (
    CLAUSE_MAX_LENGTH,
    DOWNLOAD_URL_MAX_LENGTH,
    MAX_CLAUSES,
    RAZON_SOCIAL_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VERSION_MAX_LENGTH,
)
from . import admin_convert, convert
from .activation_servicer import activation as activation_message
from .pagination import AUDIT_EVENTS, PageTokens
from .peers import client_peer
from .request_keys import request_key
from .validation import Violations, bearer_token

BILLING, CATALOG, SUPPORT = "billing", "catalog", "support"

#: The scopes that admit each method (any one of them will do).
SCOPES: dict[str, tuple[str, ...]] = {
    "CreateAccount": (BILLING,),
    "GetAccount": (SUPPORT, BILLING),
    "UpdateAccount": (SUPPORT,),
    "DisableAccount": (SUPPORT,),
    "PublishRelease": (CATALOG,),
    "PublishUpgradeTerms": (CATALOG,),
    "CreateSubscription": (BILLING,),
    "RecordPayment": (BILLING,),
    "SuspendSubscription": (BILLING,),
    "ReinstateSubscription": (BILLING,),
    "ChangeSeats": (BILLING,),
    "LookupSerial": (SUPPORT,),
    "StartPasswordReset": (SUPPORT,),
    "ListAuditEvents": (SUPPORT,),
}

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A URL as it travels: printable ASCII without spaces (other characters are
# percent-encoded), so its length in characters is its length in bytes.
URL_CHARACTERS = re.compile(r"^[\x21-\x7e]+$")
KIND = re.compile(r"^[a-z0-9_.]{1,64}$")


class AdminViolations(Violations):
    """The field checks of AdminService, on top of the shared ones."""

    def username(self, field: str, value: str) -> str:
        name = value.strip().lower()
        if not USERNAME.match(name):
            self.add(
                field,
                "El usuario debe tener de 3 a 64 caracteres: letras, dígitos y . _ - @, "
                "y empezar con letra o dígito.",
            )
        return name

    def email(self, field: str, value: str) -> str:
        address = value.strip()
        if len(address) > 254 or not EMAIL.match(address):
            self.add(field, "Escribe un correo electrónico válido, por ejemplo nombre@empresa.mx.")
        return address

    def text(self, field: str, value: str, max_length: int) -> str:
        self.required(field, value, max_length=max_length)
        return value.strip()

    def product(self, field: str, value: str) -> str:
        code = value.strip().upper()
        if code not in PRODUCT_NAMES:
            self.add(field, f"Producto desconocido; usa uno de: {', '.join(PRODUCT_NAMES)}.")
        return code

    def version(self, field: str, value: str) -> str:
        version = value.strip()
        if len(version) > VERSION_MAX_LENGTH or not is_valid_version(version):
            self.add(field, "La versión se escribe con números y puntos, por ejemplo 8.0.")
        return version

    def https_url(self, field: str, value: str) -> str:
        url = value.strip()
        if len(url) > DOWNLOAD_URL_MAX_LENGTH:
            # The URL is rendered into every upgrade's terms: its limit is part
            # of the terms' worst case (domain/upgrade_terms.py).
            self.add(
                field,
                f"La dirección de descarga admite como máximo {DOWNLOAD_URL_MAX_LENGTH} "
                "caracteres.",
            )
            return url
        parsed = urllib.parse.urlsplit(url) if URL_CHARACTERS.match(url) else None
        if parsed is None or parsed.scheme != "https" or not parsed.hostname:
            self.add(
                field,
                "La dirección de descarga debe ser un URL https completo, sin espacios y con "
                "los caracteres especiales codificados (%XX).",
            )
        return url

    def enum(self, field: str, enum: EnumTypeWrapper, value: int) -> str | None:
        """The value's name without the enum's prefix; None when unspecified.
        An unknown number (proto3 enums are open) is a violation."""
        prefix = enum.DESCRIPTOR.values_by_number[0].name.removesuffix("UNSPECIFIED")
        if value == 0:
            return None
        if value not in enum.DESCRIPTOR.values_by_number:
            self.add(field, "El valor no es uno de los admitidos.")
            return None
        return str(enum.Name(value)).removeprefix(prefix)

    def account_key(
        self, request: pb.GetAccountRequest | pb.StartPasswordResetRequest
    ) -> tuple[str | None, str | None]:
        which = request.WhichOneof("account_key")
        if which == "account_id" and request.account_id.strip():
            return self.text("account_id", request.account_id, 64), None
        if which == "username" and request.username.strip():
            return None, self.text("username", request.username, 128).lower()
        self.add("account_id", "Indica el identificador de la cuenta o su nombre de usuario.")
        return None, None


def _audit_filters(where: AuditFilter) -> tuple[str | None, ...]:
    """What a page token of ListAuditEvents is bound to (AIP-158)."""
    return (
        where.account_id,
        where.serial_number,
        where.kind,
        where.start_time.isoformat() if where.start_time else None,
        where.end_time.isoformat() if where.end_time else None,
    )


class AdminServicer(pb_grpc.AdminServiceServicer):
    def __init__(
        self,
        keys: ServiceKeyService,
        accounts: AccountAdmin,
        catalog: CatalogAdmin,
        billing: BillingAdmin,
        support: SupportAdmin,
        page_tokens: PageTokens,
    ) -> None:
        self.keys = keys
        self.accounts = accounts
        self.catalog = catalog
        self.billing = billing
        self.support = support
        self.page_tokens = page_tokens

    def _actor(self, method: str, context: grpc.ServicerContext) -> Actor:
        actor = self.keys.authenticate(bearer_token(context), client_peer(context))
        request_context.set_actor(actor.key_name)  # for the request log
        require_scope(actor, SCOPES[method])
        return actor

    # --- accounts ---------------------------------------------------------------

    def CreateAccount(
        self, request: pb.CreateAccountRequest, context: grpc.ServicerContext
    ) -> pb.CreateAccountResponse:
        actor = self._actor("CreateAccount", context)
        check = AdminViolations()
        username = check.username("username", request.username)
        email = check.email("email", request.email)
        razon_social = check.text("razon_social", request.razon_social, RAZON_SOCIAL_MAX_LENGTH)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        created = self.accounts.create_account(
            actor,
            username=username,
            email=email,
            razon_social=razon_social,
            initial_password=request.initial_password or None,
            key=request_key(request, request_id),
        )
        return pb.CreateAccountResponse(
            account=convert.account(created.account),
            password_reset_email_queued=created.password_reset_email_queued,
        )

    def GetAccount(
        self, request: pb.GetAccountRequest, context: grpc.ServicerContext
    ) -> pb.GetAccountResponse:
        self._actor("GetAccount", context)
        check = AdminViolations()
        account_id, username = check.account_key(request)
        check.raise_if_any()
        details = self.accounts.get_account(account_id, username)
        return pb.GetAccountResponse(
            account=convert.account(details.account),
            subscriptions=[convert.subscription(v) for v in details.subscriptions],
            subscription_count=details.subscription_count,
            lock_expire_time=(
                convert.timestamp(details.lock_expire_time) if details.lock_expire_time else None
            ),
        )

    def UpdateAccount(
        self, request: pb.UpdateAccountRequest, context: grpc.ServicerContext
    ) -> pb.UpdateAccountResponse:
        actor = self._actor("UpdateAccount", context)
        check = AdminViolations()
        account_id = check.text("account_id", request.account_id, 64)
        email = check.email("email", request.email) if request.HasField("email") else None
        razon_social = (
            check.text("razon_social", request.razon_social, RAZON_SOCIAL_MAX_LENGTH)
            if request.HasField("razon_social")
            else None
        )
        if email is None and razon_social is None:
            check.add("email", "Indica el correo, la razón social o ambos.")
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.accounts.update_account(
            actor,
            account_id,
            email=email,
            razon_social=razon_social,
            key=request_key(request, request_id),
        )
        return pb.UpdateAccountResponse(account=convert.account(view))

    def DisableAccount(
        self, request: pb.DisableAccountRequest, context: grpc.ServicerContext
    ) -> pb.DisableAccountResponse:
        actor = self._actor("DisableAccount", context)
        check = AdminViolations()
        account_id = check.text("account_id", request.account_id, 64)
        reason = check.text("reason", request.reason, 500)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        result = self.accounts.disable_account(
            actor, account_id, reason=reason, key=request_key(request, request_id)
        )
        return pb.DisableAccountResponse(
            account=convert.account(result.account),
            ended_session_count=result.ended_session_count,
        )

    # --- catalog ------------------------------------------------------------------

    def PublishRelease(
        self, request: pb.PublishReleaseRequest, context: grpc.ServicerContext
    ) -> pb.PublishReleaseResponse:
        actor = self._actor("PublishRelease", context)
        check = AdminViolations()
        product_code = check.product("product_code", request.product_code)
        version = check.version("version", request.version)
        sources = [
            check.version(f"upgrade_from_versions[{i}]", v)
            for i, v in enumerate(request.upgrade_from_versions)
        ]
        if len(sources) > 20:
            check.add("upgrade_from_versions", "Indica como máximo 20 versiones de origen.")
        download_url = check.https_url("download_url", request.download_url)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.catalog.publish_release(
            actor,
            product_code=product_code,
            version=version,
            upgrade_from_versions=sources,
            download_url=download_url,
            key=request_key(request, request_id),
        )
        return pb.PublishReleaseResponse(release=admin_convert.release(view))

    def PublishUpgradeTerms(
        self, request: pb.PublishUpgradeTermsRequest, context: grpc.ServicerContext
    ) -> pb.PublishUpgradeTermsResponse:
        actor = self._actor("PublishUpgradeTerms", context)
        check = AdminViolations()
        product_code = check.product("product_code", request.product_code)
        to_version = check.version("to_version", request.to_version)
        title = check.text("title", request.title, TITLE_MAX_LENGTH)
        if not request.clauses or len(request.clauses) > MAX_CLAUSES:
            check.add("clauses", f"Escribe de 1 a {MAX_CLAUSES} cláusulas.")
        clauses = [
            check.text(f"clauses[{i}]", c, CLAUSE_MAX_LENGTH) for i, c in enumerate(request.clauses)
        ]
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.catalog.publish_upgrade_terms(
            actor,
            product_code=product_code,
            to_version=to_version,
            title=title,
            clauses=clauses,
            key=request_key(request, request_id),
        )
        return pb.PublishUpgradeTermsResponse(
            upgrade_terms_template=admin_convert.terms_template(view)
        )

    # --- billing -----------------------------------------------------------------

    def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        actor = self._actor("CreateSubscription", context)
        check = AdminViolations()
        account_id = check.text("account_id", request.account_id, 64)
        product_code = check.product("product_code", request.product_code)
        version = check.version("version", request.version)
        modality = check.enum("modality", subscription_pb2.Modality, request.modality)
        if modality is None:
            check.add("modality", "Indica la modalidad: suscripción o licencia de pago único.")
        period = check.enum(
            "billing_period", subscription_pb2.BillingPeriod, request.billing_period
        )
        activation = check.date(
            "activation_date",
            request.activation_date if request.HasField("activation_date") else None,
        )
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.billing.create_subscription(
            actor,
            account_id=account_id,
            product_code=product_code,
            version=version,
            users=request.users,
            modality=modality or "",
            billing_period=period,
            installations_allowed=request.installations_allowed or 1,
            activation_date=activation,
            key=request_key(request, request_id),
        )
        return pb.CreateSubscriptionResponse(subscription=convert.subscription(view))

    def RecordPayment(
        self, request: pb.RecordPaymentRequest, context: grpc.ServicerContext
    ) -> pb.RecordPaymentResponse:
        actor = self._actor("RecordPayment", context)
        check = AdminViolations()
        serial = check.serial("serial_number", request.serial_number)
        if not request.request_id:
            check.add("request_id", "Un pago necesita su identificador de solicitud (UUID).")
        request_id = check.request_id("request_id", request.request_id)
        if len(request.payment_reference) > 100:
            check.add("payment_reference", "La referencia admite como máximo 100 caracteres.")
        check.raise_if_any()
        key = request_key(request, request_id)
        assert key is not None
        result = self.billing.record_payment(
            actor,
            serial,
            key=key,
            payment_reference=request.payment_reference.strip(),
        )
        return pb.RecordPaymentResponse(
            subscription=convert.subscription(result.subscription),
            previous_next_payment_date=convert.date(result.previous_next_payment_date),
        )

    def SuspendSubscription(
        self, request: pb.SuspendSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.SuspendSubscriptionResponse:
        actor = self._actor("SuspendSubscription", context)
        check = AdminViolations()
        serial = check.serial("serial_number", request.serial_number)
        reason = check.text("reason", request.reason, 500)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.billing.suspend(
            actor, serial, reason=reason, key=request_key(request, request_id)
        )
        return pb.SuspendSubscriptionResponse(subscription=convert.subscription(view))

    def ReinstateSubscription(
        self, request: pb.ReinstateSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.ReinstateSubscriptionResponse:
        actor = self._actor("ReinstateSubscription", context)
        check = AdminViolations()
        serial = check.serial("serial_number", request.serial_number)
        reason = check.text("reason", request.reason, 500)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.billing.reinstate(
            actor, serial, reason=reason, key=request_key(request, request_id)
        )
        return pb.ReinstateSubscriptionResponse(subscription=convert.subscription(view))

    def ChangeSeats(
        self, request: pb.ChangeSeatsRequest, context: grpc.ServicerContext
    ) -> pb.ChangeSeatsResponse:
        actor = self._actor("ChangeSeats", context)
        check = AdminViolations()
        serial = check.serial("serial_number", request.serial_number)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        view = self.billing.change_seats(
            actor,
            serial,
            users=request.users if request.HasField("users") else None,
            installations_allowed=(
                request.installations_allowed if request.HasField("installations_allowed") else None
            ),
            key=request_key(request, request_id),
        )
        return pb.ChangeSeatsResponse(subscription=convert.subscription(view))

    # --- support -----------------------------------------------------------------

    def LookupSerial(
        self, request: pb.LookupSerialRequest, context: grpc.ServicerContext
    ) -> pb.LookupSerialResponse:
        self._actor("LookupSerial", context)
        check = AdminViolations()
        serial = check.serial("serial_number", request.serial_number)
        check.raise_if_any()
        found = self.support.lookup_serial(serial)
        return pb.LookupSerialResponse(
            subscription=convert.subscription(found.subscription),
            account=convert.account(found.account),
            predecessors=[convert.subscription(v) for v in found.predecessors],
            successors=[convert.subscription(v) for v in found.successors],
            recent_events=[admin_convert.audit_event(e) for e in found.recent_events],
            accepted_terms_id=found.accepted_terms_id or "",
            activations=[activation_message(a) for a in found.activations],
        )

    def StartPasswordReset(
        self, request: pb.StartPasswordResetRequest, context: grpc.ServicerContext
    ) -> pb.StartPasswordResetResponse:
        actor = self._actor("StartPasswordReset", context)
        check = AdminViolations()
        account_id, username = check.account_key(request)
        request_id = check.request_id("request_id", request.request_id)
        check.raise_if_any()
        email = self.accounts.start_password_reset(
            actor, account_id=account_id, username=username, key=request_key(request, request_id)
        )
        return pb.StartPasswordResetResponse(email=email)

    def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEventsResponse:
        self._actor("ListAuditEvents", context)
        check = AdminViolations()
        page_size = check.page_size("page_size", request.page_size, AUDIT_EVENTS)
        serial = (
            check.serial("serial_number", request.serial_number) if request.serial_number else None
        )
        kind = request.kind.strip() or None
        if kind is not None and not KIND.match(kind):
            check.add("kind", "El tipo de evento se escribe como «payment.recorded» o «login.».")
        start = check.timestamp(
            "start_time", request.start_time if request.HasField("start_time") else None
        )
        end = check.timestamp(
            "end_time", request.end_time if request.HasField("end_time") else None
        )
        if start is not None and end is not None and end < start:
            check.add("end_time", "El final del periodo no puede ser anterior a su inicio.")
        account_id = request.account_id.strip() or None
        if account_id is not None and len(account_id) > 64:
            check.add("account_id", "El identificador de la cuenta es demasiado largo.")
        check.raise_if_any()
        where = AuditFilter(
            account_id=account_id,
            serial_number=serial,
            kind=kind,
            start_time=start,
            end_time=end,
        )
        filters = _audit_filters(where)
        after_id = self.page_tokens.decode(AUDIT_EVENTS, filters, request.page_token)
        page = self.support.list_audit_events(where, page_size, after_id)
        return pb.ListAuditEventsResponse(
            audit_events=[admin_convert.audit_event(e) for e in page.events],
            next_page_token=self.page_tokens.encode(AUDIT_EVENTS, filters, page.next_after_id),
        )
