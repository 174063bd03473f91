"""Serial numbers: lookups always scoped to the owning account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any

import peewee

from ..domain.states import ACTIVE, SUPERSEDED
from ..errors import ConcurrentModification
from . import raw
from .accounts import AccountRow
from .models import Subscription
from .prepared import PreparedSelect

Predecessor = Subscription.alias("predecessor")


def _with_predecessor() -> peewee.ModelSelect[Subscription]:
    # The predecessor's serial comes in the same query (a LEFT JOIN on itself).
    return Subscription.select(Subscription, Predecessor.serial_number).join(
        Predecessor,
        peewee.JOIN.LEFT_OUTER,
        on=(Subscription.predecessor == Predecessor.id),
        attr="predecessor_row",
    )


# AcceptUpgrade's transaction looks for the successor of the serial it replaces
# (with the predecessor's serial, a self-join whose SQL peewee would rebuild on
# every call): built once, see prepared.py.
_SUCCESSOR = PreparedSelect(
    lambda subscription_id: (
        _with_predecessor().where(Subscription.predecessor == subscription_id).limit(1)
    )
)
_SERIAL_TAKEN = PreparedSelect(
    lambda serial_number: (
        Subscription.select(Subscription.id)
        .where(Subscription.serial_number == serial_number)
        .limit(1)
    )
)


@dataclass(frozen=True)
class SubscriptionTerms:
    """What a serial is sold as: the product and version, its seats, and how
    it is paid. Sold, imported, seeded and succeeded serials are created from
    one; a serial's row (a Subscription, a SubscriptionRow) carries the same
    names (`of`)."""

    product_code: str
    version: str
    users: int
    installations_allowed: int
    modality: str
    billing_period: str | None

    @staticmethod
    def of(row: Any) -> SubscriptionTerms:
        """The terms `row` (a Subscription, a SubscriptionRow, an import) states."""
        return SubscriptionTerms(*(getattr(row, f.name) for f in fields(SubscriptionTerms)))


@dataclass(frozen=True)
class SubscriptionRow(SubscriptionTerms):
    """A serial as the portal reads it: the terms it was sold as, the other
    columns its rules use, the serial it replaced, and its account (for the
    terms' razón social and the emails)."""

    id: int
    account_id: int
    serial_number: str
    activation_date: dt.date
    next_payment_date: dt.date | None
    status: str
    retire_date: dt.date | None
    predecessor_serial_number: str | None
    account: AccountRow


def _subscription_row(
    row_id: int,
    account_id: int,
    serial_number: str,
    product_code: str,
    version: str,
    users: int,
    installations_allowed: int,
    modality: str,
    billing_period: str | None,
    activation_date: Any,
    next_payment_date: Any,
    status: str,
    retire_date: Any,
    predecessor_serial_number: str | None,
    public_id: str,
    username: str,
    email: str,
    razon_social: str,
    disabled: Any,
) -> SubscriptionRow:
    activated = raw.date(activation_date)
    assert activated is not None  # the column is NOT NULL
    return SubscriptionRow(
        product_code,
        version,
        users,
        installations_allowed,
        modality,
        billing_period,
        row_id,
        account_id,
        serial_number,
        activated,
        raw.date(next_payment_date),
        status,
        raw.date(retire_date),
        predecessor_serial_number,
        AccountRow(account_id, public_id, username, email, razon_social, bool(disabled)),
    )


#: What the domain's rules of a serial read: the raw row, or the model read
#: with its predecessor (`predecessor_serial_number` on both).
AnySubscription = SubscriptionRow | Subscription

# The reads of every portal call, as plain rows (see raw.py).
_SUBSCRIPTION_COLUMNS = """
    SELECT s.id, s.account_id, s.serial_number, s.product_code, s.version, s.users,
           s.installations_allowed, s.modality, s.billing_period, s.activation_date,
           s.next_payment_date, s.status, s.retire_date, p.serial_number,
           a.public_id, a.username, a.email, a.razon_social, a.disabled
      FROM subscription s
      JOIN account a ON a.id = s.account_id
      LEFT JOIN subscription p ON p.id = s.predecessor_id"""
_PAGE = raw.RawSelect(
    _SUBSCRIPTION_COLUMNS + " WHERE s.account_id = ? AND s.id > ? ORDER BY s.id LIMIT ?",
    _subscription_row,
)
_OWNED = raw.RawSelect(
    _SUBSCRIPTION_COLUMNS + " WHERE s.serial_number = ? AND s.account_id = ?",
    _subscription_row,
)
#: An installer's serial, found by its number alone (it has no session; the
#: domain checks the razón social instead): ActivationRepository.find_subscription.
BY_SERIAL_NUMBER = raw.RawSelect(
    _SUBSCRIPTION_COLUMNS + " WHERE s.serial_number = ?", _subscription_row
)
#: A serial known by its id: AcceptUpgrade and IssueUpgrade read both rows of
#: the succession back for their answer, the installers' release and reclaim
#: the serial of an activation.
_BY_ID = raw.RawSelect(_SUBSCRIPTION_COLUMNS + " WHERE s.id = ?", _subscription_row)
# The succession's writes (issue_successor, on every AcceptUpgrade and
# IssueUpgrade): SQL written once, and no savepoint on SQLite (raw.py).
_NEW_SUBSCRIPTION = raw.RawInsert(
    Subscription,
    "serial_number",
    "account",
    *(f.name for f in fields(SubscriptionTerms)),
    "activation_date",
    "next_payment_date",
    "status",
    "predecessor",
    "accepted_terms_id",
    "create_time",
)
_SUPERSEDE = raw.RawWrite(
    "UPDATE subscription SET status = ?, retire_date = ? WHERE id = ? AND status = ?"
)
# The ids are bound one placeholder each; the SQL of each count is kept (raw.py).
_SUCCESSORS: dict[int, raw.RawSelect[tuple[int, str]]] = {}


def _successors_of(count: int) -> raw.RawSelect[tuple[int, str]]:
    found = _SUCCESSORS.get(count)
    if found is None:
        marks = ", ".join("?" * count)
        found = raw.RawSelect(
            f"SELECT predecessor_id, serial_number FROM subscription"  # noqa: S608 - marks only
            f" WHERE predecessor_id IN ({marks})",
            lambda predecessor_id, serial_number: (predecessor_id, serial_number),
        )
        _SUCCESSORS[count] = found
    return found


def _lineage_ids(subscription_id: int) -> peewee.SQL:
    """The ids of a serial's line: `up` follows predecessors, `down`
    successors (both recursive CTEs, the same on SQLite and PostgreSQL)."""
    table = Subscription._meta.table_name
    mark = Subscription._meta.database.param
    return peewee.SQL(
        f"(WITH RECURSIVE up(id, predecessor_id) AS ("  # noqa: S608 - names, not values
        f" SELECT id, predecessor_id FROM {table} WHERE id = {mark}"
        f" UNION ALL SELECT s.id, s.predecessor_id FROM {table} s"
        f" JOIN up ON s.id = up.predecessor_id"
        f"), down(id) AS ("
        f" SELECT id FROM {table} WHERE id = {mark}"
        f" UNION ALL SELECT s.id FROM {table} s JOIN down ON s.predecessor_id = down.id"
        f") SELECT id FROM up UNION SELECT id FROM down)",
        [subscription_id, subscription_id],
    )


class SubscriptionRepository:
    """Serial numbers and their lineage."""

    def list_for_account(self, account_id: int, after_id: int, limit: int) -> list[SubscriptionRow]:
        """One page in creation order, keyset-paginated on the primary key."""
        return _PAGE.rows(account_id, after_id, limit)

    def find_for_account(self, account_id: int, serial_number: str) -> SubscriptionRow | None:
        return _OWNED.first(serial_number, account_id)

    def successor_serials(self, subscription_ids: Iterable[int]) -> dict[int, str]:
        """Maps a subscription id to the serial that replaced it, for those replaced."""
        ids = sorted(set(subscription_ids))
        if not ids:
            return {}
        return dict(_successors_of(len(ids)).rows(*ids))

    def successor_serial(self, subscription_id: int) -> str | None:
        """The serial that replaced this one, if any."""
        return self.successor_serials([subscription_id]).get(subscription_id)

    def find_successor(self, subscription_id: int) -> Subscription | None:
        # At most one: the predecessor column is unique.
        found: Subscription | None = _SUCCESSOR.first(subscription_id)
        return found

    def lock(self, subscription_id: int) -> bool:
        """Holds the row until the transaction ends, so concurrent changes of one
        serial (upgrade, activation) run one after the other. SQLite's write
        transaction already excludes other writers, and has no row locks.

        True when a row lock was taken: what was read of the row before it may
        be older than what another transaction committed meanwhile, so read it
        again. False on SQLite, where nobody else can have written since the
        write transaction began."""
        if not Subscription._meta.database.for_update:
            return False
        Subscription.select(Subscription.id).where(
            Subscription.id == subscription_id
        ).for_update().execute()
        return True

    def serial_exists(self, serial_number: str) -> bool:
        return _SERIAL_TAKEN.first(serial_number) is not None

    def create_subscription(
        self,
        *,
        serial_number: str,
        account_id: int,
        terms: SubscriptionTerms,
        activation_date: dt.date,
        next_payment_date: dt.date | None,
        now: dt.datetime,
        predecessor_id: int | None = None,
        accepted_terms_id: str | None = None,
    ) -> Subscription:
        """Inserts an ACTIVE serial (the model's default), and answers it as
        `Subscription.create` would. Refused with
        CONCURRENT_MODIFICATION, the caller's transaction still usable, when the
        successor of this predecessor was created by a concurrent call (the
        unique predecessor column), or a serial collided."""
        row = Subscription(
            serial_number=serial_number,
            account=account_id,
            **asdict(SubscriptionTerms.of(terms)),  # of(): a SubscriptionRow has more fields
            activation_date=activation_date,
            next_payment_date=next_payment_date,
            predecessor=predecessor_id,
            accepted_terms_id=accepted_terms_id,
            create_time=now,
        )
        return _NEW_SUBSCRIPTION.insert(row, ConcurrentModification)

    def supersede(self, subscription_id: int, retire_date: dt.date) -> None:
        """ACTIVE -> SUPERSEDED, usable through `retire_date`; CONCURRENT_MODIFICATION
        when the serial is no longer ACTIVE."""
        day = Subscription.retire_date.db_value(retire_date)
        if _SUPERSEDE.execute(SUPERSEDED, day, subscription_id, ACTIVE) != 1:
            raise ConcurrentModification()

    def get_by_id(self, subscription_id: int) -> SubscriptionRow:
        """A serial known to exist (its id came from this transaction or a row)."""
        row = _BY_ID.first(subscription_id)
        if row is None:
            raise LookupError(f"no subscription {subscription_id}")
        return row

    def lineage(self, subscription_id: int) -> list[Subscription]:
        """The line of serials this one belongs to, oldest first: every
        predecessor and every successor, in one query whatever its length (a
        recursive walk both ways, then the rows with their predecessor's serial).
        A serial has at most one of each (the unique predecessor column), so
        the line is a chain."""
        rows = list(_with_predecessor().where(Subscription.id.in_(_lineage_ids(subscription_id))))
        following = {row.predecessor_id: row for row in rows}  # type: ignore[attr-defined]
        ids = {row.id for row in rows}
        chain = [row for row in rows if row.predecessor_id not in ids]  # type: ignore[attr-defined]
        while chain and chain[-1].id in following:
            chain.append(following[chain[-1].id])
        return chain

    def find_by_serial(self, serial_number: str) -> Subscription | None:
        """The serial whatever its account (internal callers only)."""
        return _with_predecessor().where(Subscription.serial_number == serial_number).get_or_none()

    def count_for_account(self, account_id: int) -> int:
        return int(Subscription.select().where(Subscription.account == account_id).count())

    def change_status(self, subscription_id: int, from_status: str, to_status: str) -> None:
        updated = (
            Subscription.update(status=to_status)
            .where((Subscription.id == subscription_id) & (Subscription.status == from_status))
            .execute()
        )
        if updated != 1:
            raise ConcurrentModification()

    def set_next_payment_date(self, subscription_id: int, day: dt.date) -> None:
        Subscription.update(next_payment_date=day).where(
            Subscription.id == subscription_id
        ).execute()

    def set_seats(self, subscription_id: int, users: int, installations_allowed: int) -> None:
        Subscription.update(users=users, installations_allowed=installations_allowed).where(
            Subscription.id == subscription_id
        ).execute()
