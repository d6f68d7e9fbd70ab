"""Task page actions: the right buttons per role and state, one service per form, errors in Chinese, conflicts."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from indicators.models import Indicator, Measurement
from tasks_app import services
from tasks_app.models import (
    Attachment,
    CorrectionOrder,
    Evaluation,
    EvaluationCriterion,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    Task,
)
from tasks_app.workflow import Status
from tests.factories import Role, make_unit, make_user
from tests.tasks_app.workflow_helpers import drive
from trail.models import TraceEntry

from .conftest import action_url, body

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def buttons(response) -> list[str]:
    """The action buttons shown in the task page's 办理 panel (summary buttons and action links)."""
    html = body(response)
    match = re.search(r'<section class="card actions-bar".*?</section>', html, re.S)
    if not match:
        return []
    bar = match.group(0)
    labels = re.findall(r'<summary class="btn[^"]*">([^<]+)</summary>', bar)
    labels += re.findall(r'<a class="btn[^"]*" href="/tasks/\d+/do/[^"]+">([^<]+)</a>', bar)
    return sorted(labels)


def state(task) -> str:
    return Task.objects.get(pk=task.pk).status


# --- Which buttons -----------------------------------------------------------------------------


def test_office_sees_assign_on_a_draft_and_units_see_nothing_to_do(client, item, office_user, dsj_handler):
    client.force_login(office_user)
    assert buttons(client.get(f"/tasks/{item.pk}/")) == sorted(["交办", "督办", "撤销"])
    client.force_login(dsj_handler)
    assert buttons(client.get(f"/tasks/{item.pk}/")) == []


def test_lead_handler_sees_accept_on_an_assigned_task_and_the_cooperating_handler_does_not(
    client, item, office_user, dsj_handler, jxj_handler
):
    drive(item, Status.ASSIGNED, office=office_user, unit_user=dsj_handler)
    client.force_login(dsj_handler)
    assert buttons(client.get(f"/tasks/{item.pk}/")) == sorted(
        ["签收", "退回", "提交旬报", "申请延期", "反馈问题", "设定配合分工"]
    )
    client.force_login(jxj_handler)
    assert buttons(client.get(f"/tasks/{item.pk}/")) == sorted(["提交旬报", "反馈问题"])


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        (Status.IN_PROGRESS, "dsj_handler", ["报送办结", "提交旬报", "申请延期", "反馈问题", "设定配合分工"]),
        (Status.IN_PROGRESS, "office_user", ["督办", "撤销", "设定配合分工"]),
        (Status.IN_PROGRESS, "leader_user", ["批示", "督办", "撤销"]),
        (Status.IN_PROGRESS, "auditor_user", []),
        (Status.UNDER_REVIEW, "office_user", ["审核通过", "退回整改", "督办", "撤销", "设定配合分工"]),
        (Status.UNDER_REVIEW, "dsj_handler", ["提交旬报", "申请延期", "反馈问题", "设定配合分工"]),
        (Status.CORRECTING, "dsj_handler", ["报送办结", "提交旬报", "申请延期", "反馈问题", "设定配合分工"]),
        (Status.EVALUATING, "office_user", ["评价", "督办", "撤销", "设定配合分工"]),
        (Status.CLOSED, "office_user", ["重新打开"]),
        (Status.CLOSED, "leader_user", ["重新打开"]),
        (Status.CLOSED, "dsj_handler", []),
    ],
)
def test_buttons_follow_state_and_role(client, item, office_user, dsj_handler, request, status, role, expected):
    drive(item, status, office=office_user, unit_user=dsj_handler)
    client.force_login(request.getfixturevalue(role))
    assert buttons(client.get(f"/tasks/{item.pk}/")) == sorted(expected)


def test_a_pending_extension_hides_the_request_button_and_offers_the_office_a_decision(
    client, item, office_user, dsj_handler
):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    ext = services.extension_request(
        actor=dsj_handler, task=item, requested_deadline=item.deadline + timedelta(days=10), reason="设备到货延迟"
    )
    client.force_login(dsj_handler)
    assert "申请延期" not in buttons(client.get(f"/tasks/{item.pk}/"))
    client.force_login(office_user)
    html = body(client.get(f"/tasks/{item.pk}/"))
    assert f'action="/tasks/{item.pk}/do/decide_extension/{ext.pk}/"' in html


# --- The loop through the forms ----------------------------------------------------------------


def test_the_closed_loop_through_the_web_forms(client, item, office_user, dsj_handler):
    EvaluationCriterion.objects.create(task=item, name="按期完成", weight=60, max_score=100)
    EvaluationCriterion.objects.create(task=item, name="成效", weight=40, max_score=50)
    client.force_login(office_user)
    r = client.post(action_url(item, "assign"), {"expected_status": "draft", "comment": "请抓紧落实"})
    assert r.status_code == 302 and state(item) == Status.ASSIGNED
    assert "已交办" in body(client.get(r["Location"]))

    client.force_login(dsj_handler)
    client.post(action_url(item, "accept"), {"expected_status": "assigned"})
    assert state(item) == Status.IN_PROGRESS
    r = client.post(action_url(item, "submit_completion"), {"expected_status": "in_progress", "summary": "平台已上线"})
    assert r.status_code == 302 and state(item) == Status.UNDER_REVIEW

    client.force_login(office_user)
    due = (timezone.localdate() + timedelta(days=5)).isoformat()
    client.post(
        action_url(item, "request_correction"),
        {"expected_status": "under_review", "requirement": "补充佐证", "due_date": due},
    )
    assert state(item) == Status.CORRECTING

    client.force_login(dsj_handler)
    page = body(client.get(action_url(item, "submit_completion")))
    assert "整改情况" in page and "补充佐证" in page
    client.post(
        action_url(item, "submit_completion"),
        {"expected_status": "correcting", "summary": "已补充", "correction_answer": "已上传运行数据"},
    )
    assert state(item) == Status.UNDER_REVIEW
    assert CorrectionOrder.objects.get(task=item).answer == "已上传运行数据"

    client.force_login(office_user)
    client.post(action_url(item, "approve"), {"expected_status": "under_review", "comment": ""})
    assert state(item) == Status.EVALUATING
    criteria = list(item.criteria.order_by("id"))
    form = body(client.get(action_url(item, "evaluate")))
    assert "按期完成（满分 100，权重 60）" in form and "成效（满分 50，权重 40）" in form
    r = client.post(
        action_url(item, "evaluate"),
        {"expected_status": "evaluating", f"score_{criteria[0].pk}": "90", f"score_{criteria[1].pk}": "45"},
    )
    assert r.status_code == 302 and state(item) == Status.CLOSED
    evaluation = Evaluation.objects.get(task=item)
    assert evaluation.total == Decimal("90.00") and evaluation.grade == "优"

    timeline = body(client.get(f"/tasks/{item.pk}/"))
    for label in ("交办", "签收", "报送办结", "退回整改", "审核通过", "评价办结"):
        assert label in timeline


def test_overall_score_when_the_task_has_no_criteria(client, item, office_user, dsj_handler):
    drive(item, Status.EVALUATING, office=office_user, unit_user=dsj_handler)
    client.force_login(office_user)
    assert "综合评分（0–100）" in body(client.get(action_url(item, "evaluate")))
    client.post(action_url(item, "evaluate"), {"expected_status": "evaluating", "overall": "75"})
    assert Evaluation.objects.get(task=item).grade == "中"


# --- Bad input: Chinese errors next to the fields, nothing saved --------------------------------


def test_missing_summary_shows_a_chinese_error_and_saves_nothing(client, item, office_user, dsj_handler):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    client.force_login(dsj_handler)
    trace_before = TraceEntry.objects.count()
    r = client.post(action_url(item, "submit_completion"), {"expected_status": "in_progress", "summary": "  "})
    assert r.status_code == 400
    assert "请填写办结情况" in body(r)
    assert state(item) == Status.IN_PROGRESS and TraceEntry.objects.count() == trace_before


def test_resubmitting_without_answering_the_correction_is_refused_next_to_the_field(
    client, item, office_user, dsj_handler
):
    drive(item, Status.CORRECTING, office=office_user, unit_user=dsj_handler)
    client.force_login(dsj_handler)
    r = client.post(action_url(item, "submit_completion"), {"expected_status": "correcting", "summary": "已完成"})
    assert r.status_code == 400 and "请填写整改情况" in body(r)
    assert state(item) == Status.CORRECTING


def test_out_of_range_scores_are_reported_per_criterion(client, item, office_user, dsj_handler):
    criterion = EvaluationCriterion.objects.create(task=item, name="成效", weight=1, max_score=50)
    drive(item, Status.EVALUATING, office=office_user, unit_user=dsj_handler)
    client.force_login(office_user)
    r = client.post(action_url(item, "evaluate"), {"expected_status": "evaluating", f"score_{criterion.pk}": "80"})
    assert r.status_code == 400
    assert "得分不能超过满分 50" in body(r)
    assert not Evaluation.objects.exists() and state(item) == Status.EVALUATING


def test_past_correction_due_date_is_refused_by_the_service_and_shown_on_the_field(
    client, item, office_user, dsj_handler
):
    drive(item, Status.UNDER_REVIEW, office=office_user, unit_user=dsj_handler)
    client.force_login(office_user)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    r = client.post(
        action_url(item, "request_correction"),
        {"expected_status": "under_review", "requirement": "补充", "due_date": yesterday},
    )
    assert r.status_code == 400
    html = body(r)
    assert re.search(r"field-datetime.*?整改时限不能早于今天|整改时限不能早于今天", html, re.S)
    assert not CorrectionOrder.objects.exists() and state(item) == Status.UNDER_REVIEW


def test_rejecting_an_extension_needs_a_reason(client, item, office_user, dsj_handler):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    ext = services.extension_request(
        actor=dsj_handler, task=item, requested_deadline=item.deadline + timedelta(days=10), reason="设备到货延迟"
    )
    client.force_login(office_user)
    r = client.post(action_url(item, "decide_extension", ext), {"decision": "reject", "comment": ""})
    assert r.status_code == 400 and "退回或驳回时请填写理由" in body(r)
    assert ExtensionRequest.objects.get(pk=ext.pk).state == ExtensionRequest.State.PENDING


# --- Conflicts, 404 and 403 --------------------------------------------------------------------


def test_a_stale_form_says_someone_else_acted_and_shows_the_fresh_state(client, item, office_user, dsj_handler):
    drive(item, Status.ASSIGNED, office=office_user, unit_user=dsj_handler)
    services.task_accept(actor=make_user(Role.UNIT_ADMIN, unit=item.lead_unit), task=item)  # a colleague signed first
    client.force_login(dsj_handler)
    r = client.post(action_url(item, "accept"), {"expected_status": "assigned"}, follow=True)
    html = body(r)
    assert "操作未成功：任务已被他人处理，当前状态为“办理中”" in html
    assert r.redirect_chain[-1][0] == f"/tasks/{item.pk}/"
    assert '<span class="status st-in_progress">办理中</span>' in html
    assert TraceEntry.objects.filter(action="task.accept").count() == 1


def test_a_second_answer_to_an_answered_problem_is_a_clear_message(client, item, office_user, dsj_handler):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    problem = services.problem_report(actor=dsj_handler, task=item, text="缺少经费")
    services.problem_answer(actor=office_user, problem=problem, response="已协调", resolve=True)
    client.force_login(office_user)
    r = client.post(action_url(item, "answer_problem", problem), {"response": "再次答复"}, follow=True)
    assert "操作未成功：该问题已办结" in body(r)


def test_foreign_unit_gets_404_on_the_task_and_its_actions(client, item, city):
    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city))
    client.force_login(outsider)
    assert client.get(f"/tasks/{item.pk}/").status_code == 404
    r = client.post(action_url(item, "accept"), {"expected_status": "assigned"})
    assert r.status_code == 404
    assert "页面不存在或无权访问" in body(r)


def test_a_role_that_may_never_act_gets_the_chinese_403_page(client, item, dsj_handler):
    client.force_login(dsj_handler)
    r = client.post(action_url(item, "assign"), {"expected_status": "draft", "comment": ""})
    assert r.status_code == 403
    assert "您的角色无权交办" in body(r)
    assert state(item) == Status.DRAFT


def test_an_unavailable_action_page_explains_and_returns_to_the_task(client, item, office_user):
    client.force_login(office_user)
    r = client.get(action_url(item, "approve"), follow=True)
    assert "当前不能审核通过" in body(r)


def test_unknown_action_is_404(client, item, office_user):
    client.force_login(office_user)
    assert client.get(action_url(item, "launch-rocket")).status_code == 404


# --- Ten-day report ------------------------------------------------------------------------------


@pytest.fixture
def reporting(item, office_user, dsj_handler):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    return Indicator.objects.create(
        task=item, name="数据归集量", unit="万条", baseline_value=10, target_value=100, period_kind="tenday"
    )


def _current_period_end() -> str:
    from reform.periods import period_of

    return period_of(timezone.localdate()).end.isoformat()


def test_ten_day_report_with_indicator_value_and_attachment(client, item, reporting, dsj_handler):
    client.force_login(dsj_handler)
    form = body(client.get(action_url(item, "report_progress")))
    assert "数据归集量（万条）" in form and 'type="file"' in form and "multiple" in form
    period_end = re.search(r'<option value="([\d-]+)" selected>', form).group(1)
    r = client.post(
        action_url(item, "report_progress"),
        {
            "expected_status": "in_progress",
            "period_end": period_end,
            "progress": "40",
            "text": "完成 3 个部门的数据归集",
            f"indicator_{reporting.pk}": "35.5",
            "files": [SimpleUploadedFile("进度照片.png", PNG, content_type="image/png")],
        },
    )
    assert r.status_code == 302
    feedback = Feedback.objects.get(task=item)
    assert feedback.period_end == date.fromisoformat(period_end) and feedback.progress == 40
    assert Measurement.objects.get(indicator=reporting).value == Decimal("35.5")
    attachment = Attachment.objects.get(feedback=feedback)
    assert attachment.original_name == "进度照片.png"
    page = body(client.get(f"/tasks/{item.pk}/"))
    assert f"/attachments/{attachment.pk}/" in page and "完成 3 个部门的数据归集" in page


def test_ten_day_report_refuses_a_disguised_file_and_saves_nothing(client, item, reporting, dsj_handler):
    client.force_login(dsj_handler)
    r = client.post(
        action_url(item, "report_progress"),
        {
            "expected_status": "in_progress",
            "period_end": _current_period_end(),
            "progress": "40",
            "text": "进展",
            f"indicator_{reporting.pk}": "20",
            "files": [SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")],
        },
    )
    assert r.status_code == 400
    assert "附件“报告.pdf”的类型不允许上传" in body(r)
    assert not Feedback.objects.exists() and not Measurement.objects.exists() and not Attachment.objects.exists()


def test_ten_day_report_field_errors_in_chinese(client, item, reporting, dsj_handler):
    client.force_login(dsj_handler)
    r = client.post(
        action_url(item, "report_progress"),
        {"expected_status": "in_progress", "period_end": "1999-01-10", "progress": "140", "text": ""},
    )
    html = body(r)
    assert r.status_code == 400
    assert "请填写工作进展" in html
    assert "确保该值小于或等于100" in html
    assert "选择一个有效的选项" in html  # a period not offered
    assert not Feedback.objects.exists()


# --- Supervision objects -------------------------------------------------------------------------


def test_leader_instructs_unit_answers_office_reviews(client, item, office_user, leader_user, dsj_handler):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    client.force_login(leader_user)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    client.post(action_url(item, "issue_instruction"), {"text": "月底前见成效", "due_date": due})
    instruction = Instruction.objects.get(task=item)
    client.force_login(dsj_handler)
    assert f"/do/answer_instruction/{instruction.pk}/" in body(client.get(f"/tasks/{item.pk}/"))
    client.post(action_url(item, "answer_instruction", instruction), {"response": "已成立专班"})
    client.force_login(office_user)
    client.post(action_url(item, "review_instruction", instruction), {"decision": "approve", "comment": ""})
    assert Instruction.objects.get(pk=instruction.pk).state == Instruction.State.APPROVED


def test_office_issues_listed_supervision_and_lifts_it(client, item, office_user, dsj_handler):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    client.force_login(office_user)
    client.post(action_url(item, "issue_notice"), {"level": "4", "reason": "进度严重滞后", "deadline": ""})
    notice = Notice.objects.get(task=item)
    assert notice.level == Notice.Level.LISTED
    assert "挂牌督办" in body(client.get(f"/tasks/{item.pk}/"))
    client.post(action_url(item, "lift_notice", notice), {"comment": "已整改到位"})
    assert Notice.objects.get(pk=notice.pk).state == Notice.State.LIFTED


def test_units_report_problems_and_request_extensions_office_answers_and_decides(
    client, item, office_user, dsj_handler, jxj_handler
):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    client.force_login(jxj_handler)
    client.post(action_url(item, "report_problem"), {"text": "接口标准不统一"})
    problem = ProblemReport.objects.get(task=item)
    client.force_login(dsj_handler)
    new_deadline = (item.deadline + timedelta(days=15)).isoformat()
    client.post(action_url(item, "request_extension"), {"requested_deadline": new_deadline, "reason": "设备到货延迟"})
    ext = ExtensionRequest.objects.get(task=item)
    client.force_login(office_user)
    client.post(action_url(item, "answer_problem", problem), {"response": "已协调统一标准", "resolve": "on"})
    client.post(action_url(item, "decide_extension", ext), {"decision": "approve", "comment": ""})
    assert ProblemReport.objects.get(pk=problem.pk).state == ProblemReport.State.RESOLVED
    assert Task.objects.get(pk=item.pk).deadline.isoformat() == new_deadline


def test_leader_cancels_with_a_reason_and_the_office_cannot_reopen_a_cancelled_task(
    client, item, office_user, leader_user, dsj_handler
):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    client.force_login(leader_user)
    r = client.post(action_url(item, "cancel"), {"expected_status": "in_progress", "reason": ""})
    assert r.status_code == 400 and "请填写理由" in body(r)
    client.post(action_url(item, "cancel"), {"expected_status": "in_progress", "reason": "任务调整"})
    assert state(item) == Status.CANCELLED
    client.force_login(office_user)
    assert buttons(client.get(f"/tasks/{item.pk}/")) == []


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
def test_task_page_queries_do_not_grow_with_its_history(
    client, item, office_user, leader_user, dsj_handler, size, django_assert_max_num_queries
):
    drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    indicator = Indicator.objects.create(task=item, name="归集量", baseline_value=0, target_value=100)
    for n in range(size):
        make_child = services.task_create
        make_child(actor=None, code=f"1.1.{n + 1}", title=f"子项{n}", lead_unit=item.lead_unit)
        services.feedback_submit(actor=dsj_handler, task=item, text=f"进展{n}", progress=n, kind="progress")
        services.problem_report(actor=dsj_handler, task=item, text=f"问题{n}")
        services.notice_issue(actor=office_user, task=item, level=1, reason=f"提醒{n}")
        services.instruction_issue(
            actor=leader_user, task=item, text=f"批示{n}", due_date=timezone.localdate() + timedelta(days=3)
        )
        Measurement.objects.create(indicator=indicator, period_end=date(2026, 1, 1) + timedelta(days=31 * n), value=n)
    client.force_login(office_user)
    with django_assert_max_num_queries(33):  # 31 + the shares (分工) + whether the lead unit has units below
        assert client.get(f"/tasks/{item.pk}/").status_code == 200
