"""Raw hot reads (store/raw.py) bind their arguments in each engine's style and
hand back the values the models would: aware UTC datetimes, dates, None. Raw
inserts store what peewee's own insert would, and a unique index's refusal
leaves the transaction usable, on both engines."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from aspel.licensing.server import request_context
from aspel.licensing.server.domain.events import WEBHOOK_KIND
from aspel.licensing.server.domain.states import PENDING
from aspel.licensing.server.store import raw
from aspel.licensing.server.store.models import Account, AuditEvent, OutboxMessage, Subscription

from ..support.queries import counting_queries
from ..support.stored import stored_row


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


# --- RawInsert: the rows ActivateInstallation adds, without peewee's INSERT ---------

_ACCOUNT_FIELDS = (
    "public_id",
    "username",
    "email",
    "razon_social",
    "password_hash",
    "failed_logins",
    "disabled",
    "locked_until",
    "create_time",
)
_NEW_ACCOUNT = raw.RawInsert(Account, *_ACCOUNT_FIELDS)
_NEW_EVENT = raw.RawInsert(AuditEvent, "time", "kind", "actor", "peer", "detail", "request_id")
# Not UTC, with microseconds: stored as naive UTC, as UtcDateTimeField writes it.
_LOCAL = dt.datetime(2026, 12, 3, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def _account(name: str) -> dict[str, object]:
    return {
        "public_id": f"acc_{name}",
        "username": name,
        "email": f"{name}@example.com",
        "razon_social": "Ñandú Contadores, S.A. de C.V.",
        "password_hash": "x",
        "failed_logins": 2,
        "disabled": True,
        "locked_until": None,
        "create_time": _LOCAL,
    }


def test_a_raw_insert_stores_what_peewees_create_stores(demo) -> None:
    event = {
        "time": _LOCAL,
        "kind": "activation.created",
        "actor": "installer:fp",
        "peer": None,
        # Non-ASCII and out of order: the JSON text peewee's field writes.
        "detail": {"z": "Ñ", "a": {"b": [1, 2]}},
        "request_id": "req-1",
    }
    with demo.store.write():
        by_peewee = (AuditEvent.create(**event).id, Account.create(**_account("peewee")).id)
        by_raw = (_NEW_EVENT.execute(**event), _NEW_ACCOUNT.execute(**_account("raw")))
    assert stored_row("audit_event", by_raw[0]) == stored_row("audit_event", by_peewee[0])
    unique = ("public_id", "username", "email")
    assert stored_row("account", by_raw[1], *unique) == stored_row("account", by_peewee[1], *unique)
    event_back, account_back = AuditEvent.get_by_id(by_raw[0]), Account.get_by_id(by_raw[1])
    assert (event_back.time, event_back.detail, event_back.peer) == (_LOCAL, event["detail"], None)
    assert event_back.time.tzinfo is dt.UTC
    assert (account_back.disabled, account_back.locked_until) == (True, None)


def test_a_raw_insert_takes_exactly_its_fields(demo) -> None:
    values = _account("partial")
    locked_until = values.pop("locked_until")
    with pytest.raises(TypeError), demo.store.write():
        _NEW_ACCOUNT.execute(**values)
    # As many values, one of them misnamed.
    with pytest.raises(TypeError, match="locked_until"), demo.store.write():
        _NEW_ACCOUNT.execute(**values, locked_untill=locked_until)


def test_a_raw_insert_on_sqlite_needs_no_returning_clause(demo) -> None:
    """SQLite's id comes from the cursor: RETURNING needs SQLite 3.35, newer
    than the system library of some hosts the server is installed on."""
    with demo.store.write(), counting_queries() as statements:
        new_id = _NEW_ACCOUNT.execute(**_account("returning"))
    (insert,) = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert ("RETURNING" in insert.upper()) is not demo.store.is_sqlite
    assert Account.get_by_id(new_id).username == "returning"


def test_a_raw_insert_names_every_field_peewee_would_fill_with_its_default() -> None:
    # failed_logins and disabled have defaults in the model, none in the table.
    with pytest.raises(ValueError, match="disabled"):
        raw.RawInsert(Account, "public_id", "username", "email", "failed_logins")


class _Refused(Exception):
    pass


def test_a_refused_raw_insert_is_the_callers_error_and_the_transaction_goes_on(demo) -> None:
    """A unique index's refusal: PostgreSQL would abort the whole transaction
    but for the savepoint; SQLite backs out the one statement by itself."""
    with demo.store.write():
        first = _NEW_ACCOUNT.execute_or_raise(_Refused, **_account("taken"))
        with pytest.raises(_Refused):
            _NEW_ACCOUNT.execute_or_raise(_Refused, **{**_account("taken"), "public_id": "acc_2"})
        after = _NEW_ACCOUNT.execute_or_raise(_Refused, **_account("free"))
    names = {
        a.id: a.username for a in Account.select().where(Account.username.in_(["taken", "free"]))
    }
    assert names == {first: "taken", after: "free"}


def test_only_postgresql_takes_a_savepoint_for_a_raw_insert(demo) -> None:
    with demo.store.write(), counting_queries(control=True) as statements:
        _NEW_ACCOUNT.execute_or_raise(_Refused, **_account("savepoint"))
    savepoints = [s for s in statements if s.lstrip().upper().startswith("SAVEPOINT")]
    assert len(savepoints) == (0 if demo.store.is_sqlite else 1), statements


def test_an_audit_event_reads_back_as_recorded_with_its_rpcs_request_id(demo) -> None:
    detail = {"activation_id": "act_1", "hostname": "PC-Ñ"}
    token = request_context.begin(request_context.RequestContext("req-7", "ipv4:192.0.2.1:1"))
    try:
        with demo.store.write() as tx:
            tx.audit.record(kind="k", actor="a", now=_LOCAL, serial_number="S1", detail=detail)
    finally:
        request_context.end(token)
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (event.time, event.kind, event.actor, event.peer) == (_LOCAL, "k", "a", None)
    assert (event.serial_number, event.account_public_id) == ("S1", None)
    assert (event.detail, event.request_id) == (detail, "req-7")


def test_an_audited_changes_webhook_delivery_is_queued_as_the_worker_expects(demo) -> None:
    with demo.store.write() as tx:
        tx.webhooks.add(
            public_id="whk_1",
            url="https://example.com/hook",
            event_types=[],
            description="",
            secret_sealed="x",
            created_by="test",
            now=_LOCAL,
        )
        tx.audit.record(kind="k", actor="a", now=_LOCAL, detail={"razón": "Ñ"})
    message = OutboxMessage.get(OutboxMessage.recipient == "whk_1")
    assert (message.kind, message.state, message.attempts) == (WEBHOOK_KIND, PENDING, 0)
    assert (message.next_attempt_time, message.create_time) == (_LOCAL, _LOCAL)
    assert message.payload["type"] == "k" and "razón" in message.payload["body"]
    with demo.store.write() as tx:
        claimed = tx.outbox.claim_next(now=_LOCAL, claim_for=dt.timedelta(minutes=1))
    assert claimed is not None and claimed.id == message.id
