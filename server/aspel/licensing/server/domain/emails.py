"""Queuing an email to a customer's account (the outbox worker delivers it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..store.accounts import AccountRow
from ..store.models import Account
from ..store.unit_of_work import UnitOfWork


def email_account(
    tx: UnitOfWork,
    kind: str,
    account: AccountRow | Account,
    fields: Mapping[str, str],
    now: dt.datetime,
) -> None:
    """Queues the email `kind` to the account's address, in the caller's transaction.

    `account` is an AccountRow or an Account model (the same attributes).
    Every template greets the customer by username and razón social, so those
    travel in every payload next to the template's own `fields`.
    """
    tx.outbox.enqueue(
        kind=kind,
        recipient=account.email,
        payload={"username": account.username, "razon_social": account.razon_social, **fields},
        now=now,
    )
