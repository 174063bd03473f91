"""Installer activation: activating a serial on a machine, validating it again
and again, moving it to another machine, and the signed licences all of these
hand out.

An installer has no session: the serial number is what it holds, and the
razón social registered in the account is what it must know. A serial is
usable while ACTIVE, and while SUPERSEDED up to and including its retire
date. Each subscription has `installations_allowed` seats; an activation holds
one while active, and after its release until its seat is free (domain/seats.py).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from .. import errors
from ..store.activations import ActivationRow, Installation, SerialRow
from ..store.database import Store, retry_on_conflict
from ..store.models import Activation
from ..store.subscriptions import SubscriptionRow
from ..store.unit_of_work import UnitOfWork
from . import machine_match, razon_social, receipts, seats, serials
from .clock import BusinessCalendar
from .credentials import new_public_id
from .idempotency import RequestKey, Result, once, replay
from .licence_policy import GracePolicy, LicenceTerms, licence_terms, overdue_message
from .licence_reuse import Kept, LicenceReuse
from .machine_match import Components, MatchPolicy
from .products import product_name
from .signing import KeyRing, KeyRingSource, PublicKeyView
from .spanish import long_date, time_of_day
from .states import ACTIVE, INACTIVE, OVERDUE, SUPERSEDED
from .subscriptions import StatedSerial, audit_serial, current_state
from .validation_records import Record, ValidationRecorder
from .views import view_of

ACTIVATION_ID_PREFIX = "act_"


@dataclass(frozen=True)
class ActivationPolicy:
    #: The longest a licence is valid, even when the next payment is further
    #: away or there is none (perpetual licences): the product must check in
    #: at least this often, so a suspension or a retirement reaches it.
    max_license_validity: dt.timedelta = dt.timedelta(days=30)
    #: Deactivations of one serial allowed per window.
    deactivations_per_window: int = 3
    deactivation_window: dt.timedelta = dt.timedelta(days=1)
    #: How stale an activation's recorded last validation may get. Validation
    #: is the hottest call; writing on each one would queue every installer
    #: behind the database's write lock for a timestamp nobody needs exact.
    validation_record_interval: dt.timedelta = dt.timedelta(hours=1)
    #: The grace after a licence's expiry, and an overdue subscription's.
    grace: GracePolicy = field(default_factory=GracePolicy)
    #: Transfers, reclaim (domain/seats.py).
    seat_policy: seats.SeatPolicy = field(default_factory=seats.SeatPolicy)
    #: When two machines are one (machine_match.py).
    match: MatchPolicy = field(default_factory=MatchPolicy)
    #: How far a deactivation receipt's sign_time may be from the server's clock.
    receipt_window: dt.timedelta = receipts.DEFAULT_WINDOW
    #: How long a validation may answer with the licence signed for the
    #: activation a moment ago (licence_reuse.py); zero: always a new one.
    license_reuse: dt.timedelta = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class LicenseClaims:
    """What a licence certificate asserts. Serial in canonical form."""

    serial_number: str
    product_code: str
    version: str
    users: int
    razon_social: str
    machine_fingerprint: str
    activation_id: str
    issue_time: dt.datetime
    expire_time: dt.datetime
    retire_date: dt.date | None
    #: The installation's raw Ed25519 public key, when it sent one.
    installation_public_key: bytes = b""
    #: The nonce of the offline request the licence answers, if any.
    offline_request_nonce: bytes = b""
    # Grace and read-only access (domain/licence_policy.py).
    grace_end_time: dt.datetime | None = None
    read_only_access: bool = False
    payment_overdue: bool = False


@dataclass(frozen=True)
class SignedLicenseView:
    certificate: bytes
    signature: bytes
    key_id: str


@dataclass(frozen=True)
class ActivationView:
    activation_id: str
    serial_number: str
    machine_fingerprint: str
    hostname: str
    product_code: str
    version: str
    create_time: dt.datetime
    deactivate_time: dt.datetime | None
    #: The seat's lifecycle (state, licence expiry, release), when asked for.
    seat: seats.SeatView | None = None
    machine_components: dict[str, str] | None = None
    installation_public_key: bytes | None = None


@dataclass(frozen=True)
class ActivationResult:
    activation: ActivationView
    signed_license: SignedLicenseView


@dataclass(frozen=True)
class ValidationResult:
    state: str
    retire_date: dt.date | None
    successor_serial_number: str | None
    signed_license: SignedLicenseView
    #: The new licence's grace and read-only terms (domain/licence_policy.py).
    terms: LicenceTerms | None = None
    #: Whether the new licence allows reading only from now on.
    read_only: bool = False
    #: What the product tells its user (es-MX); empty when nothing.
    message: str = ""


#: Serializes claims into the certificate bytes that get signed. The transport
#: supplies it (a LicenseCertificate message), so this module stays free of protos.
CertificateEncoder = Callable[[LicenseClaims], bytes]

USABLE_STATES = (ACTIVE, OVERDUE, SUPERSEDED)


class LicensedSerial(StatedSerial, Protocol):
    """What a licence states of its serial: the plain row an activation reads
    (store/subscriptions.py SubscriptionRow) or a validation reads
    (store/activations.py SerialRow)."""

    @property
    def serial_number(self) -> str: ...
    @property
    def product_code(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def users(self) -> int: ...


class LicensedActivation(Protocol):
    """What a licence states of its activation (an Activation or an ActivationRow)."""

    @property
    def public_id(self) -> str: ...
    @property
    def machine_fingerprint(self) -> str: ...
    @property
    def installation_public_key(self) -> str | None: ...


#: What a reused licence is kept with: the licence and the terms it states.
_Reusable = tuple[SignedLicenseView, LicenceTerms]


def activation_view(
    row: Activation, serial_number: str, now: dt.datetime | None = None
) -> ActivationView:
    """The view of a row; with `now`, its seat's state as of then too."""
    return view_of(
        ActivationView,
        row,
        activation_id=row.public_id,
        serial_number=serial_number,
        seat=seats.seat_view(row, now) if now is not None else None,
        installation_public_key=machine_match.public_key_of(row),
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _signed_of(result: Result) -> SignedLicenseView:
    """The licence an activation's stored answer holds."""
    return SignedLicenseView(
        certificate=base64.b64decode(result["certificate"]),
        signature=base64.b64decode(result["signature"]),
        key_id=result["key_id"],
    )


@dataclass(frozen=True, slots=True)
class _NewActivation:
    """The activation about to be inserted, as its licence states it."""

    public_id: str
    machine_fingerprint: str
    public_key: bytes | None

    @property
    def installation_public_key(self) -> str | None:
        return self.public_key.hex() if self.public_key else None


def _licensed(row: SubscriptionRow) -> tuple[object, ...]:
    """What an activation's checks and licence read of the serial: equal
    before and inside the transaction, the work done before stands."""
    return (
        row.serial_number,
        row.product_code,
        row.version,
        row.users,
        row.modality,
        row.next_payment_date,
        row.status,
        row.retire_date,
        row.account.razon_social,
    )


def _installer(machine_fingerprint: str) -> str:
    """The audit log's actor for an installer: its machine (no session names it)."""
    return f"installer:{machine_fingerprint[:64]}"


def _record(
    tx: UnitOfWork,
    kind: str,
    row: SubscriptionRow,
    machine_fingerprint: str,
    peer: str | None,
    detail: dict[str, str],
    now: dt.datetime,
) -> None:
    """An installer's change of a serial's seats, in the audit log (same transaction)."""
    audit_serial(
        tx, row, kind, actor=_installer(machine_fingerprint), peer=peer, detail=detail, now=now
    )


@dataclass(eq=False)
class ActivationService:
    store: Store
    calendar: BusinessCalendar
    keys: KeyRingSource
    encode_certificate: CertificateEncoder
    policy: ActivationPolicy
    #: Writes validations behind the call (validation_records.py); until
    #: started, in the caller's thread.
    recorder: ValidationRecorder
    reuse: LicenceReuse[_Reusable] = field(init=False)

    def __post_init__(self) -> None:
        self.reuse = LicenceReuse(self.policy.license_reuse)

    # --- activating ------------------------------------------------------------

    def activate(
        self,
        *,
        serial_number: str,
        razon_social_text: str,
        installation: Installation,
        key: RequestKey | None,
        peer: str | None,
        machine_components: Components | None = None,
        installation_public_key: bytes | None = None,
    ) -> ActivationResult:
        """Activates (or finds the activation of) this machine and issues a licence.

        From the seat count to the insert it is one write transaction that
        holds the serial's row (BEGIN IMMEDIATE on SQLite, SELECT ... FOR
        UPDATE on PostgreSQL), so concurrent activations are counted one after
        another and never exceed the seats. The partial unique indexes of the
        activation table refuse anything that slips by (CONCURRENT_MODIFICATION).

        The write lock is held by one activation at a time, so whatever does
        not need it runs before: the checks (a refusal never takes the lock),
        the razón social's normalisation, and the licence of the new
        activation, encoded and signed under an id chosen up front. The
        transaction reads the serial again and only repeats that work when
        the serial changed in between or the machine turned out to be known.
        """
        machine_fingerprint = installation.machine_fingerprint
        detail = {
            "product_code": installation.product_code,
            "version": installation.version,
            "hostname": installation.hostname,
        }
        identity = machine_match.Identity(
            machine_fingerprint, machine_components, installation_public_key, installation.hostname
        )
        scope = f"serial:{serial_number}"

        @retry_on_conflict()
        def attempt() -> ActivationResult:
            now = self.calendar.now()
            today = self.calendar.today()
            new_id = new_public_id(ACTIVATION_ID_PREFIX)
            with self.store.read() as tx:
                # A retry of a done request replays its answer, whatever the
                # serial is now: the transaction's `once` finds it.
                earlier = replay(tx, scope, key) is not None
                seen = None if earlier else self.subscription(tx, serial_number)
                if seen is not None:
                    self.check_razon_social(seen, razon_social_text)
                    seen_state = self.check_activatable(
                        tx, seen, installation.product_code, installation.version, today
                    )
            presigned = (
                None
                if seen is None
                else self.issue(
                    seen,
                    _NewActivation(new_id, machine_fingerprint, installation_public_key),
                    seen_state,
                    now,
                    razon_social=seen.account.razon_social,
                )
            )
            made: list[Activation] = []

            def activate(tx: UnitOfWork) -> Result:
                row = self.subscription(tx, serial_number)
                # Every change of one serial's seats waits here for the previous one.
                tx.subscriptions.lock(row.id)
                unchanged = seen is not None and _licensed(row) == _licensed(seen)
                if unchanged:
                    state = seen_state
                else:
                    self.check_razon_social(row, razon_social_text)
                    state = self.check_activatable(
                        tx, row, installation.product_code, installation.version, today
                    )
                activation = tx.activations.find_active_for_machine(row.id, machine_fingerprint)
                if activation is None:
                    # A new fingerprint may still be a known machine, reinstalled.
                    activation = machine_match.rebind(
                        tx, row, identity, self.policy.match, peer=peer, now=now
                    )
                if activation is None:
                    activation = self._take_seat(
                        tx, row, installation, now, public_id=new_id, identity=identity
                    )
                    made.append(activation)
                    created = {**detail, "activation_id": activation.public_id}
                    _record(tx, "activation.created", row, machine_fingerprint, peer, created, now)
                else:
                    # The same machine again (a retry, a reinstall): same seat,
                    # with what it sends now, and a new licence the bound must cover.
                    activation = machine_match.remember(tx, activation, identity)
                    tx.activations.extend_license_bound(activation.id, self.license_bound(now))
                if unchanged and made and presigned is not None:
                    signed = presigned
                else:
                    signed = self.issue(
                        row, activation, state, now, razon_social=row.account.razon_social
                    )
                return {
                    "activation_id": activation.public_id,
                    "certificate": _b64(signed.certificate),
                    "signature": _b64(signed.signature),
                    "key_id": signed.key_id,
                }

            with self.store.write() as tx:
                result = once(tx, scope, key, now, activate)
                if made and made[0].public_id == result["activation_id"]:
                    # Just inserted, as stored: no need to read it back.
                    return ActivationResult(
                        activation_view(made[0], serial_number, now), _signed_of(result)
                    )
                return self.activation_result(tx, result, serial_number)

        # Outside the retries: a refusal is audited once, not once per attempt.
        with self.audit_refusal(
            "activation.refused", serial_number, machine_fingerprint, peer, detail
        ):
            return attempt()

    def check_razon_social(self, row: SubscriptionRow, razon_social_text: str) -> None:
        """RAZON_SOCIAL_MISMATCH unless the text names the serial's account."""
        if not razon_social.matches(razon_social_text, row.account.razon_social):
            raise errors.RazonSocialMismatch(serials.display(row.serial_number))

    def check_activatable(
        self, tx: UnitOfWork, row: SubscriptionRow, product_code: str, version: str, today: dt.date
    ) -> str:
        """The serial's state, when this product and version may be activated
        with it now (VERSION_MISMATCH or SERIAL_NOT_ACTIVE otherwise)."""
        shown = serials.display(row.serial_number)
        if (row.product_code, row.version) != (product_code, version):
            raise errors.VersionMismatch(
                shown,
                product_name(row.product_code),
                row.version,
                product_name(product_code),
                version,
                self._serial_for(tx, row.account.id, product_code, version, today),
            )
        state = current_state(row, today)
        if state not in USABLE_STATES:
            raise errors.SerialNotActive(shown, state, self._successor_shown(tx, row.id))
        return state

    def seat_for_machine(
        self,
        tx: UnitOfWork,
        row: SubscriptionRow,
        machine_fingerprint: str,
        hostname: str,
        product_code: str,
        version: str,
        now: dt.datetime,
    ) -> tuple[Activation, bool]:
        """The machine's live activation, or a new one on a free seat (and
        whether it is new). The caller holds the serial's row."""
        activation = tx.activations.find_active_for_machine(row.id, machine_fingerprint)
        if activation is not None:
            tx.activations.extend_license_bound(activation.id, self.license_bound(now))
            return activation, False
        installation = Installation(machine_fingerprint, hostname, product_code, version)
        return self._take_seat(tx, row, installation, now), True

    def _take_seat(
        self,
        tx: UnitOfWork,
        row: SubscriptionRow,
        installation: Installation,
        now: dt.datetime,
        *,
        public_id: str | None = None,
        identity: machine_match.Identity | None = None,
    ) -> Activation:
        """A new activation on the lowest free seat, with what the machine
        sent (`identity`: its components and key go in with the insert)."""
        taken = seats.held_seats(tx, row.id, now, installation.machine_fingerprint)
        # The limit is a count of held seats (active and RELEASE_PENDING), not
        # a set of free seat numbers: after ChangeSeats lowers the seats,
        # machines may still hold numbers above the new limit while a lower
        # one is free.
        if len(taken) >= row.installations_allowed:
            free = seats.next_free_time(tx, row.id)
            raise errors.ActivationLimitReached(
                serials.display(row.serial_number),
                row.installations_allowed,
                next_free_time=free,
                next_free_text=time_of_day(self.calendar.local(free)) if free else None,
            )
        # The lowest free number; with fewer than installations_allowed taken
        # it is at most installations_allowed. The caller holds the serial's
        # row (subscription_store.lock), so this count and insert are not
        # raced; the partial unique index on (subscription, seat) among active
        # rows still refuses a second holder of one seat.
        seat = next(n for n in range(1, len(taken) + 2) if n not in taken)
        return tx.activations.create_activation(
            public_id=public_id or new_public_id(ACTIVATION_ID_PREFIX),
            subscription_id=row.id,
            installation=installation,
            seat=seat,
            now=now,
            license_expire_bound=self.license_bound(now),
            machine_components=(
                dict(identity.machine_components or {}) or None if identity is not None else None
            ),
            installation_public_key=(
                identity.installation_public_key or None if identity is not None else None
            ),
        )

    def activation_result(
        self, tx: UnitOfWork, result: Result, serial_number: str
    ) -> ActivationResult:
        """The answer of an activation (done now or earlier), from what it stored."""
        row = tx.activations.find_by_public_id(result["activation_id"])
        if row is None:  # pragma: no cover - activations are never deleted
            raise errors.ActivationNotFound(serials.display(serial_number))
        return ActivationResult(
            activation_view(row, serial_number, self.calendar.now()), _signed_of(result)
        )

    # --- validating ------------------------------------------------------------

    def validate(
        self,
        *,
        serial_number: str,
        activation_id: str,
        machine_fingerprint: str,
        peer: str | None,
        machine_components: Components | None = None,
    ) -> ValidationResult:
        detail = {"activation_id": activation_id}
        with self.audit_refusal(
            "validation.refused", serial_number, machine_fingerprint, peer, detail
        ):
            if machine_components:
                # May rebind the activation to this fingerprint (a reinstall);
                # writes only when what the machine sends changed.
                machine_match.refresh_on_validation(
                    self.store,
                    serial_number,
                    activation_id,
                    machine_match.Identity(machine_fingerprint, machine_components),
                    self.policy.match,
                    peer=peer,
                    now=self.calendar.now(),
                    usable=lambda row: current_state(row, self.calendar.today()) in USABLE_STATES,
                )
            return self._validate(serial_number, activation_id, machine_fingerprint)

    def _validate(
        self, serial_number: str, activation_id: str, machine_fingerprint: str
    ) -> ValidationResult:
        """One read: the serial, its account's razón social and the activation,
        as plain rows (store/activations.py `for_validation`); the successor
        only for a serial that has one to show. The recording is behind the
        call unless the licence needs it (`_keep_bound`)."""
        now = self.calendar.now()
        today = self.calendar.today()
        shown = serials.display(serial_number)
        with self.store.read() as tx:
            found = tx.activations.for_validation(serial_number, activation_id, machine_fingerprint)
            if found is None:
                raise errors.SerialNotFound(shown)
            row = found.serial
            activation = found.activation
            if activation is None:
                raise errors.ActivationNotFound(serials.display(row.serial_number))
            state = current_state(row, today)
            successor = (
                self._successor_shown(tx, row.id) if state not in (ACTIVE, OVERDUE) else None
            )
        if state == INACTIVE and row.retire_date is not None:
            raise errors.SerialRetired(
                shown, row.retire_date, long_date(row.retire_date), successor
            )
        if state not in USABLE_STATES:
            raise errors.SerialNotActive(shown, state, successor)
        signed, terms = self._licence(row, activation, state, now)
        superseded = state == SUPERSEDED
        read_only = terms.payment_overdue and terms.read_only_now(now)
        message = ""
        if state == OVERDUE and row.next_payment_date is not None:
            grace_end = self.policy.grace.overdue_grace_end_date(row.next_payment_date)
            message = overdue_message(row.next_payment_date, grace_end, read_only)
        return ValidationResult(
            state=state,
            retire_date=row.retire_date if superseded else None,
            successor_serial_number=successor if superseded else None,
            signed_license=signed,
            terms=terms,
            read_only=read_only,
            message=message,
        )

    def _licence(
        self, row: SerialRow, activation: ActivationRow, state: str, now: dt.datetime
    ) -> _Reusable:
        """The licence a validation hands out, and its terms: the one signed a
        moment ago when it states the same (licence_reuse.py), else a new one,
        whose seat bound is committed first when the stored one misses it."""
        terms = self.terms(row, state, now)
        ring = self.keys.current()
        stated = (
            row.serial_number,
            row.product_code,
            row.version,
            row.users,
            row.razon_social,
            row.modality,
            row.next_payment_date,
            row.retire_date,
            state,
            activation.public_id,
            activation.machine_fingerprint,
            activation.installation_public_key,
            terms.read_only_access,
            terms.payment_overdue,
            ring.active_key_id,
        )
        kept = self.reuse.find(
            activation.public_id, stated, now, terms.expire_time, terms.grace_end_time
        )
        if kept is not None:
            # Covered by the bound committed when it was first handed out.
            self._keep_bound(activation, now, reused=True)
            return kept
        self._keep_bound(activation, now, reused=False)
        signed = self._sign(
            self._claims(row, activation, state, now, terms, razon_social=row.razon_social), ring
        )
        self.reuse.keep(
            activation.public_id,
            Kept(stated, now, terms.expire_time, terms.grace_end_time, (signed, terms)),
        )
        return signed, terms

    def _keep_bound(self, activation: ActivationRow, now: dt.datetime, *, reused: bool) -> None:
        """Keeps the seat's bound ahead of the licences handed out, and the
        recorded validation at most `validation_record_interval` stale.

        A new licence the stored bound does not cover waits for the bound to
        be committed (validation_records.py: shared with concurrent ones).
        Otherwise nothing waits: the time (once an interval) and the bound
        (while half an interval of slack is left, so installers validating
        regularly never reach the waiting case) are written behind the call.
        """
        interval = self.policy.validation_record_interval
        bound = self.license_bound(now)
        needed = bound - interval  # what a licence issued now needs (license_bound)
        stored = activation.license_expire_time
        last = activation.last_validate_time
        stale = last is None or now - last >= interval
        if stored is None or stored < needed:
            record = Record(activation.id, now if stale else None, bound)
            if reused:
                self.recorder.later(record)
            else:
                self.recorder.now(record)
        elif stale or stored - needed < interval / 2:
            self.recorder.later(Record(activation.id, now if stale else None, bound))

    # --- deactivating ------------------------------------------------------------

    def deactivate(
        self,
        *,
        serial_number: str,
        activation_id: str,
        machine_fingerprint: str,
        key: RequestKey | None,
        peer: str | None,
        receipt: receipts.Receipt | None = None,
    ) -> ActivationView:
        detail = {"activation_id": activation_id}

        @retry_on_conflict()
        def attempt() -> ActivationView:
            now = self.calendar.now()

            def deactivate(tx: UnitOfWork) -> Result:
                row = self.subscription(tx, serial_number)
                tx.subscriptions.lock(row.id)
                activation = self.live_activation(tx, row, activation_id, machine_fingerprint)
                # The proof of this release: a receipt signed by the installation
                # key frees the seat at once (seats.decide_release reads it).
                proof = seats.ReleaseProof.NONE
                if receipt is not None:
                    receipts.check(
                        receipt,
                        activation_id=activation.public_id,
                        serial_number=row.serial_number,
                        public_key=machine_match.public_key_of(activation),
                        now=now,
                        window=self.policy.receipt_window,
                        shown_serial=serials.display(serial_number),
                    )
                    replaced = activation.key_replaced_until
                    # A key replaced while older licences may still run
                    # elsewhere proves nothing about those copies: the seat
                    # follows the rule without proof (transfer or pending).
                    if replaced is None or replaced <= now:
                        proof = seats.ReleaseProof.RECEIPT
                key = f"deactivate:{serial_number}"
                window = self.policy.deactivation_window
                if not tx.rate_limits.hit(
                    key, limit=self.policy.deactivations_per_window, window=window, now=now
                ):
                    retry_time = tx.rate_limits.window_end(key, window) or now + window
                    raise errors.DeactivationRateLimited(
                        serials.display(serial_number),
                        retry_time,
                        time_of_day(self.calendar.local(retry_time)),
                        now,
                    )
                # The product's own release: a receipt proves the licence is
                # gone (free at once); without one, a transfer if one is left,
                # else its seat holds until its licence expires.
                done, decision = seats.release_seat(
                    tx,
                    row,
                    activation,
                    proof=proof,
                    now=now,
                    policy=self.policy.seat_policy,
                )
                released = {**detail, **seats.release_detail(decision)}
                if receipt is not None:
                    released["proof"] = (
                        "receipt" if proof is seats.ReleaseProof.RECEIPT else "receipt_key_replaced"
                    )
                _record(tx, "activation.deactivated", row, machine_fingerprint, peer, released, now)
                return {"activation_id": done.public_id}

            with self.store.write() as tx:
                result = once(tx, f"serial:{serial_number}", key, now, deactivate)
                done = tx.activations.find_by_public_id(result["activation_id"])
                if done is None:  # pragma: no cover - activations are never deleted
                    raise errors.ActivationNotFound(serials.display(serial_number))
                return activation_view(done, serial_number, now)

        # Outside the retries: a refusal is audited once, not once per attempt.
        with self.audit_refusal(
            "deactivation.refused", serial_number, machine_fingerprint, peer, detail
        ):
            return attempt()

    # --- keys ----------------------------------------------------------------------

    def list_signing_keys(self) -> list[PublicKeyView]:
        """The active key and the retired ones, newest first."""
        return self.keys.current().public_keys()

    # --- helpers -------------------------------------------------------------------

    def subscription(self, tx: UnitOfWork, serial_number: str) -> SubscriptionRow:
        row = tx.activations.find_subscription(serial_number)
        if row is None:
            raise errors.SerialNotFound(serials.display(serial_number))
        return row

    def live_activation(
        self, tx: UnitOfWork, row: SubscriptionRow, activation_id: str, machine_fingerprint: str
    ) -> Activation:
        activation = tx.activations.find_active(row.id, activation_id, machine_fingerprint)
        if activation is None:
            raise errors.ActivationNotFound(serials.display(row.serial_number))
        return activation

    def _successor_shown(self, tx: UnitOfWork, subscription_id: int) -> str | None:
        successor = tx.subscriptions.successor_serial(subscription_id)
        return serials.display(successor) if successor else None

    def _serial_for(
        self, tx: UnitOfWork, account_id: int, product_code: str, version: str, today: dt.date
    ) -> str | None:
        """The account's usable serial for that product and version (active first)."""
        usable = [
            r
            for r in tx.activations.serials_of_account(account_id, product_code, version)
            if current_state(r, today) in USABLE_STATES
        ]
        usable.sort(key=lambda r: current_state(r, today) != ACTIVE)
        return serials.display(usable[0].serial_number) if usable else None

    def license_bound(
        self, now: dt.datetime, expire_time: dt.datetime | None = None
    ) -> dt.datetime:
        """What an activation records as its licence expiry when a licence is
        issued at `now`: never earlier than the expire_time of any licence
        handed out for it until the next recorded validation.

        Safe because every licence issued at t expires by t +
        max_license_validity (expire_time cuts it, never extends it), and a
        validation hands out a new licence only when the stored bound already
        covers it (this bound minus validation_record_interval, as of then) or
        after committing a new one (`_keep_bound`, validation_records.py): so
        a bound written at t covers every licence issued up to t + interval
        without another write. The stored value is only ever raised (a shorter
        policy later cannot lower it below older licences), and the payment
        and retire cuts are left out on purpose: billing may move them later.

        The grace is part of it: a licence keeps full use offline until its
        grace_end_time (licence_policy.py), so a copy of the old `.lic` could
        run that long beside the new machine. The longer grace of the two
        modalities, so a change of modality never shortens it.

        A licence issued with a longer `expire_time` of its own (an offline
        licence, see offline.py) is bound by it instead, plus the grace.
        """
        grace = self.policy.grace
        longest_grace = max(grace.subscription_grace, grace.perpetual_grace)
        if expire_time is not None:
            return max(expire_time, now + self.policy.max_license_validity) + longest_grace
        return (
            now
            + self.policy.max_license_validity
            + self.policy.validation_record_interval
            + longest_grace
        )

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """The first instant after `day` in the business time zone."""
        return dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(0), tzinfo=self.calendar.zone
        ).astimezone(dt.UTC)

    def expire_time(self, row: LicensedSerial, state: str, now: dt.datetime) -> dt.datetime:
        """When a licence issued now must end: the policy's longest validity, cut
        at the end of the next payment date (the next validation date) and of
        the retire date. A next payment date already past (billing not yet
        updated) leaves the rest of today."""
        today = self.calendar.today()
        limits = [now + self.policy.max_license_validity]
        if row.next_payment_date is not None:
            limits.append(self.end_of_day(max(row.next_payment_date, today)))
        if state == SUPERSEDED and row.retire_date is not None:
            limits.append(self.end_of_day(row.retire_date))
        return min(limits)

    def terms(
        self,
        row: LicensedSerial,
        state: str,
        now: dt.datetime,
        expire_time: dt.datetime | None = None,
    ) -> LicenceTerms:
        """The grace and read-only terms of a licence issued now (licence_policy);
        `expire_time` overrides the end of full validity (offline licences)."""
        grace = self.policy.grace
        due = row.next_payment_date
        return licence_terms(
            grace,
            state=state,
            modality=row.modality,
            expire_time=expire_time or self.expire_time(row, state, now),
            next_payment_date=due,
            retire_end=(
                self.end_of_day(row.retire_date)
                if state == SUPERSEDED and row.retire_date is not None
                else None
            ),
            end_of_day=(
                self.end_of_day(grace.overdue_grace_end_date(due))
                if state == OVERDUE and due is not None
                else None
            ),
        )

    def issue(
        self,
        row: LicensedSerial,
        activation: LicensedActivation,
        state: str,
        now: dt.datetime,
        *,
        razon_social: str,
        expire_time: dt.datetime | None = None,
        installation_public_key: bytes = b"",
        offline_request_nonce: bytes = b"",
    ) -> SignedLicenseView:
        """A licence for the activation, signed with the current key."""
        terms = self.terms(row, state, now, expire_time)
        claims = self._claims(
            row,
            activation,
            state,
            now,
            terms,
            razon_social=razon_social,
            installation_public_key=installation_public_key,
            offline_request_nonce=offline_request_nonce,
        )
        return self._sign(claims, self.keys.current())

    def _claims(
        self,
        row: LicensedSerial,
        activation: LicensedActivation,
        state: str,
        now: dt.datetime,
        terms: LicenceTerms,
        *,
        razon_social: str,
        installation_public_key: bytes = b"",
        offline_request_nonce: bytes = b"",
    ) -> LicenseClaims:
        # The serial's own claims (its number, product, version and users)
        # are its fields of the same names (LicensedSerial); the rest are given.
        return view_of(
            LicenseClaims,
            row,
            razon_social=razon_social,
            machine_fingerprint=activation.machine_fingerprint,
            activation_id=activation.public_id,
            issue_time=now,
            expire_time=terms.expire_time,
            retire_date=row.retire_date if state == SUPERSEDED else None,
            grace_end_time=terms.grace_end_time,
            read_only_access=terms.read_only_access,
            payment_overdue=terms.payment_overdue,
            installation_public_key=(
                installation_public_key or machine_match.public_key_of(activation) or b""
            ),
            offline_request_nonce=offline_request_nonce,
        )

    def _sign(self, claims: LicenseClaims, ring: KeyRing) -> SignedLicenseView:
        certificate = self.encode_certificate(claims)
        signature = ring.sign(certificate)
        return SignedLicenseView(certificate, signature.signature, signature.key_id)

    @contextmanager
    def audit_refusal(
        self,
        kind: str,
        serial_number: str,
        machine_fingerprint: str,
        peer: str | None,
        detail: dict[str, str],
        *,
        actor: str | None = None,
    ) -> Iterator[None]:
        """Records a refusal in its own transaction: the refused one rolled back."""
        try:
            yield
        except errors.LicensingError as error:
            with self.store.write() as tx:
                tx.audit.record(
                    kind=kind,
                    actor=actor or _installer(machine_fingerprint),
                    peer=peer,
                    serial_number=serial_number,
                    detail={**detail, "reason": error.reason},
                    now=self.calendar.now(),
                )
            raise
