"""Accounts, login bookkeeping and sessions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import peewee

from ..errors import UsernameTaken
from . import raw
from .models import Account, Session
from .shapes import insert_or_raise


@dataclass(frozen=True)
class AccountRow:
    """What the portal's reads need of an account (no password hash)."""

    id: int
    public_id: str
    username: str
    email: str
    razon_social: str
    disabled: bool


@dataclass(frozen=True)
class SessionRow:
    id: int
    last_used_time: dt.datetime
    expire_time: dt.datetime
    end_time: dt.datetime | None
    account: AccountRow


def _session_row(
    session_id: int,
    last_used: Any,
    expires: Any,
    ended: Any,
    account_id: int,
    public_id: str,
    username: str,
    email: str,
    razon_social: str,
    disabled: Any,
) -> SessionRow:
    last_used_time = raw.utc_datetime(last_used)
    expire_time = raw.utc_datetime(expires)
    assert last_used_time is not None and expire_time is not None  # both columns are NOT NULL
    return SessionRow(
        session_id,
        last_used_time,
        expire_time,
        raw.utc_datetime(ended),
        AccountRow(account_id, public_id, username, email, razon_social, bool(disabled)),
    )


# Every authenticated RPC runs this, as a plain row (see raw.py).
_SESSION_WITH_ACCOUNT = raw.RawSelect(
    """SELECT s.id, s.last_used_time, s.expire_time, s.end_time,
              a.id, a.public_id, a.username, a.email, a.razon_social, a.disabled
         FROM session s JOIN account a ON a.id = s.account_id
        WHERE s.token_hash = ?""",
    _session_row,
)


class AccountRepository:
    """Accounts, their logins and sessions."""

    def find_account_by_username(self, username: str) -> Account | None:
        return Account.get_or_none(Account.username == username)

    def find_account_by_public_id(self, public_id: str) -> Account | None:
        return Account.get_or_none(Account.public_id == public_id)

    def create_account(
        self,
        *,
        public_id: str,
        username: str,
        email: str,
        razon_social: str,
        password_hash: str,
        now: dt.datetime,
    ) -> Account:
        """A new account; USERNAME_TAKEN when a concurrent call took the name
        (the savepoint keeps the caller's transaction usable)."""
        return insert_or_raise(
            Account,
            lambda: UsernameTaken(username),
            public_id=public_id,
            username=username,
            email=email,
            razon_social=razon_social,
            password_hash=password_hash,
            create_time=now,
        )

    def count_accounts(self) -> int:
        return int(Account.select().count())

    def record_failed_login(self, account_id: int) -> int:
        """Adds one consecutive failure atomically; returns the new count."""
        Account.update(failed_logins=Account.failed_logins + 1).where(
            Account.id == account_id
        ).execute()
        return int(Account.select(Account.failed_logins).where(Account.id == account_id).scalar())

    def lock_account(self, account_id: int, until: dt.datetime) -> None:
        Account.update(locked_until=until).where(Account.id == account_id).execute()

    def record_successful_login(self, account_id: int, new_password_hash: str | None) -> None:
        changes: dict[peewee.Field, object] = {Account.failed_logins: 0, Account.locked_until: None}
        if new_password_hash is not None:
            changes[Account.password_hash] = new_password_hash
        Account.update(changes).where(Account.id == account_id).execute()

    def create_session(
        self, *, account_id: int, token_hash: str, now: dt.datetime, expire_time: dt.datetime
    ) -> Session:
        return Session.create(
            account=account_id,
            token_hash=token_hash,
            create_time=now,
            last_used_time=now,
            expire_time=expire_time,
        )

    def find_session(self, token_hash: str) -> SessionRow | None:
        """The session and its account in one query."""
        return _SESSION_WITH_ACCOUNT.first(token_hash)

    def touch_session(self, session_id: int, now: dt.datetime) -> None:
        Session.update(last_used_time=now).where(Session.id == session_id).execute()

    def end_session(self, session_id: int, now: dt.datetime) -> None:
        Session.update(end_time=now).where(
            (Session.id == session_id) & Session.end_time.is_null()
        ).execute()

    def update_account(self, account_id: int, changes: dict[str, str]) -> None:
        """Sets the given columns (email, razon_social) of one account."""
        fields = {getattr(Account, name): value for name, value in changes.items()}
        Account.update(fields).where(Account.id == account_id).execute()

    def disable_account(self, account_id: int) -> bool:
        """Disables an enabled account; False when it already was disabled."""
        updated = (
            Account.update(disabled=True)
            .where((Account.id == account_id) & (Account.disabled == False))  # noqa: E712
            .execute()
        )
        return bool(updated == 1)

    def end_sessions_of_account(self, account_id: int, now: dt.datetime) -> int:
        """Ends every open session of an account; returns how many were open."""
        return int(
            Session.update(end_time=now)
            .where((Session.account == account_id) & Session.end_time.is_null())
            .execute()
        )

    def lock_account_row(self, account_id: int) -> None:
        """Holds the account row until the transaction ends (PostgreSQL); SQLite's
        write transaction already excludes every other writer."""
        if Account._meta.database.for_update:
            Account.select(Account.id).where(Account.id == account_id).for_update().execute()
