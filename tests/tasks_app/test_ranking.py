"""红黑榜: the unit ranking selector against a small hand-computed example."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tasks_app import selectors, services
from tasks_app.models import Task
from tasks_app.workflow import Status
from tests.factories import make_task

from .workflow_helpers import drive, fire

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def test_ranking_hand_computed(city, dsj, jxj, office_user, leader_user, dsj_handler, jxj_handler):
    """November 2026. 市大数据局: 2 due, 1 closed on time (score 90), 0 overdue, 1 of 1 instruction on time.
    市经信局: 2 due, 0 closed, 1 overdue (one item due 11-10 still open on 11-23), instruction answered late.

    市大数据局 composite = 0.4*50 + 0.4*90 + 0.2*100 - 0 = 76.0
    市经信局 composite  = 0.4*0 + 0.4*100(no score) + 0.2*0 - 5*1 = 35.0
    """
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=TZ), tick=False):
        make_task("1", lead_unit=dsj, deadline=date(2026, 11, 15), start_date=date(2026, 1, 1))
        make_task("1.1", lead_unit=dsj, deadline=date(2026, 11, 15), start_date=date(2026, 1, 1))
        make_task("1.2", lead_unit=dsj, deadline=date(2026, 11, 30), start_date=date(2026, 1, 1))
        make_task("2", lead_unit=jxj, deadline=date(2026, 11, 30), start_date=date(2026, 1, 1))
        make_task("2.1", lead_unit=jxj, deadline=date(2026, 11, 10), start_date=date(2026, 1, 1))
        make_task("2.2", lead_unit=jxj, deadline=date(2026, 11, 30), start_date=date(2026, 1, 1))
        make_task("3", lead_unit=jxj, deadline=date(2026, 12, 31), start_date=date(2026, 1, 1))  # not due
        for code in ("1.1", "1.2", "2.1", "2.2"):
            drive(
                Task.objects.get(code=code),
                Status.IN_PROGRESS,
                office=office_user,
                unit_user=dsj_handler if code.startswith("1") else jxj_handler,
            )
        ins_dsj = services.instruction_issue(
            actor=leader_user, task=Task.objects.get(code="1.2"), text="抓紧", due_date=date(2026, 11, 5)
        )
        ins_jxj = services.instruction_issue(
            actor=leader_user, task=Task.objects.get(code="2.1"), text="抓紧", due_date=date(2026, 11, 5)
        )
    with time_machine.travel(datetime(2026, 11, 4, 9, tzinfo=TZ), tick=False):
        services.instruction_answer(actor=dsj_handler, instruction=ins_dsj, response="已落实")
    with time_machine.travel(datetime(2026, 11, 8, 9, tzinfo=TZ), tick=False):
        services.instruction_answer(actor=jxj_handler, instruction=ins_jxj, response="迟到的回复")
    with time_machine.travel(datetime(2026, 11, 14, 9, tzinfo=TZ), tick=False):
        done = Task.objects.get(code="1.1")
        fire("submit_completion", actor=dsj_handler, task=done)
        fire("approve", actor=office_user, task=done)
        fire("evaluate", actor=office_user, task=done, scores={"overall": 90})

    rows = selectors.unit_ranking(start=date(2026, 11, 1), end=date(2026, 11, 30), today=date(2026, 11, 23))
    by_name = {r.unit_name: r for r in rows}
    dsj_row, jxj_row = by_name["市大数据局"], by_name["市经信局"]
    assert (dsj_row.due_count, dsj_row.closed_on_time, dsj_row.on_time_rate) == (2, 1, 50.0)
    assert (dsj_row.average_score, dsj_row.overdue_count, dsj_row.follow_through_rate) == (90.0, 0, 100.0)
    assert dsj_row.score == 76.0
    assert (jxj_row.due_count, jxj_row.closed_on_time, jxj_row.on_time_rate) == (2, 0, 0.0)
    assert (jxj_row.average_score, jxj_row.overdue_count) == (None, 1)
    assert (jxj_row.instructions_issued, jxj_row.instructions_on_time, jxj_row.follow_through_rate) == (1, 0, 0.0)
    assert jxj_row.score == 35.0
    assert [r.unit_name for r in rows] == ["市大数据局", "市经信局"]


def test_ranking_filters_by_domain(dsj, office_user):
    make_task("1", lead_unit=dsj, domain_code="digital_economy", deadline=date.today() + timedelta(days=1))
    assert (
        selectors.unit_ranking(
            start=date.today(), end=date.today() + timedelta(days=5), domain=Task.objects.get(code="1").domain
        )[0].due_count
        == 1
    )
    from tasks_app.models import Domain

    other = Domain.objects.get(code="digital_law")
    assert selectors.unit_ranking(start=date.today(), end=date.today() + timedelta(days=5), domain=other) == []


def test_ranking_query_count_is_constant(dsj, jxj, django_assert_max_num_queries):
    for i in range(1, 4):
        make_task(str(i), lead_unit=dsj if i % 2 else jxj, deadline=date.today())
    with django_assert_max_num_queries(8):
        selectors.unit_ranking(start=date.today(), end=date.today())
    for i in range(4, 30):
        make_task(str(i), lead_unit=dsj if i % 2 else jxj, deadline=date.today())
    with django_assert_max_num_queries(8):
        selectors.unit_ranking(start=date.today(), end=date.today())
