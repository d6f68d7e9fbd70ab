"""The RAG rules with their exact reasons; worst-child propagation; refresh in the same transaction; nightly job."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from indicators import rag
from indicators import services as indicator_services
from indicators.models import Indicator, Measurement, TrajectoryPoint
from tasks_app import services
from tasks_app.models import Feedback, Instruction, Notice, Task
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.tasks_app.workflow_helpers import drive
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


@pytest.fixture(autouse=True)
def frozen_today():
    with at(date(2026, 11, 23)):
        yield


@pytest.fixture
def make(dsj, office_user, dsj_handler):
    """Create a task in a workflow state, with this period's ten-day report filed unless ``report=False``."""

    def _make(
        code="1",
        *,
        title=None,
        start=date(2026, 11, 1),
        deadline=date(2026, 12, 31),
        state=Status.IN_PROGRESS,
        progress=None,
        report=True,
    ):
        task = make_task(code, lead_unit=dsj, title=title, start_date=start, deadline=deadline)
        drive(task, state, office=office_user, unit_user=dsj_handler)
        if report and state in (Status.IN_PROGRESS, Status.CORRECTING):
            # The last report already due on 23 Nov is the one for 11–20 Nov.
            Feedback.objects.create(
                task=task,
                period_end=date(2026, 11, 20),
                text="本旬进展",
                progress=0,
                unit=dsj,
                submitted_by=dsj_handler,
            )
        if progress is not None:
            Task.objects.filter(pk=task.pk).update(progress=progress)
        rag.refresh_lights([task.pk])  # as the progress and report services would
        task.refresh_from_db()
        return task

    return _make


def light(task: Task) -> tuple[str, str]:
    rag.refresh_lights([task.pk])
    task.refresh_from_db()
    return task.rag, task.rag_reason


def indicator(task, name="掌上可办事项比例", *, unit="%", direction="higher", baseline=0, target=100, **kw):
    return Indicator.objects.create(
        task=task, name=name, unit=unit, direction=direction, baseline_value=baseline, target_value=target, **kw
    )


def measured(ind, *, expected, actual, period_end=date(2026, 10, 31)):
    if expected is not None:
        TrajectoryPoint.objects.create(indicator=ind, period_end=period_end, expected_value=expected)
    Measurement.objects.create(indicator=ind, period_end=period_end, value=actual)


# --- Green and grey --------------------------------------------------------------------------------


def test_green_when_no_rule_fires(make):
    task = make(progress=70)
    assert light(task) == ("green", "")
    assert task.rag_rules == []


@pytest.mark.parametrize("state", [Status.CLOSED, Status.CANCELLED])
def test_closed_and_cancelled_tasks_have_no_light(make, state):
    task = make(start=date(2026, 10, 1), deadline=date(2026, 11, 1), state=state)
    Notice.objects.create(task=task, level=Notice.Level.LISTED, reason="x")
    assert light(task) == ("none", "")


# --- Red rules ------------------------------------------------------------------------------------


def test_red_overdue(make):
    task = make(start=date(2026, 10, 1), deadline=date(2026, 11, 18), progress=80)
    assert light(task) == ("red", "已逾期 5 天（完成时限 2026-11-18），尚未办结")
    assert task.rag_rules == [
        {
            "rule": "overdue",
            "level": "red",
            "reason": "已逾期 5 天（完成时限 2026-11-18），尚未办结",
            "days": 5,
            "deadline": "2026-11-18",
        }
    ]


def test_red_indicator_behind_its_trajectory_by_more_than_the_red_gap(make):
    task = make(progress=50)
    measured(indicator(task), expected=75, actual="52.5")
    assert light(task) == ("red", "指标“掌上可办事项比例”实际 52.5%，低于本期目标 75%（完成度落后 22.5 个百分点）")
    rule = task.rag_rules[0]
    assert (rule["rule"], rule["gap"], rule["achievement"], rule["expected_achievement"]) == (
        "indicator_behind",
        22.5,
        52.5,
        75,
    )


def test_indicator_gap_is_in_points_of_achievement_not_of_the_value(make):
    # From 50% to 90%: the line expects 75 (62.5% of the way), 62 is 30% of the way → 32.5 points behind.
    task = make(progress=50)
    measured(indicator(task, baseline=50, target=90), expected=75, actual=62)
    assert light(task) == ("red", "指标“掌上可办事项比例”实际 62%，低于本期目标 75%（完成度落后 32.5 个百分点）")


def test_red_open_listed_supervision_until_lifted(make, office_user):
    task = make(progress=50)
    notice = services.notice_issue(
        actor=office_user, task=task, level=Notice.Level.LISTED, reason="一体化平台建设严重滞后"
    )
    task.refresh_from_db()  # the service refreshed the light in its own transaction
    assert (task.rag, task.rag_reason) == ("red", "挂牌督办未销号：一体化平台建设严重滞后")
    services.notice_lift(actor=office_user, notice=notice)
    task.refresh_from_db()
    assert (task.rag, task.rag_reason) == ("green", "")


def test_lower_supervision_levels_do_not_turn_a_task_red(make):
    task = make(progress=50)
    Notice.objects.create(task=task, level=Notice.Level.SUPERVISE, reason="进度滞后")
    assert light(task) == ("green", "")


def test_red_instruction_unanswered_past_due(make, leader_user):
    task = make(progress=50)
    with at(date(2026, 11, 10)):
        services.instruction_issue(
            actor=leader_user, task=task, text="请加快推进数据共享平台建设并报送进展", due_date=date(2026, 11, 20)
        )
    assert light(task) == ("red", "批示“请加快推进数据共享平台建设并报送…”逾期 3 天未回复")
    Instruction.objects.filter(task=task).update(state=Instruction.State.ANSWERED)
    assert light(task) == ("green", "")
    Instruction.objects.filter(task=task).update(state=Instruction.State.RETURNED)
    assert light(task)[0] == "red"


# --- Yellow rules -----------------------------------------------------------------------------------


def test_yellow_deadline_within_warn_days(make):
    task = make(start=date(2026, 11, 20), deadline=date(2026, 11, 25), progress=60)
    assert light(task) == ("yellow", "距完成时限还有 2 天，进度 60%")
    Task.objects.filter(pk=task.pk).update(deadline=date(2026, 11, 23))
    assert light(task) == ("yellow", "今天到期，进度 60%")
    Task.objects.filter(pk=task.pk).update(progress=100)
    assert light(task) == ("green", "")


def test_yellow_progress_behind_the_elapsed_time_line(make):
    # 62 of 100 days elapsed: the time line says 62%; 40% done is 22 points behind.
    task = make(start=date(2026, 9, 22), deadline=date(2026, 12, 31), progress=40)
    assert light(task) == ("yellow", "进度 40%，落后时间进度 62% 达 22 个百分点")
    Task.objects.filter(pk=task.pk).update(progress=52)  # exactly 10 points behind is not "more than 10"
    assert light(task) == ("green", "")


def test_yellow_indicator_a_little_behind(make):
    task = make(progress=50)
    measured(indicator(task), expected=75, actual=62)
    assert light(task) == ("yellow", "指标“掌上可办事项比例”实际 62%，低于本期目标 75%（完成度落后 13 个百分点）")


def test_lower_is_better_indicator_behind_reads_higher_than_target(make):
    task = make(progress=50)
    ind = indicator(task, "企业开办平均用时", unit="天", direction="lower", baseline=20, target=10)
    measured(ind, expected=15, actual="16.5")
    assert light(task) == ("yellow", "指标“企业开办平均用时”实际 16.5 天，高于本期目标 15 天（完成度落后 15 个百分点）")


@pytest.mark.parametrize(
    ("actual", "expected_light"), [(55, "green"), (45, "green"), (44, "yellow"), (35, "yellow"), (34, "red")]
)
def test_indicator_gaps_must_exceed_the_thresholds(make, actual, expected_light):
    task = make(progress=50)
    measured(indicator(task), expected=55, actual=actual)  # 0–100 line: the gap is 55 − actual points
    assert light(task)[0] == expected_light


def test_indicator_without_trajectory_point_is_compared_with_the_straight_line(make):
    task = make(progress=50)
    ind = indicator(task, baseline_date=date(2025, 12, 31), target_date=date(2026, 12, 31))
    measured(ind, expected=None, actual=50)  # the line gives 83.29% at 31 Oct
    assert light(task) == ("red", "指标“掌上可办事项比例”实际 50%，低于本期目标 83.29%（完成度落后 33.3 个百分点）")


def test_the_latest_measurement_counts(make):
    task = make(progress=50)
    ind = indicator(task)
    measured(ind, expected=50, actual=20, period_end=date(2026, 9, 30))
    measured(ind, expected=75, actual=75)
    assert light(task) == ("green", "")


def test_yellow_ten_day_report_missed(make):
    task = make(progress=50, report=False)
    assert light(task) == ("yellow", "2026年11月中旬旬报未报送")
    assert task.rag_rules[0]["period_end"] == "2026-11-20"


def test_ten_day_report_is_not_missed_on_its_due_day_nor_before_the_task_started(make):
    with at(date(2026, 11, 21)):  # the report for 11–20 Nov is due today; 1–10 Nov was before the start
        task = make(start=date(2026, 11, 11), progress=50, report=False)
        assert light(task) == ("green", "")
    assert light(task) == ("yellow", "2026年11月中旬旬报未报送")


def test_ten_day_report_is_only_owed_by_items_in_progress_or_in_correction(make):
    assigned = make("1", state=Status.ASSIGNED, progress=50, report=False)
    review = make("2", state=Status.UNDER_REVIEW, progress=50, report=False)
    correcting = make("3", state=Status.CORRECTING, progress=50, report=False)
    parent = make("4", start=None, progress=50, report=False)
    make("4.1", progress=50)
    assert light(assigned) == ("green", "")
    assert light(review) == ("green", "")
    assert light(correcting) == ("yellow", "2026年11月中旬旬报未报送")
    assert light(parent) == ("green", "")  # a parent rolls up its items' reports and owes none itself


def test_ten_day_report_due_days_follow_the_rhythm_setting(make, settings):
    settings.TENDAY_DUE_DAYS = (3, 13, 23)  # the report for 11–20 Nov is due today, 23 Nov
    task = make(progress=50)
    assert light(task) == ("yellow", "2026年11月上旬旬报未报送")


def test_most_serious_rule_gives_the_reason_and_every_fired_rule_is_listed(make, office_user):
    task = make(start=date(2026, 10, 1), deadline=date(2026, 11, 18), progress=10, report=False)
    services.notice_issue(actor=office_user, task=task, level=Notice.Level.LISTED, reason="严重滞后")
    measured(indicator(task), expected=75, actual=62)
    assert light(task) == ("red", "已逾期 5 天（完成时限 2026-11-18），尚未办结")
    assert [(r["rule"], r["level"]) for r in task.rag_rules] == [
        ("overdue", "red"),
        ("listed_supervision", "red"),
        ("indicator_behind", "yellow"),
        ("report_missed", "yellow"),
    ]


# --- Parents ---------------------------------------------------------------------------------------


def test_parent_shows_its_worst_child_and_names_it(make):
    parent = make("2", title="一体化智能化公共数据平台", progress=50)
    make("2.1", progress=60)
    late = make("2.2", title="建设一体化数据平台", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    parent.refresh_from_db()  # the services refreshed the chain as the children changed
    assert (parent.rag, parent.rag_reason) == (
        "red",
        "下级事项 2.2“建设一体化数据平台”：已逾期 5 天（完成时限 2026-11-18），尚未办结",
    )
    assert parent.rag_rules[0]["child"]["code"] == late.code


def test_grandparent_names_the_item_the_problem_comes_from(make, office_user):
    root = make("3", progress=50)
    make("3.1", progress=50)
    leaf = make("3.1.2", title="公共数据归集", progress=50)
    services.notice_issue(actor=office_user, task=leaf, level=Notice.Level.LISTED, reason="数据归集迟迟未启动")
    root.refresh_from_db()
    assert (root.rag, root.rag_reason) == ("red", "下级事项 3.1.2“公共数据归集”：挂牌督办未销号：数据归集迟迟未启动")


def test_parent_keeps_its_own_reason_on_a_tie_and_lists_the_child(make):
    parent = make("4", start=date(2026, 10, 1), deadline=date(2026, 11, 20), progress=50)
    make("4.1", title="子项", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    assert light(parent) == ("red", "已逾期 3 天（完成时限 2026-11-20），尚未办结")
    assert [r["rule"] for r in parent.rag_rules] == ["overdue", "child"]
    assert parent.rag_rules[1]["reason"] == "下级事项 4.1“子项”：已逾期 5 天（完成时限 2026-11-18），尚未办结"


def test_equally_bad_children_name_the_first_in_list_order_whichever_path_computes_it(make):
    parent = make("5", progress=50)
    make("5.10", title="第十项", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    make("5.9", title="第九项", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    assert light(parent)[1].startswith("下级事项 5.9“第九项”")
    assert rag.recompute_all()["changed"] == 0


def test_refreshing_a_parent_alone_keeps_its_worst_child(make, office_user):
    parent = make("6", progress=50)
    make("6.1", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    services.notice_issue(actor=office_user, task=parent, level=Notice.Level.REMIND, reason="请加快")
    parent.refresh_from_db()
    assert parent.rag == "red" and parent.rag_reason.startswith("下级事项 6.1")


def test_a_cancelled_child_never_darkens_its_parent(make):
    parent = make("7", start=None, progress=50)  # no start date: a parent's rolled-up progress is not judged
    make("7.1", start=date(2026, 10, 1), deadline=date(2026, 11, 18), state=Status.CANCELLED)
    assert light(parent) == ("green", "")  # a cancelled child is grey and never worse


# --- Recompute after a change, in the same transaction -------------------------------------------------


def test_a_measurement_recomputes_task_and_ancestors_in_the_same_transaction(make, dsj_handler):
    parent = make("8", start=None, progress=50)
    task = make("8.1", title="掌上办事", progress=50)
    ind = indicator(task)
    TrajectoryPoint.objects.create(indicator=ind, period_end=date(2026, 10, 31), expected_value=75)
    with transaction.atomic():
        indicator_services.measurement_record(actor=dsj_handler, indicator=ind, period_end=date(2026, 10, 31), value=50)
        # Still inside the transaction that recorded the value: the task and its parent already show it.
        assert Task.objects.get(pk=task.pk).rag == "red"
        assert Task.objects.get(pk=parent.pk).rag_reason == (
            "下级事项 8.1“掌上办事”：指标“掌上可办事项比例”实际 50%，低于本期目标 75%（完成度落后 25 个百分点）"
        )
        transaction.set_rollback(True)
    # Rolled back with the value: nothing of it remains.
    assert (Task.objects.get(pk=task.pk).rag, Task.objects.get(pk=parent.pk).rag) == ("green", "green")
    indicator_services.measurement_record(actor=dsj_handler, indicator=ind, period_end=date(2026, 10, 31), value=70)
    assert Task.objects.get(pk=task.pk).rag == "green"


def test_light_changes_leave_no_trace_entry_of_their_own(make, dsj_handler):
    task = make(progress=50)
    ind = indicator(task)
    TrajectoryPoint.objects.create(indicator=ind, period_end=date(2026, 10, 31), expected_value=75)
    before = TraceEntry.objects.count()
    indicator_services.measurement_record(actor=dsj_handler, indicator=ind, period_end=date(2026, 10, 31), value=40)
    assert Task.objects.get(pk=task.pk).rag == "red"
    assert list(TraceEntry.objects.filter(seq__gt=before).values_list("action", flat=True)) == ["indicator.measure"]


# --- The nightly job ---------------------------------------------------------------------------------


def test_nightly_job_twice_changes_nothing_the_second_time(make):
    from indicators.tasks import recompute_lights_nightly

    make("1", progress=50)
    make("1.1", start=date(2026, 10, 1), deadline=date(2026, 12, 1), progress=50)
    make("1.2", progress=50)
    make("2", start=date(2026, 10, 1), deadline=date(2026, 11, 30), progress=90)
    assert rag.recompute_all()["changed"] == 0  # the services left every light as the job computes it
    with at(date(2026, 12, 5), hour=1):  # time passes: deadlines and report due dates go by
        first = recompute_lights_nightly.delay().get()
        snapshot = list(Task.objects.order_by("pk").values_list("rag", "rag_reason", "rag_rules"))
        second = recompute_lights_nightly.delay().get()
    assert first["changed"] == 4
    assert second == {"tasks": 4, "changed": 0, "red": 3, "yellow": 1, "green": 0, "none": 0}
    assert list(Task.objects.order_by("pk").values_list("rag", "rag_reason", "rag_rules")) == snapshot
    assert Task.objects.get(code="1.1").rag_reason == "已逾期 4 天（完成时限 2026-12-01），尚未办结"
    assert (
        Task.objects.get(code="1").rag_reason
        == "下级事项 1.1“测试任务1.1”：已逾期 4 天（完成时限 2026-12-01），尚未办结"
    )


def test_recompute_lights_command(make, capsys):
    make("1", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    Task.objects.update(rag="green", rag_reason="", rag_rules=[])
    call_command("recompute_lights")
    assert (
        capsys.readouterr().out.strip()
        == "已重新计算 1 项任务的亮灯，其中 1 项发生变化；红灯 1，黄灯 0，绿灯 0，无灯 0"
    )
    assert Task.objects.get().rag == "red"


def test_recompute_in_small_chunks_gives_the_same_lights(make):
    for code in ("1", "1.1", "1.2", "1.2.1", "1.2.2", "2", "2.1"):
        make(code, start=None, progress=50, report=code != "1.2.2")
    make("1.3", start=date(2026, 10, 1), deadline=date(2026, 11, 18))
    expected = list(Task.objects.order_by("pk").values_list("rag", "rag_reason", "rag_rules"))
    Task.objects.update(rag="green", rag_reason="", rag_rules=[])
    assert rag.recompute_all(chunk_size=2)["changed"] == 4
    assert list(Task.objects.order_by("pk").values_list("rag", "rag_reason", "rag_rules")) == expected


# --- Query counts --------------------------------------------------------------------------------------


def _programme(dsj, size):
    """A three-level tree whose every item carries a listed notice, an overdue instruction and an indicator."""
    make_task("9", lead_unit=dsj)
    make_task("9.1", lead_unit=dsj)
    items = [make_task(f"9.1.{i}", lead_unit=dsj, deadline=date(2026, 11, 18)) for i in range(1, size + 1)]
    for item in items:
        Notice.objects.create(task=item, level=Notice.Level.LISTED, reason="挂牌")
        ind = indicator(item)
        measured(ind, expected=75, actual=50)
    return items


@pytest.mark.parametrize("size", [5, 40])
def test_refresh_lights_query_count_does_not_grow(dsj, size, django_assert_max_num_queries):
    items = _programme(dsj, size)
    Task.objects.update(rag="green", rag_reason="", rag_rules=[])
    with django_assert_max_num_queries(6):  # tasks, ancestors, worst other children, 2 × facts, 1 write
        written = rag.refresh_lights([items[0].pk, items[-1].pk])
    assert written == 4
    with django_assert_max_num_queries(6):
        rag.refresh_lights([i.pk for i in items])


@pytest.mark.parametrize("size", [5, 40])
def test_recompute_all_query_count_does_not_grow(dsj, size, django_assert_max_num_queries):
    _programme(dsj, size)
    Task.objects.update(rag="green", rag_reason="", rag_rules=[])
    # 1 (depths) + per depth: 1 chunk of tasks, 2 × facts, 1 write.
    with django_assert_max_num_queries(13):
        result = rag.recompute_all()
    assert result["changed"] == size + 2
    with CaptureQueriesContext(transaction.get_connection()) as again:
        assert rag.recompute_all()["changed"] == 0
    assert len(again) == 10  # nothing to write
