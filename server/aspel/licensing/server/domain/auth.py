"""Logging in, sessions and lockouts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import errors
from ..store.database import Store
from ..store.models import Account
from .clock import BusinessCalendar
from .credentials import PasswordHasher, new_token, token_hash
from .password_policy import normalize as normalize_password
from .spanish import time_of_day
from .views import view_of

SESSION_TOKEN_PREFIX = "als_"  # noqa: S105 - a public prefix, not a secret
#: The actor of a failed login whose username names no account.
UNKNOWN_USER_ACTOR = "user:?"


def user_actor(username: str) -> str:
    """A customer as the actor of an audit event (staff and services name
    themselves through `Actor.audit_name`, installers by their machine)."""
    return f"user:{username}"


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    absolute_timeout: dt.timedelta = dt.timedelta(hours=12)
    # Writes of last_used_time are throttled: one per minute per session.
    touch_interval: dt.timedelta = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class LockoutPolicy:
    """`failures_before_lock` consecutive failures lock the account for
    `first_lock`; each further failure doubles it, up to `longest_lock`."""

    failures_before_lock: int = 5
    first_lock: dt.timedelta = dt.timedelta(minutes=1)
    longest_lock: dt.timedelta = dt.timedelta(hours=1)

    def lock_for(self, consecutive_failures: int) -> dt.timedelta | None:
        extra = consecutive_failures - self.failures_before_lock
        if extra < 0:
            return None
        return min(self.first_lock * (2 ** min(extra, 20)), self.longest_lock)


@dataclass(frozen=True)
class AccountView:
    account_id: str
    username: str
    email: str
    razon_social: str
    disabled: bool = False
    create_time: dt.datetime | None = None


@dataclass(frozen=True)
class LoginResult:
    session_token: str
    expire_time: dt.datetime
    account: AccountView


@dataclass(frozen=True)
class Caller:
    """An authenticated customer, as resolved from a session token."""

    account_db_id: int
    account_id: str
    session_id: int
    username: str


def account_view(account: Account) -> AccountView:
    return view_of(AccountView, account, account_id=account.public_id)


class AuthService:
    def __init__(
        self,
        store: Store,
        calendar: BusinessCalendar,
        hasher: PasswordHasher,
        sessions: SessionPolicy | None = None,
        lockout: LockoutPolicy | None = None,
    ) -> None:
        self.store = store
        self.calendar = calendar
        self.hasher = hasher
        self.sessions = sessions or SessionPolicy()
        self.lockout = lockout or LockoutPolicy()

    def authenticate(self, username: str, password: str, peer: str | None) -> LoginResult:
        username = username.strip().lower()
        # New passwords are stored NFC (password_policy); compare the same form.
        password = normalize_password(password)
        now = self.calendar.now()
        with self.store.read() as tx:
            # Read and verify outside any write transaction: argon2 takes tens of
            # milliseconds and must not hold the database's write lock.
            account = tx.accounts.find_account_by_username(username)
            if account is not None and account.locked_until and account.locked_until > now:
                self._audit_login("login.locked", account, peer, now)
                raise errors.AccountLocked(
                    account.locked_until,
                    time_of_day(self.calendar.local(account.locked_until)),
                )
            password_ok = self.hasher.verify(account.password_hash if account else None, password)
            if account is None:
                self._audit_login("login.failed", None, peer, now)
                raise errors.InvalidCredentials()
            if not password_ok:
                with self.store.write() as tx:
                    failures = tx.accounts.record_failed_login(account.id)
                    lock = self.lockout.lock_for(failures)
                    if lock is not None:
                        tx.accounts.lock_account(account.id, now + lock)
                    self._audit_login("login.failed", account, peer, now)
                raise errors.InvalidCredentials()
            if account.disabled:
                self._audit_login("login.disabled", account, peer, now)
                raise errors.AccountDisabled()
            token = new_token(SESSION_TOKEN_PREFIX)
            expire_time = now + self.sessions.absolute_timeout
            rehash = (
                self.hasher.hash(password)
                if self.hasher.needs_rehash(account.password_hash)
                else None
            )
            with self.store.write() as tx:
                tx.accounts.record_successful_login(account.id, rehash)
                tx.accounts.create_session(
                    account_id=account.id,
                    token_hash=token_hash(token),
                    now=now,
                    expire_time=expire_time,
                )
                self._audit_login("login.succeeded", account, peer, now)
        return LoginResult(token, expire_time, account_view(account))

    def _audit_login(
        self,
        kind: str,
        account: Account | None,
        peer: str | None,
        now: dt.datetime,
    ) -> None:
        # The typed name is recorded only when it is an account's: people type
        # their password into the username field, and that must not be kept.
        # "?" is not a character of usernames, so the marker names no account.
        actor = user_actor(account.username) if account is not None else UNKNOWN_USER_ACTOR
        with self.store.write() as tx:
            tx.audit.record(
                kind=kind,
                actor=actor,
                peer=peer,
                account_public_id=account.public_id if account else None,
                now=now,
            )

    def resolve_session(self, token: str | None) -> Caller:
        """The caller behind a bearer token, or SESSION_INVALID."""
        if not token or not token.startswith(SESSION_TOKEN_PREFIX) or len(token) > 128:
            raise errors.SessionInvalid()
        now = self.calendar.now()
        with self.store.read() as tx:
            session = tx.accounts.find_session(token_hash(token))
            if (
                session is None
                or session.end_time is not None
                or session.expire_time <= now
                or session.last_used_time + self.sessions.idle_timeout <= now
                or session.account.disabled
            ):
                raise errors.SessionInvalid()
            if now - session.last_used_time >= self.sessions.touch_interval:
                tx.accounts.touch_session(session.id, now)
            return Caller(
                account_db_id=session.account.id,
                account_id=session.account.public_id,
                session_id=session.id,
                username=session.account.username,
            )

    def sign_out(self, caller: Caller, peer: str | None) -> None:
        now = self.calendar.now()
        with self.store.write() as tx:
            tx.accounts.end_session(caller.session_id, now)
            tx.audit.record(
                kind="session.ended",
                actor=user_actor(caller.username),
                peer=peer,
                account_public_id=caller.account_id,
                now=now,
            )
