"""The demo task list (fixtures/demo_tasklist.xlsx) and its import by ``load_demo``."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.db.models import Count

from demo.build import build_units
from demo.loop import LAUNCH
from demo.tasklist import DEMO_TASKLIST, load_demo_tasklist
from indicators.models import Indicator
from tasks_app.models import EvaluationCriterion, Measure, Policy, Task
from tasks_app.selectors.programmes import default_programme
from trail.models import TraceEntry
from trail.verify import verify_chain

pytestmark = pytest.mark.django_db

DOMAINS = {"党政机关整体智治", "数字政府", "数字经济", "数字社会", "数字法治"}
DEMO_TODAY = date(2026, 11, 23)


def _state() -> tuple:
    return (
        sorted(Task.objects.values_list("code", "title", "status", "deadline", "progress")),
        Indicator.objects.count(),
        Policy.objects.count(),
        Measure.objects.count(),
        EvaluationCriterion.objects.count(),
        TraceEntry.objects.count(),
    )


def test_load_demo_imports_the_task_list_and_a_second_run_changes_nothing():
    # when the demo is loaded
    call_command("load_demo", verbosity=0)

    # then the city's list has ~8 major tasks and ~120 items on 3 levels across the five domains, and
    # 东城区 split two of its items for its streets (a fourth level)
    city = Task.objects.filter(programme=default_programme())
    majors = city.filter(depth=1)
    items = city.filter(is_leaf=True)
    assert majors.count() == 8
    assert 110 <= items.count() <= 135
    assert set(city.values_list("depth", flat=True)) == {1, 2, 3, 4}
    assert set(city.filter(depth=4).values_list("lead_unit__parent__name", flat=True)) == {"东城区"}
    assert set(items.values_list("depth", flat=True)) == {3, 4}
    assert set(city.values_list("domain__name", flat=True)) == DOMAINS
    # and 东城区 runs its own programme, with its own domains and the same codes starting again at 1
    district = Task.objects.exclude(programme=default_programme())
    assert set(district.values_list("programme__name", flat=True)) == {"东城区数字化改革重点任务"}
    assert sorted(district.filter(depth=1).values_list("code", flat=True)) == ["1", "2"]
    assert set(district.values_list("domain__name", flat=True)) == {"基层智治", "民生服务"}
    # led by 市大数据局 and 市经信局 (many) and by other departments and districts
    leads = Counter(items.values_list("lead_unit__name", flat=True))
    assert leads["市大数据局"] >= 15 and leads["市经信局"] >= 15
    assert {"市司法局", "市卫生健康委", "市教育局", "东城区", "西湖区", "南江区"} <= set(leads)
    assert Task.objects.annotate(n=Count("cooperating_units")).filter(n__gte=2).count() >= 20
    # every system is filled in
    assert 25 <= Indicator.objects.count() <= 40
    assert set(Indicator.objects.values_list("direction", flat=True)) == {"higher", "lower"}
    assert Indicator.objects.filter(name="数字经济核心产业增加值占GDP比重", task__code="4").exists()
    assert Policy.objects.count() >= 10
    assert Policy.objects.annotate(n=Count("tasks")).filter(n__gt=1).count() >= 5
    assert Measure.objects.count() > 150 and EvaluationCriterion.objects.count() > 150
    # every imported task was traced (as the system, before the programme's launch), as were the items
    # the districts made later (created by their office, or handed down), and the chain holds
    creates = TraceEntry.objects.filter(action="task.create")
    handed_down = TraceEntry.objects.filter(action="task.hand_down")
    assert creates.count() + handed_down.count() == Task.objects.count()
    assert {e.actor_name for e in creates.filter(created_at__date__lt=LAUNCH)} == {"系统"}
    assert {e.actor_name for e in creates.filter(created_at__date__gte=LAUNCH)} == {"周督查"}
    assert TraceEntry.objects.get(action="task.import").created_at.date() == LAUNCH - timedelta(days=1)
    assert verify_chain().ok

    # and a second run changes nothing
    before = _state()
    call_command("load_demo", verbosity=0)
    assert _state() == before


def test_demo_tasklist_alone_is_idempotent():
    build_units()
    first = load_demo_tasklist()
    assert first.ok and first.created["tasks"] == Task.objects.count() > 150
    assert first.created["units"] == 0 and first.warnings == []
    before = _state()
    second = load_demo_tasklist()
    assert second.created == {"tasks": 0, "indicators": 0, "policies": 0, "units": 0}
    assert second.warnings[0]["message"] == "演示任务清单已导入，跳过"
    assert _state() == before


def test_demo_deadlines_suit_the_demo_today():
    build_units()
    load_demo_tasklist()
    items = Task.objects.filter(is_leaf=True)
    starts = set(items.values_list("start_date", flat=True))
    assert min(starts) >= date(2026, 1, 1) and max(starts) <= date(2026, 6, 30)
    deadlines = [d for d in items.values_list("deadline", flat=True) if d is not None]
    assert min(deadlines) >= date(2026, 9, 1) and max(deadlines) <= date(2027, 6, 30)
    assert sum(d < DEMO_TODAY for d in deadlines) >= 10  # already overdue unless closed
    assert sum(DEMO_TODAY <= d <= date(2026, 11, 30) for d in deadlines) >= 5  # due within days
    assert sum(d.year == 2026 and d.month == 12 for d in deadlines) >= 20
    assert items.filter(deadline__isnull=True).count() >= 3  # 持续推进 / 长期


def test_demo_workbook_writes_dates_in_several_forms():
    workbook = openpyxl.load_workbook(DEMO_TASKLIST, read_only=True)
    rows = list(workbook["任务清单"].iter_rows(min_row=2, values_only=True))
    deadlines = [r[8] for r in rows]
    texts = [d for d in deadlines if isinstance(d, str)]
    assert any(not isinstance(d, str) and d is not None for d in deadlines)  # Excel date cells
    assert any("-" in t for t in texts) and any("/" in t for t in texts)
    assert any(t.endswith("日") for t in texts) and any(t.endswith("月") for t in texts)
    assert any(t.endswith("年底") for t in texts) and "持续推进" in texts
    assert workbook.sheetnames == ["任务清单", "指标体系", "政策体系"]
