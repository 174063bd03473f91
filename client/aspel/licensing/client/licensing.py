"""`LicensingClient`: the customer portal (`aspel.licensing.v1.LicensingService`).

    with LicensingClient("127.0.0.1:50051") as client:
        client.authenticate("demo", password)      # keeps the session token
        for subscription in client.list_subscriptions():
            print(subscription.serial_number, subscription.state)
        terms = client.get_upgrade_terms(serial)
        result = client.accept_upgrade(serial, terms.terms_id)
        print(result.subscription.serial_number)

Methods return the generated messages of `aspel.licensing.v1` and raise the
typed errors of `errors` (see `base` for deadlines and retries).
"""

from __future__ import annotations

from collections.abc import Iterator

from aspel.licensing.v1 import activation_pb2, subscription_pb2, upgrade_terms_pb2
from aspel.licensing.v1 import licensing_service_pb2 as pb
from aspel.licensing.v1 import licensing_service_pb2_grpc as pb_grpc

from .base import BaseClient, follow_pages


class LicensingClient(BaseClient):
    """A client of LicensingService. Not thread-safe while the token changes
    (authenticate, sign_out); the calls themselves may run from many threads."""

    stub_class = pb_grpc.LicensingServiceStub

    # --- session ---------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> pb.AuthenticateResponse:
        """Logs in; later calls of this client send the new session token.

        Raises UnauthenticatedError (INVALID_CREDENTIALS, ACCOUNT_LOCKED),
        PermissionDeniedError (ACCOUNT_DISABLED), InvalidArgumentError.
        """
        response: pb.AuthenticateResponse = self._call(
            self._stub.Authenticate,
            pb.AuthenticateRequest(username=username, password=password),
            authenticated=False,
        )
        self.token = response.session_token
        return response

    def sign_out(self) -> None:
        """Ends the session on the server and forgets the token.

        Raises UnauthenticatedError (SESSION_INVALID) when the session had
        already ended; the token is forgotten either way.
        """
        try:
            self._call(self._stub.SignOut, pb.SignOutRequest())
        finally:
            self.token = None

    # --- subscriptions -----------------------------------------------------------

    def list_subscriptions_page(
        self, page_size: int = 0, page_token: str = ""
    ) -> pb.ListSubscriptionsResponse:
        """One page of the caller's serials, oldest first (0 = server default size)."""
        return self._call(
            self._stub.ListSubscriptions,
            pb.ListSubscriptionsRequest(page_size=page_size, page_token=page_token),
        )

    def list_subscriptions(self, page_size: int = 0) -> Iterator[subscription_pb2.Subscription]:
        """Every serial of the caller, fetching the pages as it goes."""
        return follow_pages(
            lambda token: self.list_subscriptions_page(page_size, token),
            lambda page: page.subscriptions,
        )

    def get_subscription(self, serial_number: str) -> subscription_pb2.Subscription:
        """One of the caller's serials (NotFoundError SERIAL_NOT_FOUND otherwise)."""
        response: pb.GetSubscriptionResponse = self._call(
            self._stub.GetSubscription, pb.GetSubscriptionRequest(serial_number=serial_number)
        )
        return response.subscription

    # --- upgrades ----------------------------------------------------------------

    def get_upgrade_terms(self, serial_number: str) -> upgrade_terms_pb2.UpgradeTerms:
        """The terms to move a serial to its newest free version.

        Raises FailedPreconditionError (SERIAL_NOT_ACTIVE, NO_UPGRADE_AVAILABLE,
        UPGRADE_REQUIRES_PURCHASE) or NotFoundError (SERIAL_NOT_FOUND).
        """
        response: pb.GetUpgradeTermsResponse = self._call(
            self._stub.GetUpgradeTerms, pb.GetUpgradeTermsRequest(serial_number=serial_number)
        )
        return response.upgrade_terms

    def accept_upgrade(
        self, serial_number: str, terms_id: str, request_id: str | None = None
    ) -> pb.AcceptUpgradeResponse:
        """Accepts the terms `terms_id` and gets the new serial.

        The call always carries a request_id (a new UUID unless given), so it is
        retried on UNAVAILABLE and ABORTED without risk of a second upgrade.
        Accepting again for a serial already upgraded returns the same new serial.
        Raises, besides the errors of get_upgrade_terms, FailedPreconditionError
        TERMS_OUTDATED (fetch the terms again) and InvalidArgumentError
        REQUEST_ID_REUSED.
        """
        return self._mutate(
            self._stub.AcceptUpgrade,
            pb.AcceptUpgradeRequest(serial_number=serial_number, terms_id=terms_id),
            request_id,
        )

    # --- installations ------------------------------------------------------------

    def list_activations_page(
        self, serial_number: str, page_size: int = 0, page_token: str = ""
    ) -> pb.ListActivationsResponse:
        """One page of a serial's installations, oldest first, released ones included."""
        return self._call(
            self._stub.ListActivations,
            pb.ListActivationsRequest(
                serial_number=serial_number, page_size=page_size, page_token=page_token
            ),
        )

    def list_activations(
        self, serial_number: str, page_size: int = 0
    ) -> Iterator[activation_pb2.Activation]:
        """Every installation of one of the caller's serials, fetching pages as it
        goes (NotFoundError SERIAL_NOT_FOUND for a serial of another account)."""
        return follow_pages(
            lambda token: self.list_activations_page(serial_number, page_size, token),
            lambda page: page.activations,
        )

    def release_activation(
        self, serial_number: str, activation_id: str, request_id: str | None = None
    ) -> pb.ReleaseActivationResponse:
        """Releases an installation (a dead or stolen machine); its seat is free
        at once or at `activation.seat_free_time` (state RELEASE_PENDING).

        Always carries a request_id (a new UUID unless given), so it is retried
        on UNAVAILABLE and ABORTED without a second email. Raises NotFoundError
        (SERIAL_NOT_FOUND, ACTIVATION_NOT_FOUND), InvalidArgumentError.
        """
        return self._mutate(
            self._stub.ReleaseActivation,
            pb.ReleaseActivationRequest(serial_number=serial_number, activation_id=activation_id),
            request_id,
        )

    def redeem_offline_request(
        self, request_code: str, razon_social: str, request_id: str | None = None
    ) -> pb.RedeemOfflineRequestResponse:
        """Redeems an offline activation request (any of its text forms) of one
        of the caller's serials; the answer carries the licence as a response
        file's text and as a code. Redeeming the same request again gives the
        same licence, so the call is retried safely."""
        return self._mutate(
            self._stub.RedeemOfflineRequest,
            pb.RedeemOfflineRequestRequest(request_code=request_code, razon_social=razon_social),
            request_id,
        )

    # --- password recovery ---------------------------------------------------------

    def request_password_reset(self, email_or_username: str, request_id: str | None = None) -> None:
        """Asks the server to email a reset code to the account's address.

        The answer is the same whether or not an account matches (the server
        never confirms that one exists). Needs no session; the client's token,
        if any, is not sent. Carries a request_id, so a retry sends no second
        email. Raises ResourceExhaustedError (RATE_LIMITED, metadata
        `retry_time`) or InvalidArgumentError.
        """
        self._mutate(
            self._stub.RequestPasswordReset,
            pb.RequestPasswordResetRequest(email_or_username=email_or_username),
            request_id,
            authenticated=False,
        )

    def reset_password(
        self, reset_token: str, new_password: str, request_id: str | None = None
    ) -> None:
        """Sets a new password with the code of the reset email.

        Every session of the account ends; log in again with the new password.
        Raises InvalidArgumentError with reason RESET_TOKEN_INVALID (unknown,
        used or expired code: ask for another), PASSWORD_TOO_WEAK (the field
        violations say why; the code still works) or INVALID_ARGUMENT.
        """
        self._mutate(
            self._stub.ResetPassword,
            pb.ResetPasswordRequest(reset_token=reset_token, new_password=new_password),
            request_id,
            authenticated=False,
        )
