"""Reporting periods: ten-day periods (旬) and months, identified by their last day."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

TENDAY_NAMES = {1: "上旬", 2: "中旬", 3: "下旬"}


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: str  # "tenday" or "month"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.end.year}年{self.end.month}月"
        part = 1 if self.start.day == 1 else (2 if self.start.day == 11 else 3)
        return f"{self.end.year}年{self.end.month}月{TENDAY_NAMES[part]}"

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.kind)

    def previous(self) -> Period:
        return period_of(self.start - timedelta(days=1), self.kind)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_of(day: date, kind: str = "tenday") -> Period:
    """Return the period containing ``day``."""
    if kind == "month":
        return Period(date(day.year, day.month, 1), month_end(day.year, day.month), "month")
    if kind != "tenday":
        raise ValueError(f"unknown period kind {kind!r}")
    if day.day <= 10:
        return Period(date(day.year, day.month, 1), date(day.year, day.month, 10), "tenday")
    if day.day <= 20:
        return Period(date(day.year, day.month, 11), date(day.year, day.month, 20), "tenday")
    return Period(date(day.year, day.month, 21), month_end(day.year, day.month), "tenday")


def last_periods(day: date, count: int, kind: str = "tenday") -> list[Period]:
    """Return the ``count`` periods ending with the one containing ``day``, oldest first."""
    periods = [period_of(day, kind)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return list(reversed(periods))


def due_date(period_end: date) -> date:
    """When the report for the period ending ``period_end`` is due: the first configured due day
    (``TENDAY_DUE_DAYS``, by default the 1st, 11th and 21st) after the period ends."""
    due_days = set(getattr(settings, "TENDAY_DUE_DAYS", ())) or {1, 11, 21}
    day = period_end + timedelta(days=1)
    while day.day not in due_days:
        day += timedelta(days=1)
    return day


def due_date_for(period: Period) -> date:
    """The first configured due day (``TENDAY_DUE_DAYS``) after the period ends: the 1st, 11th or 21st."""
    return due_date(period.end)


def periods_due_soon(today: date) -> list[tuple[Period, date]]:
    """Periods that have started and whose report is due within ``TENDAY_REMIND_DAYS`` days (today included)."""
    current = period_of(today)
    found = []
    for period in (current.previous(), current):
        due = due_date_for(period)
        if period.start <= today <= due and (due - today).days <= settings.TENDAY_REMIND_DAYS:
            found.append((period, due))
    return found


def last_missed_period(today: date) -> Period:
    """The latest ten-day period whose report due date is before today."""
    period = period_of(today)
    while due_date_for(period) >= today:
        period = period.previous()
    return period
