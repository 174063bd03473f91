"""Accounts as Aspel's staff manage them: open, read, correct, disable."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ... import errors
from ...store.database import Store, retry_on_conflict
from ...store.models import Account
from ...store.unit_of_work import UnitOfWork
from .. import password_policy
from ..auth import AccountView, account_view
from ..clock import BusinessCalendar
from ..credentials import PasswordHasher, new_public_id
from ..idempotency import RequestKey, Result, once
from ..password_reset import PasswordResetService
from ..service_keys import Actor
from ..subscriptions import SubscriptionView, views_of
from .common import record

# argon2 never verifies this (it is no hash), so an account opened without a
# password cannot log in until its owner sets one through the reset email.
NO_PASSWORD_HASH = "!unset"  # noqa: S105 (a marker, no secret)
ACCOUNT_SUBSCRIPTIONS_SHOWN = 100


@dataclass(frozen=True)
class CreatedAccount:
    account: AccountView
    password_reset_email_queued: bool


@dataclass(frozen=True)
class AccountDetails:
    account: AccountView
    subscriptions: list[SubscriptionView]
    subscription_count: int
    lock_expire_time: dt.datetime | None


@dataclass(frozen=True)
class DisabledAccount:
    account: AccountView
    ended_session_count: int


def find_account(tx: UnitOfWork, account_id: str | None, username: str | None) -> Account:
    """The account named by its public id or its username, or ACCOUNT_NOT_FOUND."""
    if account_id:
        row = tx.accounts.find_account_by_public_id(account_id)
        key = account_id
    else:
        key = (username or "").strip().lower()
        row = tx.accounts.find_account_by_username(key)
    if row is None:
        raise errors.AccountNotFound(key)
    return row


@dataclass(eq=False)
class AccountAdmin:
    store: Store
    calendar: BusinessCalendar
    hasher: PasswordHasher
    resets: PasswordResetService

    @retry_on_conflict()
    def create_account(
        self,
        actor: Actor,
        *,
        username: str,
        email: str,
        razon_social: str,
        initial_password: str | None,
        key: RequestKey | None,
    ) -> CreatedAccount:
        username = username.strip().lower()
        password_hash = NO_PASSWORD_HASH
        if initial_password:
            password = password_policy.check(initial_password, username, "initial_password")
            # Hashed before the transaction: argon2 must not hold the write lock.
            password_hash = self.hasher.hash(password)
        now = self.calendar.now()

        def create(tx: UnitOfWork) -> Result:
            if tx.accounts.find_account_by_username(username) is not None:
                raise errors.UsernameTaken(username)
            row = tx.accounts.create_account(
                public_id=new_public_id("acc_"),
                username=username,
                email=email,
                razon_social=razon_social,
                password_hash=password_hash,
                now=now,
            )
            reset_queued = not initial_password
            if reset_queued:
                self.resets.send_reset(tx, row, now)
            record(
                tx,
                actor,
                "account.created",
                now,
                account_id=row.public_id,
                detail={
                    "username": username,
                    "email": email,
                    "razon_social": razon_social,
                    "initial_password_set": not reset_queued,
                    "password_reset_email_queued": reset_queued,
                },
            )
            return {"account_id": row.public_id, "reset_queued": reset_queued}

        with self.store.write() as tx:
            result = once(tx, actor.idempotency_scope, key, now, create)
            row = find_account(tx, result["account_id"], None)
            return CreatedAccount(account_view(row), result["reset_queued"])

    def get_account(self, account_id: str | None, username: str | None) -> AccountDetails:
        now = self.calendar.now()
        with self.store.read() as tx:
            row = find_account(tx, account_id, username)
            rows = tx.subscriptions.list_for_account(row.id, 0, ACCOUNT_SUBSCRIPTIONS_SHOWN)
            return AccountDetails(
                account=account_view(row),
                subscriptions=views_of(tx, rows, self.calendar.today()),
                subscription_count=tx.subscriptions.count_for_account(row.id),
                lock_expire_time=(
                    row.locked_until if row.locked_until and row.locked_until > now else None
                ),
            )

    @retry_on_conflict()
    def update_account(
        self,
        actor: Actor,
        account_id: str,
        *,
        email: str | None,
        razon_social: str | None,
        key: RequestKey | None,
    ) -> AccountView:
        wanted = {
            name: value
            for name, value in (("email", email), ("razon_social", razon_social))
            if value is not None
        }
        now = self.calendar.now()

        def update(tx: UnitOfWork) -> Result:
            tx.accounts.lock_account_row(find_account(tx, account_id, None).id)
            row = find_account(tx, account_id, None)
            changes = {k: v for k, v in wanted.items() if getattr(row, k) != v}
            if changes:
                before = {k: getattr(row, k) for k in changes}
                tx.accounts.update_account(row.id, changes)
                record(
                    tx,
                    actor,
                    "account.updated",
                    now,
                    account_id=row.public_id,
                    detail={"before": before, "after": changes},
                )
            return {}

        with self.store.write() as tx:
            once(tx, actor.idempotency_scope, key, now, update)
            return account_view(find_account(tx, account_id, None))

    @retry_on_conflict()
    def disable_account(
        self, actor: Actor, account_id: str, *, reason: str, key: RequestKey | None
    ) -> DisabledAccount:
        now = self.calendar.now()

        def disable(tx: UnitOfWork) -> Result:
            row = find_account(tx, account_id, None)
            if not tx.accounts.disable_account(row.id):
                raise errors.InvalidStateTransition(
                    f"la cuenta {account_id}", "DISABLED", "DISABLED"
                )
            ended = tx.accounts.end_sessions_of_account(row.id, now)
            record(
                tx,
                actor,
                "account.disabled",
                now,
                account_id=row.public_id,
                detail={"reason": reason, "ended_session_count": ended},
            )
            return {"ended_session_count": ended}

        with self.store.write() as tx:
            result = once(tx, actor.idempotency_scope, key, now, disable)
            row = find_account(tx, account_id, None)
            return DisabledAccount(account_view(row), result["ended_session_count"])

    @retry_on_conflict()
    def start_password_reset(
        self,
        actor: Actor,
        *,
        account_id: str | None,
        username: str | None,
        key: RequestKey | None,
    ) -> str:
        """Queues the reset email; returns the address it goes to."""
        now = self.calendar.now()

        def start(tx: UnitOfWork) -> Result:
            row = find_account(tx, account_id, username)
            if row.disabled:
                raise errors.AccountNotActive(row.public_id)
            self.resets.send_reset(tx, row, now)
            record(
                tx,
                actor,
                "password_reset.started",
                now,
                account_id=row.public_id,
                detail={"recipient": row.email},
            )
            return {"recipient": row.email}

        with self.store.write() as tx:
            return str(once(tx, actor.idempotency_scope, key, now, start)["recipient"])
