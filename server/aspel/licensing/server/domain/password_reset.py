"""Password recovery: "¿Olvidaste tu contraseña?" by email.

`request_reset` answers the same, after the same work, whether or not the
email address or username belongs to an account: it always draws a token and
hashes it, always looks the caller up in the rate limits and always writes once.
Only when an account matches (and its own limit allows) is the token stored
(as SHA-256) and the email queued in that same transaction.

`reset_password` changes nothing until a valid token is shown: unknown, used
and expired tokens are one error. With a valid token and a password that meets
the policy, one transaction spends the token (and every other token of the
account), sets the new argon2id hash, clears the lockout, ends every session
and queues the "password changed" notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass, field

from .. import errors
from ..store.database import Store
from ..store.models import Account
from ..store.unit_of_work import UnitOfWork
from . import password_policy
from .auth import user_actor
from .clock import BusinessCalendar
from .credentials import PasswordHasher, new_token, token_hash
from .emails import email_account
from .idempotency import RequestKey, Result, once, replay
from .spanish import time_of_day

RESET_TOKEN_PREFIX = "alr_"  # noqa: S105 - a prefix, not a secret
RESET_EMAIL_KIND = "password_reset"
CHANGED_EMAIL_KIND = "password_changed"
MAX_TOKEN_LENGTH = 128
ANONYMOUS_SCOPE = "anonymous"


@dataclass(frozen=True)
class ResetPolicy:
    token_lifetime: dt.timedelta = dt.timedelta(minutes=30)
    #: Reset emails per account per window; more requests answer the same and send nothing.
    per_account_limit: int = 3
    per_account_window: dt.timedelta = dt.timedelta(hours=1)
    #: Requests per caller address per window; more are RESOURCE_EXHAUSTED.
    per_peer_limit: int = 10
    per_peer_window: dt.timedelta = dt.timedelta(minutes=15)
    #: Accounts that one email address may reach at once (addresses can be shared).
    max_accounts_per_email: int = 5


def peer_host(peer: str | None) -> str:
    """The caller's address without its port: "ipv4:10.0.0.7:53012" -> "10.0.0.7".

    An IPv6 caller counts by its /64, "2001:db8:1:2::/64": one site or
    subscriber gets a whole /64 and may pick any address in it, so counting
    single addresses would let one caller have 2**64 budgets.
    """
    if not peer:
        return "unknown"
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        host = rest.rsplit(":", 1)[0].strip("[]")
        try:
            return str(ipaddress.IPv6Network(f"{host}/64", strict=False))
        except ValueError:
            return host
    return peer


def _identifier_key(identifier: str) -> str:
    # Hashed: the table of counters is no list of the addresses people typed.
    return "password_reset:who:" + hashlib.sha256(identifier.encode()).hexdigest()


@dataclass(eq=False)
class PasswordResetService:
    store: Store
    calendar: BusinessCalendar
    hasher: PasswordHasher
    policy: ResetPolicy = field(default_factory=ResetPolicy)

    def request_reset(
        self, email_or_username: str, key: RequestKey | None, peer: str | None
    ) -> None:
        """Queues a reset email to each active account the identifier names.
        Returns nothing either way; RATE_LIMITED only for a caller (never an account)."""
        identifier = password_policy.normalize(email_or_username).strip().lower()
        now = self.calendar.now()
        expire_time = now + self.policy.token_lifetime
        p = self.policy
        with self.store.read() as tx:
            accounts = [
                a
                for a in tx.password_resets.find_accounts_for_reset(
                    identifier, p.max_accounts_per_email
                )
                if not a.disabled
            ]
            # Drawn and hashed even when nobody will get them: the same work either way.
            tokens = [new_token(RESET_TOKEN_PREFIX) for _ in range(max(1, len(accounts)))]
            hashes = [token_hash(t) for t in tokens]
            peer_key = "password_reset:peer:" + peer_host(peer)

            def request(tx: UnitOfWork) -> Result:
                if not tx.rate_limits.hit(
                    peer_key, limit=p.per_peer_limit, window=p.per_peer_window, now=now
                ):
                    retry = tx.rate_limits.window_end(peer_key, p.per_peer_window) or now
                    raise errors.RateLimited(retry, time_of_day(self.calendar.local(retry)))
                if not accounts:
                    tx.rate_limits.hit(
                        _identifier_key(identifier),
                        limit=p.per_account_limit,
                        window=p.per_account_window,
                        now=now,
                    )
                queued = 0
                for account, token, hashed in zip(accounts, tokens, hashes, strict=False):
                    allowed = tx.rate_limits.hit(
                        f"password_reset:account:{account.public_id}",
                        limit=p.per_account_limit,
                        window=p.per_account_window,
                        now=now,
                    )
                    if not allowed:
                        # Answered like a success: a limit must not confirm the account.
                        continue
                    tx.password_resets.create_reset(
                        account_id=account.id, token_hash=hashed, now=now, expire_time=expire_time
                    )
                    reset = self._reset_fields(token, expire_time)
                    email_account(tx, RESET_EMAIL_KIND, account, reset, now)
                    queued += 1
                tx.audit.record(
                    kind="password_reset.requested",
                    actor="anonymous",
                    peer=peer,
                    account_public_id=accounts[0].public_id if accounts else None,
                    detail={"accounts": len(accounts), "emails_queued": queued},
                    now=now,
                )
                # Nothing in the answer: it must not tell whether an account matched.
                return {}

            with self.store.write() as tx:
                once(tx, ANONYMOUS_SCOPE, key, now, request)

    def reset_password(
        self, reset_token: str, new_password: str, key: RequestKey | None, peer: str | None
    ) -> None:
        token = reset_token.strip()
        hashed = token_hash(token)
        now = self.calendar.now()
        with self.store.read() as tx:
            well_formed = token.startswith(RESET_TOKEN_PREFIX) and len(token) <= MAX_TOKEN_LENGTH
            # The token is read before the retry check: a twin of this request
            # spends it in the transaction that also stores its answer, so a
            # token found spent here has that answer already visible below.
            reset = tx.password_resets.find_usable_reset(hashed, now) if well_formed else None
            if replay(tx, ANONYMOUS_SCOPE, key) is not None:
                return
            if reset is None or reset.account.disabled:
                raise errors.ResetTokenInvalid(lifetime=self.policy.token_lifetime)
            account = reset.account
            password = password_policy.check(new_password, account.username)
            # argon2 runs outside the write transaction: it must not hold the lock.
            new_hash = self.hasher.hash(password)

            def reset_it(tx: UnitOfWork) -> Result:
                if not tx.password_resets.use_reset(reset.id, now):
                    # Spent by a concurrent call with another (or no) request_id.
                    raise errors.ResetTokenInvalid(lifetime=self.policy.token_lifetime)
                tx.password_resets.set_password(account.id, new_hash)
                ended = tx.password_resets.end_all_sessions(account.id, now)
                tx.password_resets.spend_other_resets(account.id, now)
                changed = {
                    "change_time": now.isoformat(),
                    "change_time_text": time_of_day(self.calendar.local(now)),
                }
                email_account(tx, CHANGED_EMAIL_KIND, account, changed, now)
                tx.audit.record(
                    kind="password.reset",
                    actor=user_actor(account.username),
                    peer=peer,
                    account_public_id=account.public_id,
                    detail={"sessions_ended": ended},
                    now=now,
                )
                return {}

            with self.store.write() as tx:
                once(tx, ANONYMOUS_SCOPE, key, now, reset_it)

    def _reset_fields(self, token: str, expire_time: dt.datetime) -> dict[str, str]:
        return {
            "reset_token": token,
            "valid_minutes": str(int(self.policy.token_lifetime.total_seconds() // 60)),
            "expire_time": expire_time.isoformat(),
            "expire_time_text": time_of_day(self.calendar.local(expire_time)),
        }

    # --- for Aspel's staff (AdminService) -------------------------------------------

    def send_reset(self, tx: UnitOfWork, account: Account, now: dt.datetime) -> None:
        """Issues a reset token for `account` and queues its email, inside the
        caller's write transaction. For internal callers (support, or a new
        account opened without a password): no rate limit, no anonymity to keep."""
        token = new_token(RESET_TOKEN_PREFIX)
        expire_time = now + self.policy.token_lifetime
        tx.password_resets.create_reset(
            account_id=account.id, token_hash=token_hash(token), now=now, expire_time=expire_time
        )
        email_account(tx, RESET_EMAIL_KIND, account, self._reset_fields(token, expire_time), now)
