"""Password-reset tokens (only their SHA-256) and the password change they allow."""

from __future__ import annotations

import datetime as dt

import peewee

from .models import Account, PasswordReset, Session


class PasswordResetRepository:
    """Password reset tokens."""

    def find_accounts_for_reset(self, identifier: str, limit: int) -> list[Account]:
        """The accounts an email address or username names (an email may hold several)."""
        if "@" in identifier:
            query = Account.select().where(peewee.fn.LOWER(Account.email) == identifier.lower())
        else:
            query = Account.select().where(Account.username == identifier)
        return list(query.order_by(Account.id).limit(limit))

    def create_reset(
        self, *, account_id: int, token_hash: str, now: dt.datetime, expire_time: dt.datetime
    ) -> PasswordReset:
        return PasswordReset.create(
            account=account_id, token_hash=token_hash, create_time=now, expire_time=expire_time
        )

    def find_usable_reset(self, token_hash: str, now: dt.datetime) -> PasswordReset | None:
        """The unused, unexpired reset with this token hash, with its account."""
        return (
            PasswordReset.select(PasswordReset, Account)
            .join(Account)
            .where(
                (PasswordReset.token_hash == token_hash)
                & PasswordReset.use_time.is_null()
                & (PasswordReset.expire_time > now)
            )
            .get_or_none()
        )

    def use_reset(self, reset_id: int, now: dt.datetime) -> bool:
        """Spends a token; False when it was spent or expired meanwhile (single use)."""
        changed = (
            PasswordReset.update(use_time=now)
            .where(
                (PasswordReset.id == reset_id)
                & PasswordReset.use_time.is_null()
                & (PasswordReset.expire_time > now)
            )
            .execute()
        )
        return bool(changed == 1)

    def spend_other_resets(self, account_id: int, now: dt.datetime) -> None:
        """After a change, the other tokens already mailed stop working too."""
        PasswordReset.update(use_time=now).where(
            (PasswordReset.account == account_id) & PasswordReset.use_time.is_null()
        ).execute()

    def set_password(self, account_id: int, password_hash: str) -> None:
        """The new password, with the lockout cleared."""
        Account.update(password_hash=password_hash, failed_logins=0, locked_until=None).where(
            Account.id == account_id
        ).execute()

    def end_all_sessions(self, account_id: int, now: dt.datetime) -> int:
        return int(
            Session.update(end_time=now)
            .where((Session.account == account_id) & Session.end_time.is_null())
            .execute()
        )
