"""Working days (工作日): deadlines that rules state in working days are counted here.

Weekends are days off. The statutory holidays and swapped working weekends (调休) join this calendar
with the working-day calendar of the government-systems issue; every rule that counts working days
already asks this module, so they will follow.
"""

from __future__ import annotations

from datetime import date, timedelta


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
