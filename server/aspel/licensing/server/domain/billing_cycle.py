"""Billing periods and payment dates: calendar arithmetic in whole months.

A subscription's payments fall on the day of the month it was first activated
(clamped to the month's last day), whatever the days of the months between.
"""

from __future__ import annotations

import calendar
import datetime as dt

PERIOD_MONTHS = {"MONTHLY": 1, "SEMIANNUAL": 6, "ANNUAL": 12}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_payment(activation: dt.date, period: str | None, today: dt.date) -> dt.date | None:
    """The first payment date after today on the serial's billing cycle."""
    if period is None:
        return None
    step = PERIOD_MONTHS[period]
    due, k = activation, 0
    while due <= today:
        k += 1
        due = add_months(activation, step * k)
    return due


def following_payment(due: dt.date, period: str, anchor_day: int) -> dt.date:
    """The payment date one billing period after `due`, on the cycle's day of
    the month: paying a January 31 cycle moves it to February 28 and then to
    March 31, never drifting to the 28th."""
    moved = add_months(due.replace(day=1), PERIOD_MONTHS[period])
    return moved.replace(day=min(anchor_day, calendar.monthrange(moved.year, moved.month)[1]))
