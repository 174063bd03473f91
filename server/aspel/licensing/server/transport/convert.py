"""Domain values to protos."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from aspel.licensing.v1 import account_pb2, subscription_pb2, upgrade_terms_pb2

from ..domain import serials
from ..domain.auth import AccountView
from ..domain.subscriptions import SubscriptionView
from ..domain.upgrade_terms import TermsView


def date(day: dt.date | None) -> date_pb2.Date | None:
    return None if day is None else date_pb2.Date(year=day.year, month=day.month, day=day.day)


def timestamp(instant: dt.datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(instant.astimezone(dt.UTC))
    return ts


def account(view: AccountView) -> account_pb2.Account:
    return account_pb2.Account(
        account_id=view.account_id,
        username=view.username,
        email=view.email,
        razon_social=view.razon_social,
        state=(
            account_pb2.ACCOUNT_STATE_DISABLED
            if view.disabled
            else account_pb2.ACCOUNT_STATE_ACTIVE
        ),
        create_time=timestamp(view.create_time) if view.create_time else None,
    )


def _serial(canonical: str | None) -> str:
    return serials.display(canonical) if canonical else ""


def subscription(view: SubscriptionView) -> subscription_pb2.Subscription:
    return subscription_pb2.Subscription(
        serial_number=_serial(view.serial_number),
        product_code=view.product_code,
        product_name=view.product_name,
        version=view.version,
        users=view.users,
        activation_date=date(view.activation_date),
        next_payment_date=date(view.next_payment_date),
        modality=f"MODALITY_{view.modality}",
        billing_period=f"BILLING_PERIOD_{view.billing_period or 'UNSPECIFIED'}",
        state=f"SUBSCRIPTION_STATE_{view.state}",
        upgrade_available=view.upgrade_available,
        available_version=view.available_version or "",
        successor_serial_number=_serial(view.successor_serial_number),
        predecessor_serial_number=_serial(view.predecessor_serial_number),
        retire_date=date(view.retire_date),
        installations_allowed=view.installations_allowed,
    )


def upgrade_terms(view: TermsView) -> upgrade_terms_pb2.UpgradeTerms:
    return upgrade_terms_pb2.UpgradeTerms(
        terms_id=view.terms_id,
        serial_number=_serial(view.serial_number),
        product_code=view.product_code,
        from_version=view.from_version,
        to_version=view.to_version,
        title=view.title,
        clauses=list(view.clauses),
        locale=view.locale,
        download_url=view.download_url,
    )
