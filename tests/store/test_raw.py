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


_TOUCH = raw.RawWrite("UPDATE subscription SET users = users + ? WHERE account_id = ?")


def test_a_raw_write_answers_how_many_rows_it_changed(demo) -> None:
    owner = Subscription.select().order_by(Subscription.id).first().account_id

    def users() -> dict[int, int]:
        return {s.id: s.users for s in Subscription.select().where(Subscription.account == owner)}

    users_before = users()
    with demo.store.write():
        changed = _TOUCH.execute(1, owner)
        unmatched = _TOUCH.execute(1, -1)
    assert (changed, unmatched) == (len(users_before), 0)
    assert users() == {i: u + 1 for i, u in users_before.items()}


def test_a_claim_inserts_once_and_its_answer_reads_back_as_stored(demo) -> None:
    at = dt.datetime(2026, 12, 3, 12, 0, 0, 500, tzinfo=dt.UTC)
    answer = {"activation_id": "act_1", "razón": "Ñandú, S.A.", "seats": [1, 2]}
    with demo.store.write() as tx:
        claims = [
            tx.idempotency.claim(
                scope="s", request_id="r", operation="Op", request_hash="h", now=at
            )
            for _ in range(2)
        ]
        empty = tx.idempotency.find("s", "r")
        tx.idempotency.complete("s", "r", answer)
    with demo.store.read() as tx:
        stored = tx.idempotency.find("s", "r")
    assert claims == [True, False]
    assert empty is not None and empty.result == {}
    assert stored is not None
    assert (stored.result, stored.create_time, stored.operation) == (answer, at, "Op")
