"""A serial's installations as the customer and support manage them: the
list with each seat's state, releasing one from the portal or by support, and
the automatic reclaim of the seats of machines that went silent.

Every release goes through `seats.release_seat` (the one rule); the
product's own DeactivateInstallation does too (domain/activation.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from .. import errors
from ..store.database import Store, retry_on_conflict
from ..store.models import Activation
from ..store.subscriptions import AnySubscription
from ..store.unit_of_work import UnitOfWork
from . import seats, serials
from .activation import ActivationView, activation_view
from .auth import Caller, user_actor
from .clock import BusinessCalendar
from .emails import email_account
from .idempotency import RequestKey, Result, once
from .paging import Page, page_of_rows
from .products import product_name
from .service_keys import Actor
from .spanish import time_of_day
from .subscriptions import audit_serial, find_owned_serial, find_serial

log = logging.getLogger(__name__)

RELEASE_EMAIL_KIND = "installation_released"

#: Finds the serial a release acts on: the caller's own, or any (support).
_Finder = Callable[[UnitOfWork], AnySubscription]


@dataclass(frozen=True)
class ReleaseResult:
    activation: ActivationView
    #: Immediate transfers of the serial left in the rolling window.
    transfers_remaining: int


class InstallationService:
    def __init__(
        self, store: Store, calendar: BusinessCalendar, policy: seats.SeatPolicy | None = None
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.policy = policy or seats.SeatPolicy()

    # --- the customer's -------------------------------------------------------

    def list_activations(
        self, caller: Caller, serial_number: str, size: int, after_id: int
    ) -> Page[ActivationView]:
        """`size` activations after `after_id`, oldest first, released ones included."""
        now = self.calendar.now()
        with self.store.read() as tx:
            row = find_owned_serial(tx, caller.account_db_id, serial_number)
            read = tx.activations.page_of_subscription(row.id, after_id, size + 1)
            return page_of_rows(read, size, lambda a: activation_view(a, row.serial_number, now))

    def release_by_customer(
        self,
        caller: Caller,
        serial_number: str,
        activation_id: str,
        key: RequestKey | None,
        peer: str | None,
    ) -> ReleaseResult:
        return self._release(
            scope=f"account:{caller.account_id}",
            find=lambda tx: find_owned_serial(tx, caller.account_db_id, serial_number),
            activation_id=activation_id,
            actor=user_actor(caller.username),
            peer=peer,
            detail={},
            cause="Liberaste desde el portal Mi cuenta Aspel la instalación de este equipo:",
            key=key,
        )

    # --- support's ------------------------------------------------------------

    def release_by_support(
        self,
        actor: Actor,
        serial_number: str,
        activation_id: str,
        reason: str,
        key: RequestKey | None,
    ) -> ReleaseResult:
        return self._release(
            scope=actor.idempotency_scope,
            find=lambda tx: find_serial(tx, serial_number),
            activation_id=activation_id,
            actor=actor.audit_name,
            peer=actor.peer,
            detail={"reason": reason},
            cause="Soporte Aspel liberó, a tu solicitud, la instalación de este equipo:",
            key=key,
        )

    # --- the reclaim ------------------------------------------------------------

    def reclaim(self) -> int:
        """Releases every activation whose latest licence expired more than
        `reclaim_after` ago without a validation; returns how many.

        Each in its own short transaction, through a conditional UPDATE: with
        several workers or machines reclaiming at once, each activation is
        reclaimed (audited, emailed) once, and one validated meanwhile is not.
        """
        done = 0
        skipped: set[int] = set()
        while True:
            now = self.calendar.now()
            cutoff = now - self.policy.reclaim_after
            with self.store.read() as tx:
                batch = [
                    a.id
                    for a in tx.activations.reclaim_candidates(
                        cutoff, self.policy.reclaim_batch + len(skipped)
                    )
                    if a.id not in skipped
                ]
            if not batch:
                return done
            for activation_db_id in batch:
                if self._reclaim_one(activation_db_id):
                    done += 1
                else:
                    skipped.add(activation_db_id)

    @retry_on_conflict()
    def _reclaim_one(self, activation_db_id: int) -> bool:
        now = self.calendar.now()
        cutoff = now - self.policy.reclaim_after
        with self.store.write() as tx:
            found = tx.activations.find_by_id(activation_db_id)
            if found is None:  # pragma: no cover - activations are never deleted
                return False
            row = tx.subscriptions.get_by_id(found.subscription_id)
            tx.subscriptions.lock(row.id)
            if not tx.activations.reclaim(
                activation_db_id, now, kind=seats.RECLAIMED, expired_before=cutoff
            ):
                return False
            activation = tx.activations.find_by_id(activation_db_id)
            assert activation is not None
            audit_serial(
                tx,
                row,
                "activation.reclaimed",
                actor="system:reclaim",
                peer=None,
                detail={
                    "activation_id": activation.public_id,
                    "license_expire_time": (
                        found.license_expire_time.isoformat() if found.license_expire_time else ""
                    ),
                    "reclaim_after_days": str(self.policy.reclaim_after.days),
                },
                now=now,
            )
            self._email(
                tx,
                row,
                activation,
                cause=(
                    "Liberamos automáticamente la instalación de este equipo, que no se "
                    f"comunicó con Aspel en los {self.policy.reclaim_after.days} días siguientes "
                    "al vencimiento de su licencia:"
                ),
                seat_free=now,
                now=now,
            )
            return True

    # --- helpers ---------------------------------------------------------------

    def _release(
        self,
        *,
        scope: str,
        find: _Finder,
        activation_id: str,
        actor: str,
        peer: str | None,
        detail: dict[str, str],
        cause: str,
        key: RequestKey | None,
    ) -> ReleaseResult:
        @retry_on_conflict()
        def attempt() -> ReleaseResult:
            now = self.calendar.now()

            def release(tx: UnitOfWork) -> Result:
                row = find(tx)
                tx.subscriptions.lock(row.id)
                activation = tx.activations.find_of_subscription(row.id, activation_id)
                if activation is None:
                    raise errors.ActivationNotFound(serials.display(row.serial_number))
                if activation.deactivate_time is not None:
                    # Already released (a second click, or the product did):
                    # the same answer, and no second email.
                    left = seats.transfers_left(tx, row.id, now, self.policy)
                    return {"activation_id": activation.public_id, "transfers_remaining": left}
                done, decision = seats.release_seat(
                    tx, row, activation, proof=seats.ReleaseProof.NONE, now=now, policy=self.policy
                )
                audit_serial(
                    tx,
                    row,
                    "activation.released",
                    actor=actor,
                    peer=peer,
                    detail={
                        "activation_id": done.public_id,
                        "hostname": done.hostname,
                        **detail,
                        **seats.release_detail(decision),
                    },
                    now=now,
                )
                self._email(tx, row, done, cause=cause, seat_free=decision.seat_free_time, now=now)
                return {
                    "activation_id": done.public_id,
                    "transfers_remaining": decision.transfers_remaining,
                }

            with self.store.write() as tx:
                result = once(tx, scope, key, now, release)
                done = tx.activations.find_by_public_id(result["activation_id"])
                if done is None:  # pragma: no cover - activations are never deleted
                    raise errors.ActivationNotFound(serials.display(activation_id))
                serial = tx.subscriptions.get_by_id(done.subscription_id).serial_number
                return ReleaseResult(
                    activation_view(done, serial, now), int(result["transfers_remaining"])
                )

        return attempt()

    def _email(
        self,
        tx: UnitOfWork,
        row: AnySubscription,
        activation: Activation,
        *,
        cause: str,
        seat_free: dt.datetime,
        now: dt.datetime,
    ) -> None:
        if seat_free <= now:
            seat_free_text = "Su lugar ya está libre: puedes activar el sistema en otro equipo."
        else:
            seat_free_text = (
                "Mientras la última licencia de ese equipo siga vigente, su lugar sigue "
                "ocupado, para que una copia de esa licencia no funcione junto al equipo "
                "nuevo. Quedará libre a las "
                f"{time_of_day(self.calendar.local(seat_free))}."
            )
        email_account(
            tx,
            RELEASE_EMAIL_KIND,
            row.account,
            {
                "product_name": product_name(row.product_code),
                "serial_number": serials.display(row.serial_number),
                "hostname": activation.hostname or "(sin nombre)",
                "activation_id": activation.public_id,
                "cause_text": cause,
                "release_time_text": time_of_day(self.calendar.local(now)),
                "seat_free_text": seat_free_text,
                "seat_free_time": seat_free.isoformat(),
            },
            now,
        )
