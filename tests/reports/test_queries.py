"""Gathering a report's data costs a fixed number of queries, whatever the size of the programme."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reform.periods import period_of
from reports import builders, services
from reports.params import parse_scope
from tasks_app import services as task_services
from tasks_app.selectors.programmes import default_programme
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.tasks_app.workflow_helpers import drive

pytestmark = pytest.mark.django_db


def grow(count: int, units, office, handlers, leader) -> None:
    """Add ``count`` items under a new major task, spread over the units, with notices and instructions."""
    major = make_task(None, lead_unit=units[0], deadline=date(2027, 6, 30))
    for i in range(count):
        unit = units[i % len(units)]
        task = make_task(f"{major.code}.{i + 1}", lead_unit=unit, deadline=date(2026, 11, 1 + i % 20))
        drive(task, Status.IN_PROGRESS, office=office, unit_user=handlers[unit.pk])
        task_services.notice_issue(actor=office, task=task, level=1 + i % 4, reason=f"第{i}项督办")
        task_services.instruction_issue(actor=leader, task=task, text=f"批示{i}", due_date=date(2026, 11, 30))
        task_services.feedback_submit(
            actor=handlers[unit.pk], task=task, text="进展", progress=10, period_end=date(2026, 11, 10)
        )


def count_queries(spec: builders.Spec) -> int:
    with CaptureQueriesContext(connection) as ctx:
        builders.gather(spec)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("kind", ["bulletin", "tenday", "monthly"])
def test_gathering_is_constant_in_the_number_of_items(
    kind, frozen, dsj, jxj, office_user, leader_user, dsj_handler, jxj_handler
):
    handlers = {dsj.pk: dsj_handler, jxj.pk: jxj_handler}
    period = {"tenday": "2026-11-2", "monthly": "2026-11"}.get(kind, "2026-11-3")
    report = services.queue_report(actor=None, kind=kind, scope="programme", period=period, schedule=False)
    spec = services.spec_for(report)

    grow(3, [dsj, jxj], office_user, handlers, leader_user)
    small = count_queries(spec)
    grow(24, [dsj, jxj], office_user, handlers, leader_user)
    large = count_queries(spec)

    assert large == small, f"{kind}: {small} queries for 3 items, {large} for 27"
    assert small <= 40


def test_a_dossier_is_constant_in_the_size_of_the_task_history(frozen, dsj, office_user, leader_user, dsj_handler):
    task = make_task("1", lead_unit=dsj, deadline=date(2027, 6, 30))
    drive(task, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    spec = builders.Spec(
        "dossier",
        parse_scope("task:1", default_programme()),
        period_of(date(2026, 11, 23)),
        2026,
        1,
        date(2026, 11, 23),
    )
    small = count_queries(spec)
    for i in range(10):
        task_services.instruction_issue(actor=leader_user, task=task, text=f"批示{i}", due_date=date(2026, 11, 30))
        task_services.notice_issue(actor=office_user, task=task, level=2, reason=f"催办{i}")
    assert count_queries(spec) == small


@pytest.mark.parametrize("count", [2, 20])
def test_the_report_list_page_is_constant_in_the_number_of_reports(
    count, client, frozen, dsj, office_user, django_assert_max_num_queries
):
    make_task("1", lead_unit=dsj, deadline=date(2027, 6, 30))
    for _ in range(count):
        report = services.queue_report(actor=office_user, kind="bulletin", scope="programme", schedule=False)
        services.report_build(report.pk)
    client.force_login(office_user)
    with django_assert_max_num_queries(12):
        response = client.get("/reports/")
    assert response.content.decode().count("/download/") == count
