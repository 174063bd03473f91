"""`aspel.licensing.v1.LicensingService`: the customer portal over gRPC."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from .. import request_context
from ..domain.auth import AuthService, Caller, user_actor
from ..domain.installations import InstallationService
from ..domain.offline import OfflineActivationService
from ..domain.password_reset import PasswordResetService
from ..domain.portal import PortalService
from . import convert
from .activation_servicer import RAZON_SOCIAL_MAX_LENGTH
from .offline import redeem
from .pagination import ACTIVATIONS, SUBSCRIPTIONS, PageTokens, read_page
from .peers import client_peer
from .validation import Violations, bearer_token, serial_only


@dataclass(eq=False)  # a servicer is one object, told apart by identity
class LicensingServicer(pb_grpc.LicensingServiceServicer):
    auth: AuthService
    portal: PortalService
    password_reset: PasswordResetService
    page_tokens: PageTokens
    installations: InstallationService
    offline: OfflineActivationService | None = None

    def _caller(self, context: grpc.ServicerContext) -> Caller:
        caller = self.auth.resolve_session(bearer_token(context))
        request_context.set_actor(caller.account_id)  # for the request log
        return caller

    def Authenticate(
        self, request: pb.AuthenticateRequest, context: grpc.ServicerContext
    ) -> pb.AuthenticateResponse:
        check = Violations()
        check.required("username", request.username, max_length=128)
        check.required("password", request.password, max_length=1024)
        check.raise_if_any()
        result = self.auth.authenticate(request.username, request.password, client_peer(context))
        request_context.set_actor(result.account.account_id)
        return pb.AuthenticateResponse(
            session_token=result.session_token,
            expire_time=convert.timestamp(result.expire_time),
            account=convert.account(result.account),
        )

    def SignOut(
        self, request: pb.SignOutRequest, context: grpc.ServicerContext
    ) -> pb.SignOutResponse:
        self.auth.sign_out(self._caller(context), client_peer(context))
        return pb.SignOutResponse()

    def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: grpc.ServicerContext
    ) -> pb.ListSubscriptionsResponse:
        caller = self._caller(context)
        page, next_page_token = read_page(
            self.page_tokens,
            SUBSCRIPTIONS,
            (caller.account_db_id,),  # a token is bound to the account it was issued to
            request,
            Violations(),
            lambda size, after_id: self.portal.list_subscriptions(caller, size, after_id),
        )
        return pb.ListSubscriptionsResponse(
            subscriptions=[
                convert.subscription(v, self.portal.purchase_url) for v in page.subscriptions
            ],
            next_page_token=next_page_token,
        )

    def GetSubscription(
        self, request: pb.GetSubscriptionRequest, context: grpc.ServicerContext
    ) -> pb.GetSubscriptionResponse:
        caller = self._caller(context)  # a session first: never validate for strangers
        view = self.portal.get_subscription(caller, serial_only(request.serial_number))
        return pb.GetSubscriptionResponse(
            subscription=convert.subscription(view, self.portal.purchase_url)
        )

    def GetUpgradeTerms(
        self, request: pb.GetUpgradeTermsRequest, context: grpc.ServicerContext
    ) -> pb.GetUpgradeTermsResponse:
        caller = self._caller(context)  # a session first: never validate for strangers
        terms = self.portal.get_upgrade_terms(caller, serial_only(request.serial_number))
        return pb.GetUpgradeTermsResponse(upgrade_terms=convert.upgrade_terms(terms))

    def AcceptUpgrade(
        self, request: pb.AcceptUpgradeRequest, context: grpc.ServicerContext
    ) -> pb.AcceptUpgradeResponse:
        caller = self._caller(context)
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        check.required("terms_id", request.terms_id, max_length=128)
        key = check.request_key(request)
        check.raise_if_any()
        result = self.portal.accept_upgrade(
            caller,
            serial,
            request.terms_id,
            key,
            client_peer(context),
        )
        return pb.AcceptUpgradeResponse(**convert.succession(result, self.portal.purchase_url))

    # --- password recovery -------------------------------------------------------

    def RequestPasswordReset(
        self, request: pb.RequestPasswordResetRequest, context: grpc.ServicerContext
    ) -> pb.RequestPasswordResetResponse:
        check = Violations()
        check.required("email_or_username", request.email_or_username, max_length=254)
        key = check.request_key(request)
        check.raise_if_any()
        self.password_reset.request_reset(
            request.email_or_username,
            key,
            client_peer(context),
        )
        return pb.RequestPasswordResetResponse()

    def ResetPassword(
        self, request: pb.ResetPasswordRequest, context: grpc.ServicerContext
    ) -> pb.ResetPasswordResponse:
        check = Violations()
        check.required("reset_token", request.reset_token, max_length=128)
        # The policy counts characters after NFC and allows 256; this bounds the work.
        check.required("new_password", request.new_password, max_length=1024)
        key = check.request_key(request)
        check.raise_if_any()
        self.password_reset.reset_password(
            request.reset_token,
            request.new_password,
            key,
            client_peer(context),
        )
        return pb.ResetPasswordResponse()

    # --- installations -------------------------------------------------------------

    def ListActivations(
        self, request: pb.ListActivationsRequest, context: grpc.ServicerContext
    ) -> pb.ListActivationsResponse:
        caller = self._caller(context)
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        page, next_page_token = read_page(
            self.page_tokens,
            ACTIVATIONS,
            # A token is bound to the account and the serial it was issued for.
            (caller.account_db_id, serial),
            request,
            check,
            lambda size, after_id: self.installations.list_activations(
                caller, serial, size, after_id
            ),
        )
        return pb.ListActivationsResponse(
            activations=[convert.activation(v) for v in page.items],
            next_page_token=next_page_token,
        )

    def ReleaseActivation(
        self, request: pb.ReleaseActivationRequest, context: grpc.ServicerContext
    ) -> pb.ReleaseActivationResponse:
        caller = self._caller(context)
        check = Violations()
        serial = check.serial("serial_number", request.serial_number)
        activation_id = check.activation_id("activation_id", request.activation_id)
        key = check.request_key(request)
        check.raise_if_any()
        result = self.installations.release_by_customer(
            caller, serial, activation_id, key, client_peer(context)
        )
        return pb.ReleaseActivationResponse(**convert.released(result))

    def RedeemOfflineRequest(
        self, request: pb.RedeemOfflineRequestRequest, context: grpc.ServicerContext
    ) -> pb.RedeemOfflineRequestResponse:
        caller = self._caller(context)
        assert self.offline is not None, "LicensingServicer built without offline activation"
        check = Violations()
        check.required("razon_social", request.razon_social, max_length=RAZON_SOCIAL_MAX_LENGTH)
        return pb.RedeemOfflineRequestResponse(
            **redeem(
                self.offline,
                check,
                request,
                razon_social_text=request.razon_social,
                account_db_id=caller.account_db_id,
                actor=user_actor(caller.username),
                peer=client_peer(context),
            )
        )
