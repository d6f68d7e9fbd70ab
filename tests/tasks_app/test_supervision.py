"""Supervision objects: instructions, notices, feedback, problems, extensions — each traced once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from indicators.models import Indicator, Measurement
from reform.errors import ConflictError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from tasks_app import services
from tasks_app.models import ExtensionRequest, Instruction, Notice, ProblemReport, Task
from tasks_app.workflow import Status
from tests.factories import make_task
from trail.models import TraceEntry

from .workflow_helpers import drive

pytestmark = pytest.mark.django_db


def _count(action: str) -> int:
    return TraceEntry.objects.filter(action=action).count()


@pytest.fixture
def task(dsj, jxj, office_user, dsj_handler):
    t = make_task("1", lead_unit=dsj, cooperating_units=(jxj,), deadline=date.today() + timedelta(days=30))
    return drive(t, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)


def test_instruction_lifecycle(task, leader_user, dsj_handler, office_user):
    due = timezone.localdate() + timedelta(days=5)
    ins = services.instruction_issue(actor=leader_user, task=task, text="加快推进，月底前见成效", due_date=due)
    assert list(ins.target_units.values_list("name", flat=True)) == ["市大数据局"]
    services.instruction_answer(actor=dsj_handler, instruction=ins, response="已部署专班推进")
    services.instruction_review(actor=office_user, instruction=ins, approve=False, comment="请补充时间表")
    ins.refresh_from_db()
    assert ins.state == Instruction.State.RETURNED and ins.review_comment == "请补充时间表"
    services.instruction_answer(actor=dsj_handler, instruction=ins, response="时间表：11月底上线")
    services.instruction_review(actor=leader_user, instruction=ins, approve=True)
    ins.refresh_from_db()
    assert ins.state == Instruction.State.APPROVED
    assert [
        _count(a) for a in ("instruction.issue", "instruction.answer", "instruction.return", "instruction.approve")
    ] == [1, 2, 1, 1]


def test_only_leaders_instruct_and_only_target_units_answer(task, office_user, leader_user, jxj_handler):
    with pytest.raises(PermissionDenied, match="您的角色无权作出批示"):
        services.instruction_issue(actor=office_user, task=task, text="x", due_date=timezone.localdate())
    ins = services.instruction_issue(actor=leader_user, task=task, text="抓紧", due_date=timezone.localdate())
    with pytest.raises(PermissionDenied, match="只有承办单位可以回复该批示"):
        services.instruction_answer(actor=jxj_handler, instruction=ins, response="收到")


def test_notice_levels_and_listed_supervision_lift(task, office_user, leader_user, dsj_handler):
    for level in Notice.Level:
        services.notice_issue(actor=office_user, task=task, level=level, reason=f"{level.label}：进度滞后")
    listed = Notice.objects.get(level=Notice.Level.LISTED)
    assert listed.state == Notice.State.OPEN
    with pytest.raises(PermissionDenied):
        services.notice_lift(actor=dsj_handler, notice=listed)
    with pytest.raises(PermissionDenied):
        services.notice_lift(actor=leader_user, notice=listed)
    services.notice_lift(actor=office_user, notice=listed, comment="已整改到位")
    listed.refresh_from_db()
    assert listed.state == Notice.State.LIFTED and listed.lifted_by == office_user
    assert _count("notice.issue") == 4 and _count("notice.lift") == 1


def test_notice_dedupe_key_makes_the_job_idempotent(task):
    a = services.notice_issue(actor=None, task=task, level=2, reason="逾期", source="overdue", dedupe_key="k1")
    b = services.notice_issue(actor=None, task=task, level=2, reason="逾期", source="overdue", dedupe_key="k1")
    assert a.pk == b.pk and Notice.objects.count() == 1 and _count("notice.issue") == 1


def test_ten_day_report_updates_progress_and_indicators_not_state(task, dsj_handler):
    indicator = Indicator.objects.create(
        task=task, name="掌上可办事项比例", unit="%", baseline_value=50, target_value=90
    )
    with time_machine.travel(date(2026, 11, 21)):
        fb = services.feedback_submit(
            actor=dsj_handler,
            task=task,
            text="完成接口改造",
            progress=60,
            period_end=date(2026, 11, 20),
            indicator_values={indicator.pk: "72.5"},
        )
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS and task.progress == Decimal("60")
    assert fb.period_end == date(2026, 11, 20) and fb.on_time
    assert Measurement.objects.get(indicator=indicator).value == Decimal("72.5")
    entry = TraceEntry.objects.get(action="feedback.submit")
    assert entry.payload["progress"] == ["0.00", "60"] and entry.payload["indicator_values"] == {
        "掌上可办事项比例": "72.5"
    }


@pytest.mark.parametrize(("due_days", "submitted", "on_time"), [((1, 11, 21), 12, False), ((3, 13, 23), 12, True)])
def test_on_time_follows_the_configured_due_days(task, dsj_handler, settings, due_days, submitted, on_time):
    """The 旬报 flag uses the same due day as the reminders and the missed-report job (TENDAY_DUE_DAYS)."""
    settings.TENDAY_DUE_DAYS = due_days
    with time_machine.travel(date(2026, 11, submitted)):
        fb = services.feedback_submit(
            actor=dsj_handler, task=task, text="按期报送", progress=10, period_end=date(2026, 11, 10)
        )
    assert fb.on_time is on_time


def test_late_ten_day_report_is_marked_late(task, dsj_handler):
    with time_machine.travel(date(2026, 11, 25)):
        fb = services.feedback_submit(
            actor=dsj_handler, task=task, text="补报", progress=10, period_end=date(2026, 11, 10)
        )
    assert not fb.on_time


def test_cooperating_unit_feedback_is_recorded_without_moving_progress(task, jxj_handler):
    services.feedback_submit(actor=jxj_handler, task=task, text="配合完成数据共享", progress=80)
    task.refresh_from_db()
    assert task.progress == 0
    assert TraceEntry.objects.get(action="feedback.submit").payload["unit"] == "市经信局"


def test_bad_feedback_saves_nothing(task, dsj_handler):
    indicator = Indicator.objects.create(task=task, name="覆盖率", baseline_value=0, target_value=100)
    with pytest.raises(ValidationError, match="进度应在 0 到 100 之间"):
        services.feedback_submit(actor=dsj_handler, task=task, text="x", progress=120)
    with pytest.raises(ValidationError) as err:
        services.feedback_submit(
            actor=dsj_handler, task=task, text="x", progress=50, indicator_values={indicator.pk: "很多"}
        )
    assert err.value.fields == {f"indicator_{indicator.pk}": ["“覆盖率”必须是数字"]}
    assert not Measurement.objects.exists() and _count("feedback.submit") == 0
    task.refresh_from_db()
    assert task.progress == 0


def test_feedback_refused_for_draft_and_outsiders(dsj, office_user, dsj_handler, city):
    from tests.factories import Role, make_unit, make_user

    draft = make_task("2", lead_unit=dsj)
    with pytest.raises(InvalidTransition, match="任务当前状态为“草稿”，不能报送进度"):
        services.feedback_submit(actor=dsj_handler, task=draft, text="x", progress=1)
    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city))
    with pytest.raises(NotFound):
        services.feedback_submit(actor=outsider, task=draft, text="x", progress=1)


def test_problem_report_and_answer(task, jxj_handler, office_user):
    problem = services.problem_report(actor=jxj_handler, task=task, text="数据接口权限未开通")
    services.problem_answer(actor=office_user, problem=problem, response="已协调市大数据局开通", resolve=True)
    problem.refresh_from_db()
    assert problem.state == ProblemReport.State.RESOLVED
    with pytest.raises(InvalidTransition, match="该问题已办结"):
        services.problem_answer(actor=office_user, problem=problem, response="再次答复")


def test_extension_approved_moves_deadline_and_traces_old_and_new(task, dsj_admin, office_user):
    old = task.deadline
    new = old + timedelta(days=30)
    req = services.extension_request(actor=dsj_admin, task=task, requested_deadline=new, reason="设备到货延迟")
    with pytest.raises(ConflictError, match="已有待审批的延期申请"):
        services.extension_request(actor=dsj_admin, task=task, requested_deadline=new, reason="再次申请")
    services.extension_decide(actor=office_user, request=req, approve=True, comment="同意")
    task.refresh_from_db()
    assert task.deadline == new
    entry = TraceEntry.objects.get(action="extension.approve")
    assert entry.payload["deadline"] == [old.isoformat(), new.isoformat()]


def test_extension_rejected_keeps_deadline_and_needs_reason(task, dsj_admin, office_user, jxj_handler):
    with pytest.raises(PermissionDenied, match="只有牵头单位可以申请延期"):
        services.extension_request(
            actor=jxj_handler, task=task, requested_deadline=task.deadline + timedelta(1), reason="x"
        )
    with pytest.raises(ValidationError, match="必须晚于现有完成时限"):
        services.extension_request(actor=dsj_admin, task=task, requested_deadline=task.deadline, reason="x")
    req = services.extension_request(
        actor=dsj_admin, task=task, requested_deadline=task.deadline + timedelta(9), reason="人手不足"
    )
    with pytest.raises(ValidationError, match="请填写驳回理由"):
        services.extension_decide(actor=office_user, request=req, approve=False)
    services.extension_decide(actor=office_user, request=req, approve=False, comment="理由不充分")
    req.refresh_from_db()
    assert req.state == ExtensionRequest.State.REJECTED
    assert Task.objects.get(pk=task.pk).deadline == task.deadline
