"""POST /api/tasks/{id}/transitions/{name}/: the closed loop through the API, with every error status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tasks_app.models import CorrectionOrder, Evaluation, Task
from tasks_app.workflow import Status
from tests.factories import make_task
from trail.models import TraceEntry

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def fire(client, task, name: str, **body):
    return client.post(f"/api/tasks/{task.pk}/transitions/{name}/", body, format="json")


def test_the_whole_loop_through_the_api(api, dsj):
    task = make_task("1", lead_unit=dsj, deadline=timezone.localdate() + timedelta(days=30))
    office, unit, head = api["office"], api["dsj_handler"], api["dsj_admin"]
    due = (timezone.localdate() + timedelta(days=7)).isoformat()

    steps = [
        (office, "assign", {"comment": "请抓紧落实"}, "assigned"),
        (unit, "accept", {}, "in_progress"),
        # A handler's completion report passes the unit head's sign-off (负责人审核) first.
        (unit, "submit_completion", {"summary": "已完成归集"}, "unit_review"),
        (head, "unit_signoff", {"approve": True}, "under_review"),
        (office, "request_correction", {"requirement": "补充佐证材料", "due_date": due}, "correcting"),
        (unit, "submit_completion", {"summary": "已补充", "correction_answer": "已上传佐证"}, "unit_review"),
        (head, "unit_signoff", {"approve": True}, "under_review"),
        (office, "approve", {"comment": "同意"}, "evaluating"),
        (office, "evaluate", {"scores": {"overall": 92}, "comment": "完成较好"}, "closed"),
    ]
    for client, name, body, state in steps:
        response = fire(client, task, name, **body)
        assert response.status_code == 200, (name, response.content.decode())
        assert response.json()["status"] == state
        assert response.json()["id"] == task.pk

    task.refresh_from_db()
    assert task.status == Status.CLOSED
    assert CorrectionOrder.objects.get(task=task).answer == "已上传佐证"
    assert Evaluation.objects.get(task=task).grade == "优"
    assert TraceEntry.objects.filter(task=task, action__startswith="task.").exclude(action="task.create").count() == 9


def test_the_answer_is_the_detail_shape_with_what_the_caller_may_do_next(api, major):
    response = fire(api["office"], major, "assign")

    data = response.json()
    assert data["status"] == "assigned"
    assert data["status_label"] == "已交办"
    assert data["allowed_transitions"] == ["reassign", "cancel"]
    assert {"open", "indicators", "criteria", "ancestors"} <= set(data)


def test_role_that_may_never_fire_gets_403(api, major, item):
    body = assert_error(fire(api["dsj_handler"], major, "assign"), 403, "permission_denied", "您的角色无权交办")
    assert body["fields"] == {}
    assert_error(fire(api["auditor"], item, "cancel", reason="x"), 403, "permission_denied", "您的角色无权撤销")
    # 403 comes before input checks: a leader may never approve, whatever the body.
    assert_error(fire(api["leader"], item, "approve", comment=["bad"]), 403, "permission_denied")
    assert Task.objects.get(pk=major.pk).status == Status.DRAFT


def test_a_cooperating_unit_may_not_fire_lead_unit_transitions(api, item):
    assert_error(
        fire(api["jxj_handler"], item, "submit_completion", summary="完成"),
        403,
        "permission_denied",
        "只有牵头单位可以报送办结",
    )


def test_state_that_does_not_allow_it_gets_409(api, major):
    body = assert_error(fire(api["office"], major, "approve"), 409, "invalid_transition")
    assert body["message"] == "任务当前状态为“草稿”，不能审核通过"


def test_lost_race_gets_409_conflict(api, item):
    response = fire(api["office"], item, "cancel", reason="调整", expected_status="assigned")

    assert_error(response, 409, "conflict", "任务已被他人处理，当前状态为“办理中”，请刷新后再操作")
    assert Task.objects.get(pk=item.pk).status == Status.IN_PROGRESS


def test_bad_input_gets_400_with_fields(api, item, dsj_handler):
    body = assert_error(fire(api["dsj_handler"], item, "submit_completion"), 400, "invalid")
    assert body["message"] == "提交的数据有误，请检查标注的字段"
    assert body["fields"] == {"summary": ["该字段是必填项。"]}

    body = assert_error(fire(api["office"], item, "cancel", reason="   "), 400, "invalid")
    assert "reason" in body["fields"]

    body = assert_error(fire(api["office"], item, "cancel", reason="x", expected_status="bogus"), 400, "invalid")
    assert "expected_status" in body["fields"]
    assert Task.objects.get(pk=item.pk).status == Status.IN_PROGRESS


def test_service_validation_message_reaches_the_caller_in_chinese(api, item):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    task = item
    fire(api["dsj_handler"], task, "submit_completion", summary="完成")
    fire(api["dsj_admin"], task, "unit_signoff", approve=True)

    body = assert_error(
        fire(api["office"], task, "request_correction", requirement="补充", due_date=yesterday),
        400,
        "invalid",
        "整改时限不能早于今天",
    )
    assert body["fields"] == {"due_date": ["不能早于今天"]}


def test_evaluate_checks_scores_against_the_criteria(api, item, dsj_handler):
    fire(api["dsj_handler"], item, "submit_completion", summary="完成")
    fire(api["dsj_admin"], item, "unit_signoff", approve=True)
    fire(api["office"], item, "approve")

    body = assert_error(fire(api["office"], item, "evaluate", scores={"overall": 150}), 400, "invalid")
    assert body["message"] == "综合评分应在 0 到 100 之间"


def test_out_of_scope_task_answers_404_for_every_transition(api, foreign):
    for name in ("assign", "accept", "submit_completion", "cancel"):
        assert_error(fire(api["dsj_handler"], foreign, name, summary="x", reason="x"), 404, "not_found")
    assert Task.objects.get(pk=foreign.pk).status == Status.IN_PROGRESS


def test_unknown_transition_name_answers_404(api, item, foreign):
    assert_error(fire(api["office"], item, "teleport"), 404, "not_found", "未知的操作：teleport")
    assert_error(fire(api["dsj_handler"], foreign, "teleport"), 404, "not_found", "任务不存在或无权访问")


def test_unknown_api_path_answers_404_in_the_error_shape(api):
    assert_error(api["office"].get("/api/nothing/here/"), 404, "not_found", "接口不存在：/api/nothing/here/")


def test_get_on_a_transition_is_405(api, item):
    assert_error(api["office"].get(f"/api/tasks/{item.pk}/transitions/cancel/"), 405, "method_not_allowed")
