"""Demo indicator history: twelve months of trajectory and values per indicator, ahead and behind, idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from demo.build import build_units
from demo.indicators import build_indicator_history, history_months
from demo.tasklist import load_demo_tasklist
from indicators import rag
from indicators.models import Indicator, Measurement, TrajectoryPoint
from tasks_app.models import Task
from tests.factories import make_task
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)
MONTH_ENDS = [p.end for p in history_months(TODAY)]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def test_history_months_are_the_twelve_months_before_today():
    assert MONTH_ENDS[0] == date(2025, 11, 30) and MONTH_ENDS[-1] == date(2026, 10, 31) and len(MONTH_ENDS) == 12


def test_every_indicator_gets_twelve_months_ahead_and_behind_and_a_second_run_changes_nothing(dsj):
    tasks = [make_task(str(i), lead_unit=dsj, start_date=None) for i in range(1, 6)]
    common = dict(baseline_value=70, baseline_date=date(2025, 12, 31), target_value=90, target_date=date(2026, 12, 31))
    Indicator.objects.create(task=tasks[0], name="高频事项就近可办率", unit="%", **common)  # ahead
    Indicator.objects.create(task=tasks[1], name="数据共享接口数", unit="个", **common)  # on track
    Indicator.objects.create(  # a little behind; lower is better
        task=tasks[2],
        name="企业开办平均用时",
        unit="天",
        direction="lower",
        baseline_value="1.5",
        baseline_date=date(2025, 12, 31),
        target_value="0.5",
        target_date=date(2026, 12, 31),
    )
    Indicator.objects.create(task=tasks[3], name="公共数据开放率", unit="%", **common)  # far behind
    Indicator.objects.create(  # no dates, counted per 旬: still twelve monthly values
        task=tasks[4], name="日均办件量", unit="件", baseline_value=100, target_value=500, period_kind="tenday"
    )

    result = build_indicator_history(TODAY)

    assert (result["indicators"], result["created"], result["updated"]) == (5, 60, 0)
    for ind in Indicator.objects.all():
        assert list(ind.measurements.order_by("period_end").values_list("period_end", flat=True)) == MONTH_ENDS
        assert set(MONTH_ENDS) <= set(ind.trajectory.values_list("period_end", flat=True))
    # The plan's line runs on to the target date.
    assert (
        TrajectoryPoint.objects.get(indicator__name="公共数据开放率", period_end=date(2026, 12, 31)).expected_value
        == 90
    )
    lights = dict(Task.objects.values_list("code", "rag"))
    assert [lights[t.code] for t in tasks] == ["green", "green", "yellow", "red", "green"]
    assert Task.objects.get(code="4").rag_rules[0]["gap"] > 20
    assert 10 < Task.objects.get(code="3").rag_rules[0]["gap"] <= 20

    trace = TraceEntry.objects.count()
    again = build_indicator_history(TODAY)
    assert (again["created"], again["updated"], again["unchanged"], again["trajectory_points_changed"]) == (0, 0, 60, 0)
    assert TraceEntry.objects.count() == trace
    assert rag.recompute_all()["changed"] == 0


def test_nothing_to_do_without_indicators():
    assert build_indicator_history(TODAY)["indicators"] == 0


def test_history_for_the_demo_task_list():
    build_units()
    load_demo_tasklist()
    count = Indicator.objects.count()
    assert count > 20
    build_indicator_history(TODAY)
    assert Measurement.objects.count() == 12 * count
    levels = Counter(
        rule["level"]
        for rules in Task.objects.values_list("rag_rules", flat=True)
        for rule in rules
        if rule["rule"] == "indicator_behind"
    )
    # Every fourth indicator far behind (red), every fourth a little behind (yellow), the rest on or ahead.
    assert levels == {"red": len(range(3, count, 4)), "yellow": len(range(2, count, 4))}
