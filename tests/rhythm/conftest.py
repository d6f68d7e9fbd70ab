from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tasks_app.workflow import Status
from tests.factories import make_task, make_user
from tests.tasks_app.workflow_helpers import drive

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2026, 11, 10)


@contextmanager
def on_day(day: date, hour: int = 10):
    with time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False):
        yield


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@pytest.fixture
def handler(dsj):
    return make_user("unit_handler", unit=dsj, username="dsj_clerk", email="clerk@dsj.example.gov.cn")


@pytest.fixture
def item(dsj, office_user, handler):
    """A leaf item of 市大数据局, in progress since 1 September, due 10 November 2026."""
    with on_day(date(2026, 9, 1)):
        task = make_task("1", lead_unit=dsj, title="一网通办事项梳理", deadline=DEADLINE, start_date=date(2026, 9, 1))
        return drive(task, Status.IN_PROGRESS, office=office_user, unit_user=handler)
