"""Ten-day report reminders, missed-report records and deadline warnings, on a frozen clock."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from rhythm import services as rhythm
from rhythm.models import MissedReport
from tasks_app import services
from tasks_app.models import Notice, Notification
from tests.factories import make_task
from trail.models import TraceEntry

from .conftest import on_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def later_item(item):
    """Work starts on 1 November; the deadline is far away, so only the ten-day rhythm acts on it."""
    item.start_date = date(2026, 11, 1)
    item.deadline = date(2027, 6, 30)
    item.save(update_fields=["start_date", "deadline"])
    return item


def _report(task, user, period_end: date) -> None:
    services.feedback_submit(actor=user, task=task, text="完成需求调研", progress=30, period_end=period_end)


def test_handlers_are_reminded_before_the_due_date_once_per_period(
    later_item, handler, dsj_admin, jxj_handler, django_capture_on_commit_callbacks
):
    with on_day(date(2026, 11, 8)):
        assert rhythm.remind_tenday_reports() == 0  # three days before the 11th: not yet
    with on_day(date(2026, 11, 9)):
        assert rhythm.remind_tenday_reports() == 2  # the handler and the unit admin

    reminder = Notification.objects.get(recipient=handler, kind="report.due")
    assert reminder.title == "旬报即将到期：1 一网通办事项梳理"
    assert (
        reminder.body
        == "2026年11月上旬旬报将于2 天后（2026年11月11日）到期，截至2026年11月9日尚未报送，请及时报送工作进展。"
    )
    assert [m.to for m in mail.outbox] == [["clerk@dsj.example.gov.cn"]]
    assert mail.outbox[0].subject == "旬报即将到期：1 一网通办事项梳理"
    assert not Notification.objects.filter(recipient=jxj_handler).exists()

    for day in (9, 10, 11):
        with on_day(date(2026, 11, day)):
            assert rhythm.remind_tenday_reports() == 0  # once per period
    assert len(mail.outbox) == 1


def test_units_that_reported_are_not_reminded(later_item, handler):
    with on_day(date(2026, 11, 9)):
        _report(later_item, handler, date(2026, 11, 10))
        assert rhythm.remind_tenday_reports() == 0
    assert not Notification.objects.filter(kind="report.due").exists()


def test_a_missed_report_is_recorded_once_traced_once_and_told_to_the_unit(
    later_item, handler, django_capture_on_commit_callbacks
):
    with on_day(date(2026, 11, 11)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.record_missed_reports() == 0  # due today: not missed yet
    with on_day(date(2026, 11, 12)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.record_missed_reports() == 1
        assert rhythm.record_missed_reports() == 0
    with on_day(date(2026, 11, 13)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.record_missed_reports() == 0

    missed = MissedReport.objects.get()
    assert (missed.task, missed.period_end, missed.due_date, missed.unit.name) == (
        later_item,
        date(2026, 11, 10),
        date(2026, 11, 11),
        "市大数据局",
    )
    entry = TraceEntry.objects.get(action="report.missed")
    assert entry.task_id == later_item.pk and entry.actor_name == "系统"
    assert entry.payload["reason"] == "2026年11月上旬旬报应于2026年11月11日前报送，逾期未报送"
    told = Notification.objects.get(recipient=handler, kind="report.missed")
    assert told.title == "旬报未按时报送：1 一网通办事项梳理"


def test_a_missed_report_climbs_the_ladder_until_the_late_report_arrives(
    later_item, handler, django_capture_on_commit_callbacks
):
    with on_day(date(2026, 11, 12)), django_capture_on_commit_callbacks(execute=True):
        rhythm.record_missed_reports()
        assert rhythm.escalate() == {"提醒": 1}
    notice = Notice.objects.get()
    assert notice.source == Notice.Source.REPORT
    assert notice.reason.startswith(
        "“1 一网通办事项梳理”2026年11月上旬旬报应于2026年11月11日前报送，尚未报送，已逾期 1 天"
    )
    with on_day(date(2026, 11, 13)), django_capture_on_commit_callbacks(execute=True):
        _report(later_item, handler, date(2026, 11, 10))
    with on_day(date(2026, 11, 15)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {}
    assert Notice.objects.count() == 1


def test_items_not_being_worked_on_owe_no_report(dsj, office_user, django_capture_on_commit_callbacks):
    with on_day(date(2026, 9, 1)):
        make_task("2", lead_unit=dsj, deadline=date(2027, 6, 30))  # a draft
    with on_day(date(2026, 11, 12)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.record_missed_reports() == 0


def test_deadline_warnings_go_out_n_days_before_once_per_deadline(
    item, handler, office_user, django_capture_on_commit_callbacks
):
    with on_day(date(2026, 11, 6)):
        assert rhythm.warn_deadlines() == 0
    with on_day(date(2026, 11, 7)):
        assert rhythm.warn_deadlines() == 1  # the unit's one user
    warning = Notification.objects.filter(kind="deadline.warning", recipient=handler).get()
    assert warning.title == "任务临近完成时限：1 一网通办事项梳理"
    assert warning.body == "“1 一网通办事项梳理”距完成时限（2026年11月10日）还有 3 天，当前进度 0%，请抓紧推进。"
    for day in (8, 9, 10):
        with on_day(date(2026, 11, day)):
            assert rhythm.warn_deadlines() == 0

    with on_day(date(2026, 11, 10)), django_capture_on_commit_callbacks(execute=True):
        request = services.extension_request(
            actor=handler, task=item, requested_deadline=date(2026, 11, 30), reason="等待省级接口"
        )
        services.extension_decide(actor=office_user, request=request, approve=True)
    with on_day(date(2026, 11, 27)):
        assert rhythm.warn_deadlines() > 0  # the new deadline warns again
