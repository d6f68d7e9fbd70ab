"""The escalation ladder 提醒 → 催办 → 督办 → 挂牌督办 on a frozen clock: day 0, 3, 7 and 15, nothing between."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reform.errors import InvalidTransition
from rhythm import services as rhythm
from tasks_app import services
from tasks_app.models import Notice, Notification
from tasks_app.workflow import Status
from tests.tasks_app.workflow_helpers import fire
from trail.models import TraceEntry

from .conftest import DEADLINE, days, on_day

pytestmark = pytest.mark.django_db


def _levels(**filters) -> list[str]:
    return [n.get_level_display() for n in Notice.objects.filter(**filters).order_by("level")]


def run_ladder(start: date, end: date, capture) -> dict[date, list[str]]:
    """Run the escalation job once a day from ``start`` to ``end``; return the new notices per day."""
    issued: dict[date, list[str]] = {}
    for day in days(start, end):
        before = set(Notice.objects.values_list("pk", flat=True))
        with on_day(day), capture(execute=True):
            rhythm.escalate()
        new = Notice.objects.exclude(pk__in=before).order_by("level")
        if new:
            issued[day] = [n.get_level_display() for n in new]
    return issued


def test_an_overdue_item_climbs_the_ladder_on_days_0_3_7_15_and_nothing_between(
    item, handler, dsj_admin, leader_user, django_capture_on_commit_callbacks
):
    first_overdue = DEADLINE + timedelta(days=1)

    issued = run_ladder(
        DEADLINE - timedelta(days=2), first_overdue + timedelta(days=25), django_capture_on_commit_callbacks
    )

    assert issued == {
        first_overdue: ["提醒"],
        first_overdue + timedelta(days=3): ["催办"],
        first_overdue + timedelta(days=7): ["督办"],
        first_overdue + timedelta(days=15): ["挂牌督办"],
    }
    remind = Notice.objects.get(level=Notice.Level.REMIND)
    assert remind.reason == (
        "“1 一网通办事项梳理”完成时限为2026年11月10日，当前进度 0%，尚未办结，已逾期 1 天，予以提醒。"
        "请于2026年11月14日前办理，逾期将升级督办。"
    )
    assert remind.source == Notice.Source.OVERDUE and remind.issued_by is None
    assert remind.deadline == date(2026, 11, 14)
    listed = Notice.objects.get(level=Notice.Level.LISTED)
    assert "已逾期 16 天，予以挂牌督办。挂牌督办须经督查室销号。" in listed.reason and listed.deadline is None
    assert TraceEntry.objects.filter(action="notice.issue", actor__isnull=True).count() == 4


def test_the_unit_hears_every_step_and_its_leadership_from_supervise_on(
    item, handler, dsj_admin, leader_user, jxj_handler, django_capture_on_commit_callbacks
):
    first_overdue = DEADLINE + timedelta(days=1)
    run_ladder(first_overdue, first_overdue + timedelta(days=3), django_capture_on_commit_callbacks)

    unit_titles = list(
        Notification.objects.filter(recipient=handler, kind="notice.issue").values_list("title", flat=True)
    )
    assert unit_titles == ["收到督办通知：1 一网通办事项梳理"] * 2
    assert not Notification.objects.filter(kind="notice.escalate").exists()

    run_ladder(first_overdue + timedelta(days=4), first_overdue + timedelta(days=7), django_capture_on_commit_callbacks)

    escalated = Notification.objects.filter(kind="notice.escalate")
    assert sorted(escalated.values_list("recipient__username", flat=True)) == ["dsj_admin", "leader"]
    assert escalated.first().title == "督办：市大数据局 · 1 一网通办事项梳理"
    assert not Notification.objects.filter(recipient=jxj_handler).exists()


def test_a_supervise_notice_and_its_leadership_notifications_commit_together(item, leader_user, monkeypatch):
    """A run that dies while telling the leadership leaves no 督办 behind for the rerun to skip silently."""

    def dies(*args, **kwargs):
        raise RuntimeError("worker killed while notifying")

    monkeypatch.setattr(rhythm, "notify_users", dies)
    with on_day(DEADLINE + timedelta(days=9)), pytest.raises(RuntimeError):
        rhythm.escalate()
    assert _levels() == [] and not TraceEntry.objects.filter(action="notice.issue").exists()

    monkeypatch.undo()
    with on_day(DEADLINE + timedelta(days=9)):
        assert rhythm.escalate() == {"督办": 1}
    assert Notification.objects.filter(kind="notice.escalate", recipient=leader_user).count() == 1


def test_a_job_that_was_down_issues_only_the_level_reached(item, django_capture_on_commit_callbacks):
    with on_day(DEADLINE + timedelta(days=9)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {"督办": 1}
    assert _levels() == ["督办"]


def test_the_ladder_stops_when_the_item_is_submitted_or_closed(
    item, handler, office_user, django_capture_on_commit_callbacks
):
    with on_day(DEADLINE + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        rhythm.escalate()
        fire("submit_completion", actor=handler, task=item)
    with on_day(DEADLINE + timedelta(days=4)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {}
    assert _levels() == ["提醒"]


def test_an_extended_deadline_starts_a_new_ladder(item, handler, office_user, django_capture_on_commit_callbacks):
    with on_day(DEADLINE + timedelta(days=1)), django_capture_on_commit_callbacks(execute=True):
        rhythm.escalate()
        request = services.extension_request(
            actor=handler, task=item, requested_deadline=date(2026, 11, 30), reason="系统联调需要更多时间"
        )
        services.extension_decide(actor=office_user, request=request, approve=True)
    with on_day(date(2026, 12, 1)), django_capture_on_commit_callbacks(execute=True):
        rhythm.escalate()
    assert _levels() == ["提醒", "提醒"]
    assert "完成时限为2026年11月30日" in Notice.objects.order_by("-pk").first().reason


def test_an_unanswered_instruction_climbs_until_it_is_answered(
    item, leader_user, handler, django_capture_on_commit_callbacks
):
    with on_day(date(2026, 11, 1)):
        instruction = services.instruction_issue(
            actor=leader_user, task=item, text="请于11月5日前报送推进方案", due_date=date(2026, 11, 5)
        )
    with on_day(date(2026, 11, 5)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {}
    with on_day(date(2026, 11, 6)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {"提醒": 1}
    notice = Notice.objects.get()
    assert notice.source == Notice.Source.INSTRUCTION
    assert notice.reason.startswith(
        "领导批示“请于11月5日前报送推进方案”要求于2026年11月5日前回复，尚未回复，已逾期 1 天"
    )
    with on_day(date(2026, 11, 7)):
        services.instruction_answer(actor=handler, instruction=instruction, response="方案已报送")
    with on_day(date(2026, 11, 9)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {}


def test_listed_supervision_stays_open_until_the_office_lifts_it(
    item, office_user, handler, django_capture_on_commit_callbacks
):
    with on_day(DEADLINE + timedelta(days=16)), django_capture_on_commit_callbacks(execute=True):
        rhythm.escalate()
    listed = Notice.objects.get(level=Notice.Level.LISTED)
    with on_day(DEADLINE + timedelta(days=40)), django_capture_on_commit_callbacks(execute=True):
        assert rhythm.escalate() == {}
    listed.refresh_from_db()
    assert listed.state == Notice.State.OPEN
    with on_day(DEADLINE + timedelta(days=41)):
        services.notice_lift(actor=office_user, notice=listed, comment="已完成整改")
        with pytest.raises(InvalidTransition):
            services.notice_lift(actor=office_user, notice=listed)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
