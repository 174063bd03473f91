"""Payment dates: whole months on the day of the first activation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspel.licensing.server.domain.billing_cycle import (
    PERIOD_MONTHS,
    add_months,
    following_payment,
    next_payment,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2026, 11, 23), -9, dt.date(2026, 2, 23)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(
    day: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(day, months) == expected


def test_next_payment_is_the_first_cycle_day_after_today() -> None:
    activation = dt.date(2026, 1, 31)
    assert next_payment(activation, "MONTHLY", dt.date(2026, 11, 23)) == dt.date(2026, 11, 30)
    assert next_payment(activation, "MONTHLY", dt.date(2026, 11, 30)) == dt.date(2026, 12, 31)
    assert next_payment(activation, "ANNUAL", dt.date(2026, 1, 31)) == dt.date(2027, 1, 31)
    assert next_payment(activation, None, dt.date(2026, 11, 23)) is None


@given(
    activation=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    period=st.sampled_from(sorted(PERIOD_MONTHS)),
    payments=st.integers(min_value=1, max_value=30),
)
def test_payments_never_drift_from_the_activation_day(
    activation: dt.date, period: str, payments: int
) -> None:
    step = PERIOD_MONTHS[period]
    due = add_months(activation, step)
    for _ in range(payments):
        due = following_payment(due, period, activation.day)
    assert due == add_months(activation, step * (payments + 1))
