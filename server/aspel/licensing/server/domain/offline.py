"""Redeeming an offline activation (or renewal) request: a machine without
internet wrote it (`aspel-licensing offline-request`), a connected device
brings it here, and the answer is the signed licence it takes back.

The rules are ActivateInstallation's (this module calls into
`ActivationService`: seats, state, product and version, razón social), plus
those of the request itself:

- it is signed by the installation key it carries (possession of the key the
  licence will name), with the framing of the client's installation_key
  (`b"aspel-licensing/offline-request\\0" + request`);
- it was written at most `max_request_age` ago, and not later than now plus
  `future_tolerance` (an offline machine's clock drifts);
- its nonce is single-use per serial: the same request redeemed again (a
  retry, or by support after the portal) answers the same licence; another
  request with that nonce is OFFLINE_REQUEST_REPLAYED. The idempotency table
  keeps the nonce (its rows are never pruned), in the redemption's transaction.

An offline machine cannot check in every 30 days, so its licence lasts
longer: a perpetual licence `perpetual_validity` (365 days) of full use; a
subscription to the end of its next payment date (not cut at 30 days); always
cut at a superseded serial's retire date. The licence's grace period and
read-only access after it (`grace_end_time`, licence_policy) follow as for any
licence: a subscription's 7 days of grace after its payment date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .. import errors
from ..store.database import retry_on_conflict
from ..store.subscriptions import SubscriptionRow
from ..store.unit_of_work import UnitOfWork
from . import machine_match, serials
from .activation import ActivationResult, ActivationService, _b64
from .idempotency import RequestKey, Result, once
from .states import PERPETUAL_LICENSE, SUPERSEDED
from .subscriptions import audit_serial

#: The framing of the installation key's signature of a request.
SIGNED_PREFIX = b"aspel-licensing/offline-request\0"
PUBLIC_KEY_BYTES = 32
NONCE_OPERATION = "OfflineRequestNonce"


@dataclass(frozen=True)
class OfflinePolicy:
    #: The oldest request redeemed.
    max_request_age: dt.timedelta = dt.timedelta(days=30)
    #: How far ahead of the server's clock a request's time may be.
    future_tolerance: dt.timedelta = dt.timedelta(hours=24)
    #: The validity of a perpetual licence redeemed offline.
    perpetual_validity: dt.timedelta = dt.timedelta(days=365)


@dataclass(frozen=True)
class OfflineRequestClaims:
    """A decoded request (the transport parsed it), not yet verified."""

    serial_number: str
    product_code: str
    version: str
    machine_fingerprint: str
    #: (kind, hex digest prefix) of each component, carried for the seat
    #: rules that match machines by their components.
    components: tuple[tuple[int, str], ...]
    installation_public_key: bytes
    nonce: bytes
    create_time: dt.datetime
    activation_id: str
    #: The signed bytes and the signature over them.
    request: bytes
    signature: bytes


def signature_valid(claims: OfflineRequestClaims) -> bool:
    if len(claims.installation_public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(claims.installation_public_key).verify(
            claims.signature, SIGNED_PREFIX + claims.request
        )
    except (InvalidSignature, ValueError):
        return False
    return True


class OfflineActivationService:
    def __init__(self, activations: ActivationService, policy: OfflinePolicy | None = None) -> None:
        self.activations = activations
        self.policy = policy or OfflinePolicy()

    def redeem(
        self,
        claims: OfflineRequestClaims,
        *,
        razon_social_text: str | None,
        account_db_id: int | None,
        actor: str,
        key: RequestKey | None,
        peer: str | None,
    ) -> ActivationResult:
        """The licence for a request. `account_db_id` (the portal's caller)
        limits it to that account's serials; `razon_social_text` None (support)
        skips that check."""
        service = self.activations
        calendar = service.calendar
        serial_number = claims.serial_number
        detail = {
            "product_code": claims.product_code,
            "version": claims.version,
            "nonce": claims.nonce.hex(),
            "renewal": "true" if claims.activation_id else "false",
        }
        nonce_key = RequestKey(
            request_id=claims.nonce.hex(),
            operation=NONCE_OPERATION,
            fingerprint=hashlib.sha256(claims.request).hexdigest(),
        )

        @retry_on_conflict()
        def attempt() -> ActivationResult:
            now = calendar.now()
            today = calendar.today()
            shown = serials.display(serial_number)

            def redeem(tx: UnitOfWork) -> Result:
                row = service.subscription(tx, serial_number)
                if account_db_id is not None and row.account.id != account_db_id:
                    raise errors.SerialNotFound(shown)
                if razon_social_text is not None:
                    service.check_razon_social(row, razon_social_text)
                tx.subscriptions.lock(row.id)
                return once(
                    tx,
                    f"offline:{serial_number}",
                    nonce_key,
                    now,
                    lambda tx: self._issue_for(tx, row, claims, now, today, actor, peer),
                    reused=lambda _: errors.OfflineRequestReplayed(shown),
                )

            # A portal caller's retries are its account's: another account with
            # the same request code and request_id gets SERIAL_NOT_FOUND, not
            # the first caller's answer.
            scope = (
                f"account:{account_db_id}"
                if account_db_id is not None
                else f"serial:{serial_number}"
            )
            with service.store.write() as tx:
                result = once(tx, scope, key, now, redeem)
                return service.activation_result(tx, result, serial_number)

        with service.audit_refusal(
            "offline_activation.refused",
            serial_number,
            claims.machine_fingerprint,
            peer,
            detail,
            actor=actor,
        ):
            # Checked before any transaction: nothing about the serial is
            # read for a request its own key did not sign.
            if not signature_valid(claims):
                raise errors.OfflineRequestInvalid()
            now = calendar.now()
            age = now - claims.create_time
            if age > self.policy.max_request_age or -age > self.policy.future_tolerance:
                raise errors.OfflineRequestExpired(self.policy.max_request_age.days)
            return attempt()

    def _issue_for(
        self,
        tx: UnitOfWork,
        row: SubscriptionRow,
        claims: OfflineRequestClaims,
        now: dt.datetime,
        today: dt.date,
        actor: str,
        peer: str | None,
    ) -> Result:
        service = self.activations
        state = service.check_activatable(tx, row, claims.product_code, claims.version, today)
        if claims.activation_id:
            # A renewal: the machine's live activation, no new seat.
            activation = service.live_activation(
                tx, row, claims.activation_id, claims.machine_fingerprint
            )
            kind = "activation.offline_renewed"
        else:
            activation, new = service.seat_for_machine(
                tx,
                row,
                claims.machine_fingerprint,
                "",
                claims.product_code,
                claims.version,
                now,
            )
            kind = "activation.created" if new else "activation.offline_reissued"
        audit_serial(
            tx,
            row,
            kind,
            actor=actor,
            peer=peer,
            detail={
                "activation_id": activation.public_id,
                "product_code": claims.product_code,
                "version": claims.version,
                "offline": "true",
                "nonce": claims.nonce.hex(),
            },
            now=now,
        )
        expire_time = self.expire_time(row, state, now, today)
        # The installation key the request proved it holds becomes the
        # activation's (its deactivation receipts verify with it), and the
        # seat's bound covers this longer licence: a release while it runs
        # stays pending until it ends (seats.py).
        activation = machine_match.remember(
            tx,
            activation,
            machine_match.Identity(
                claims.machine_fingerprint,
                installation_public_key=claims.installation_public_key,
            ),
        )
        tx.activations.extend_license_bound(
            activation.id, service.license_bound(now, expire_time=expire_time)
        )
        signed = service.issue(
            row,
            activation,
            state,
            now,
            razon_social=row.account.razon_social,
            expire_time=expire_time,
            installation_public_key=claims.installation_public_key,
            offline_request_nonce=claims.nonce,
        )
        return {
            "activation_id": activation.public_id,
            "certificate": _b64(signed.certificate),
            "signature": _b64(signed.signature),
            "key_id": signed.key_id,
        }

    def expire_time(
        self, row: SubscriptionRow, state: str, now: dt.datetime, today: dt.date
    ) -> dt.datetime:
        """An offline licence's end (see the module docstring)."""
        service = self.activations
        if row.modality == PERPETUAL_LICENSE or row.next_payment_date is None:
            limits = [now + self.policy.perpetual_validity]
        else:
            limits = [service.end_of_day(max(row.next_payment_date, today))]
        if state == SUPERSEDED and row.retire_date is not None:
            limits.append(service.end_of_day(row.retire_date))
        return min(limits)
