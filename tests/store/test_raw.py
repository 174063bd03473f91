"""Raw hot reads (store/raw.py) bind their arguments in each engine's style and
hand back the values the models would: aware UTC datetimes, dates, None."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from aspel.licensing.server.store import raw
from aspel.licensing.server.store.models import Account, Subscription


@dataclasses.dataclass(frozen=True)
class _Row:
    serial_number: str
    activation_date: dt.date | None
    next_payment_date: dt.date | None
    create_time: dt.datetime | None
    username: str


_BY_SERIAL = raw.RawSelect(
    """SELECT s.serial_number, s.activation_date, s.next_payment_date, s.create_time, a.username
         FROM subscription s JOIN account a ON a.id = s.account_id
        WHERE s.serial_number = ?""",
    lambda serial, activated, due, created, username: _Row(
        serial, raw.date(activated), raw.date(due), raw.utc_datetime(created), username
    ),
)


def test_a_row_comes_back_with_the_values_the_model_reads(demo) -> None:
    model = Subscription.select(Subscription, Account).join(Account).first()
    row = _BY_SERIAL.first(model.serial_number)
    assert row == _Row(
        model.serial_number,
        model.activation_date,
        model.next_payment_date,
        model.create_time,
        model.account.username,
    )
    assert row.create_time is not None and row.create_time.tzinfo is dt.UTC


def test_no_row_is_none_and_rows_is_every_match(demo) -> None:
    assert _BY_SERIAL.first("NO-SUCH-SERIAL") is None
    every = raw.RawSelect("SELECT serial_number FROM subscription ORDER BY id", str)
    models = Subscription.select().order_by(Subscription.id)
    assert every.rows() == [s.serial_number for s in models]


def test_a_datetime_bound_in_sql_compares_as_the_column_stores_it(demo) -> None:
    model = Subscription.select().order_by(Subscription.id).first()
    newer = raw.RawSelect(
        "SELECT count(*) FROM subscription WHERE id = ? AND create_time >= ?", int
    )
    at = model.create_time
    assert newer.first(model.id, raw.db_datetime(at)) == 1
    assert newer.first(model.id, raw.db_datetime(at + dt.timedelta(microseconds=1))) == 0


def test_a_percent_sign_is_refused_where_psycopg_would_misread_it() -> None:
    with pytest.raises(ValueError, match="placeholders"):
        raw.RawSelect("SELECT 1 WHERE 'a' LIKE 'a%'", int)
