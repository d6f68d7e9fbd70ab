"""Instructions, notices, ten-day reports, problems, corrections, extensions, evaluations and the trace."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from indicators.models import Indicator, Measurement
from tasks_app import services
from tasks_app.models import Attachment, ExtensionRequest, Feedback, Instruction, Notice, ProblemReport, Task
from tasks_app.workflow import Status

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def in_days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


# --- Instructions --------------------------------------------------------------------------------


def test_instruction_issue_answer_review(api, item, dsj, jxj):
    issued = api["leader"].post(
        f"/api/tasks/{item.pk}/instructions/",
        {"text": "加快推进，月底前见成效", "due_date": in_days(5), "target_units": [dsj.pk, jxj.pk]},
        format="json",
    )
    assert issued.status_code == 201, issued.content.decode()
    data = issued.json()
    assert (data["state"], data["state_label"], data["task_code"]) == ("issued", "待回复", "1.1")
    assert [u["name"] for u in data["target_units"]] == ["市大数据局", "市经信局"]
    assert data["author"] == Instruction.objects.get().author.display_name

    answered = api["jxj_handler"].post(
        f"/api/instructions/{data['id']}/answer/", {"response": "已部署专班推进"}, format="json"
    )
    assert answered.status_code == 200, answered.content.decode()
    assert answered.json()["state"] == "answered"

    returned = api["office"].post(
        f"/api/instructions/{data['id']}/review/", {"approve": False, "comment": "请补充时间表"}, format="json"
    )
    assert returned.json()["state_label"] == "退回重办"
    api["dsj_handler"].post(f"/api/instructions/{data['id']}/answer/", {"response": "时间表见附件"}, format="json")
    approved = api["leader"].post(f"/api/instructions/{data['id']}/review/", {"approve": True}, format="json")
    assert approved.json()["state"] == "approved"

    listed = api["auditor"].get(f"/api/tasks/{item.pk}/instructions/").json()
    assert [(i["text"], i["state"], i["review_comment"]) for i in listed] == [
        ("加快推进，月底前见成效", "approved", "")
    ]


def test_instruction_errors(api, item, foreign, leader_user):
    assert_error(
        api["office"].post(f"/api/tasks/{item.pk}/instructions/", {"text": "x", "due_date": in_days(1)}, format="json"),
        403,
        "permission_denied",
        "您的角色无权作出批示",
    )
    body = assert_error(
        api["leader"].post(
            f"/api/tasks/{item.pk}/instructions/",
            {"text": "x", "due_date": in_days(1), "target_units": [999999]},
            format="json",
        ),
        400,
        "invalid",
    )
    assert body["fields"] == {"target_units": ["单位不存在：999999"]}
    assert_error(
        api["leader"].post(
            f"/api/tasks/{item.pk}/instructions/", {"text": "x", "due_date": in_days(-1)}, format="json"
        ),
        400,
        "invalid",
        "回复时限不能早于今天",
    )
    instruction = services.instruction_issue(actor=leader_user, task=item, text="批示", due_date=timezone.localdate())
    assert_error(
        api["office"].post(f"/api/instructions/{instruction.pk}/review/", {"approve": True}, format="json"),
        409,
        "invalid_transition",
        "批示当前状态为“待回复”，不能审核",
    )
    # A unit that sees the task (cooperating) but is not a target may not answer.
    assert_error(
        api["jxj_handler"].post(f"/api/instructions/{instruction.pk}/answer/", {"response": "x"}, format="json"),
        403,
        "permission_denied",
        "只有承办单位可以回复该批示",
    )
    other = services.instruction_issue(actor=leader_user, task=foreign, text="批示", due_date=timezone.localdate())
    assert_error(
        api["dsj_handler"].post(f"/api/instructions/{other.pk}/answer/", {"response": "x"}, format="json"),
        404,
        "not_found",
    )


# --- Notices -------------------------------------------------------------------------------------


def test_notice_issue_and_lift(api, item):
    issued = api["office"].post(
        f"/api/tasks/{item.pk}/notices/", {"level": 4, "reason": "逾期未办结", "deadline": in_days(3)}, format="json"
    )
    assert issued.status_code == 201, issued.content.decode()
    notice = issued.json()
    assert (notice["level"], notice["level_label"], notice["state"]) == (4, "挂牌督办", "open")

    assert_error(
        api["leader"].post(f"/api/notices/{notice['id']}/lift/", {}, format="json"),
        403,
        "permission_denied",
        "您的角色无权督办销号",
    )
    lifted = api["office"].post(f"/api/notices/{notice['id']}/lift/", {"comment": "已整改到位"}, format="json")
    assert lifted.status_code == 200
    assert lifted.json()["state_label"] == "已销号"
    assert_error(api["office"].post(f"/api/notices/{notice['id']}/lift/", {}, format="json"), 409, "invalid_transition")
    assert [n["state"] for n in api["dsj_handler"].get(f"/api/tasks/{item.pk}/notices/").json()] == ["lifted"]


def test_notice_input_errors(api, item):
    body = assert_error(
        api["office"].post(f"/api/tasks/{item.pk}/notices/", {"level": 9, "reason": ""}, format="json"), 400, "invalid"
    )
    assert set(body["fields"]) == {"level", "reason"}
    assert_error(
        api["dsj_handler"].post(f"/api/tasks/{item.pk}/notices/", {"level": 1, "reason": "x"}, format="json"),
        403,
        "permission_denied",
    )


# --- Ten-day reports -----------------------------------------------------------------------------


def test_ten_day_report_with_attachment_and_indicator_value(api, item):
    indicator = Indicator.objects.create(task=item, name="数据归集率", unit="%", baseline_value=40, target_value=90)
    pdf = SimpleUploadedFile("进展说明.pdf", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    note = SimpleUploadedFile("说明.txt", "本旬完成数据归集 60%".encode(), "text/plain")

    response = api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/feedback/",
        {
            "text": "完成第一批数据归集",
            "progress": "60",
            "files": [pdf, note],
            "indicator_values": json.dumps({str(indicator.pk): 72.5}),
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert (data["kind"], data["kind_label"], data["progress"], data["on_time"]) == ("tenday", "旬报", 60.0, True)
    assert data["unit"]["name"] == "市大数据局"
    assert sorted(a["name"] for a in data["attachments"]) == ["说明.txt", "进展说明.pdf"]
    assert all(a["url"] == f"/attachments/{a['id']}/" for a in data["attachments"])
    assert Task.objects.get(pk=item.pk).progress == Decimal(60)
    assert Measurement.objects.get(indicator=indicator).value == Decimal("72.5")
    assert Attachment.objects.filter(feedback_id=data["id"]).count() == 2
    listed = api["office"].get(f"/api/tasks/{item.pk}/feedback/").json()
    assert [f["id"] for f in listed] == [data["id"]]


def test_ten_day_report_as_json_without_files(api, item):
    response = api["jxj_handler"].post(
        f"/api/tasks/{item.pk}/feedback/", {"text": "配合完成接口对接", "progress": 30}, format="json"
    )

    assert response.status_code == 201, response.content.decode()
    assert response.json()["unit"]["name"] == "市经信局"
    assert Task.objects.get(pk=item.pk).progress == Decimal(0)  # a cooperating unit's report moves nothing


def test_ten_day_report_refuses_a_disguised_file_and_saves_nothing(api, item):
    exe = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf")

    body = assert_error(
        api["dsj_handler"].post(
            f"/api/tasks/{item.pk}/feedback/", {"text": "进展", "progress": "50", "files": [exe]}, format="multipart"
        ),
        400,
        "invalid",
    )

    assert "报告.pdf" in body["message"]
    assert "files" in body["fields"]
    assert Feedback.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert Task.objects.get(pk=item.pk).progress == Decimal(0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"progress": "50"}, "text"),
        ({"text": "x", "progress": "150"}, "progress"),
        ({"text": "x", "progress": "50", "kind": "weekly"}, "kind"),
        ({"text": "x", "progress": "50", "indicator_values": "{not json"}, "indicator_values"),
    ],
)
def test_ten_day_report_input_errors(api, item, body, field):
    response = api["dsj_handler"].post(f"/api/tasks/{item.pk}/feedback/", body, format="multipart")

    assert field in assert_error(response, 400, "invalid")["fields"]


def test_ten_day_report_by_office_is_403_and_on_a_draft_is_409(api, item, major):
    assert_error(
        api["office"].post(f"/api/tasks/{item.pk}/feedback/", {"text": "x", "progress": 1}, format="json"),
        403,
        "permission_denied",
        "您的角色无权报送进度",
    )
    assert_error(
        api["dsj_handler"].post(f"/api/tasks/{major.pk}/feedback/", {"text": "x", "progress": 1}, format="json"),
        409,
        "invalid_transition",
        "任务当前状态为“草稿”，不能报送进度",
    )


# --- Problems, corrections, extensions, evaluations ----------------------------------------------


def test_problem_report_and_answer(api, item):
    reported = api["jxj_handler"].post(f"/api/tasks/{item.pk}/problems/", {"text": "缺少数据接口"}, format="json")
    assert reported.status_code == 201
    problem = reported.json()
    assert (problem["state"], problem["unit"]["name"]) == ("open", "市经信局")

    assert_error(
        api["dsj_handler"].post(f"/api/problems/{problem['id']}/answer/", {"response": "x"}, format="json"),
        403,
        "permission_denied",
        "您的角色无权答复问题",
    )
    answered = api["office"].post(
        f"/api/problems/{problem['id']}/answer/",
        {"response": "已协调市大数据局开放接口", "resolve": True},
        format="json",
    )
    assert answered.json()["state_label"] == "已解决"
    assert_error(
        api["office"].post(f"/api/problems/{problem['id']}/answer/", {"response": "x"}, format="json"),
        409,
        "invalid_transition",
        "该问题已办结",
    )
    assert [p["state"] for p in api["office"].get(f"/api/tasks/{item.pk}/problems/").json()] == ["resolved"]


def test_corrections_list_shows_orders_and_their_answers(api, item):
    client = api["office"]
    client.post(f"/api/tasks/{item.pk}/transitions/submit_completion/", {"summary": "完成"}, format="json")
    api["dsj_handler"].post(f"/api/tasks/{item.pk}/transitions/submit_completion/", {"summary": "完成"}, format="json")
    api["dsj_admin"].post(f"/api/tasks/{item.pk}/transitions/unit_signoff/", {"approve": True}, format="json")
    client.post(
        f"/api/tasks/{item.pk}/transitions/request_correction/",
        {"requirement": "补充佐证材料", "due_date": in_days(5)},
        format="json",
    )

    (order,) = api["dsj_handler"].get(f"/api/tasks/{item.pk}/corrections/").json()

    assert (order["requirement"], order["state"], order["due_date"]) == ("补充佐证材料", "open", in_days(5))
    api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/transitions/submit_completion/",
        {"summary": "已补充", "correction_answer": "佐证已上传"},
        format="json",
    )
    (order,) = api["dsj_handler"].get(f"/api/tasks/{item.pk}/corrections/").json()
    assert (order["state_label"], order["answer"]) == ("已反馈整改", "佐证已上传")


def test_extension_request_and_decision(api, item):
    requested = api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/extensions/",
        {"requested_deadline": in_days(90), "reason": "设备到货延迟"},
        format="json",
    )
    assert requested.status_code == 201, requested.content.decode()
    extension = requested.json()
    assert (extension["state"], extension["old_deadline"]) == ("pending", item.deadline.isoformat())

    assert_error(
        api["dsj_handler"].post(
            f"/api/tasks/{item.pk}/extensions/", {"requested_deadline": in_days(100), "reason": "再次"}, format="json"
        ),
        409,
        "conflict",
        "该任务已有待审批的延期申请",
    )
    assert_error(
        api["jxj_handler"].post(
            f"/api/tasks/{item.pk}/extensions/", {"requested_deadline": in_days(100), "reason": "x"}, format="json"
        ),
        403,
        "permission_denied",
        "只有牵头单位可以申请延期",
    )
    body = assert_error(
        api["office"].post(f"/api/extensions/{extension['id']}/decide/", {"approve": False}, format="json"),
        400,
        "invalid",
        "请填写驳回理由",
    )
    assert body["fields"] == {"comment": ["必填"]}
    decided = api["office"].post(f"/api/extensions/{extension['id']}/decide/", {"approve": True}, format="json")
    assert decided.json()["state_label"] == "已同意"
    assert Task.objects.get(pk=item.pk).deadline.isoformat() == in_days(90)
    assert [e["state"] for e in api["auditor"].get(f"/api/tasks/{item.pk}/extensions/").json()] == ["approved"]
    assert ExtensionRequest.objects.get().decided_by.username == "office"


def test_evaluations_list(api, item):
    unit, office = api["dsj_handler"], api["office"]
    unit.post(f"/api/tasks/{item.pk}/transitions/submit_completion/", {"summary": "完成"}, format="json")
    api["dsj_admin"].post(f"/api/tasks/{item.pk}/transitions/unit_signoff/", {"approve": True}, format="json")
    office.post(f"/api/tasks/{item.pk}/transitions/approve/", {}, format="json")
    office.post(f"/api/tasks/{item.pk}/transitions/evaluate/", {"scores": {"overall": "85.5"}}, format="json")

    (evaluation,) = api["auditor"].get(f"/api/tasks/{item.pk}/evaluations/").json()

    assert (evaluation["total"], evaluation["grade"], evaluation["scores"]) == (85.5, "良", {"overall": "85.50"})


def test_trace_lists_every_step_in_chain_order(api, item):
    items = api["auditor"].get(f"/api/tasks/{item.pk}/trace/").json()

    assert [(i["action"], i["label"], i["to_state"]) for i in items] == [
        ("task.create", "创建任务", "草稿"),
        ("task.assign", "交办", "已交办"),
        ("task.accept", "签收", "办理中"),
    ]
    assert [i["seq"] for i in items] == sorted(i["seq"] for i in items)


@pytest.mark.parametrize(
    "path",
    [
        "/api/tasks/{pk}/trace/",
        "/api/tasks/{pk}/instructions/",
        "/api/tasks/{pk}/notices/",
        "/api/tasks/{pk}/feedback/",
        "/api/tasks/{pk}/problems/",
        "/api/tasks/{pk}/corrections/",
        "/api/tasks/{pk}/extensions/",
        "/api/tasks/{pk}/evaluations/",
        "/api/tasks/{pk}/indicators/",
    ],
)
def test_lists_of_a_foreign_task_answer_404(api, foreign, path):
    assert_error(api["dsj_handler"].get(path.format(pk=foreign.pk)), 404, "not_found", "任务不存在或无权访问")
    assert api["office"].get(path.format(pk=foreign.pk)).status_code == 200


@pytest.mark.parametrize(
    ("model", "path", "body"),
    [
        (Notice, "/api/notices/{pk}/lift/", {}),
        (ProblemReport, "/api/problems/{pk}/answer/", {"response": "x"}),
        (ExtensionRequest, "/api/extensions/{pk}/decide/", {"approve": True}),
    ],
)
def test_objects_of_a_foreign_task_answer_404(api, foreign, office_user, model, path, body):
    police_handler = type(office_user).objects.get(username="police_handler")
    if model is Notice:
        obj = services.notice_issue(actor=office_user, task=foreign, level=1, reason="提醒")
    elif model is ProblemReport:
        obj = services.problem_report(actor=police_handler, task=foreign, text="问题")
    else:
        obj = services.extension_request(
            actor=police_handler,
            task=foreign,
            requested_deadline=timezone.localdate() + timedelta(days=400),
            reason="x",
        )

    assert_error(api["dsj_handler"].post(path.format(pk=obj.pk), body, format="json"), 404, "not_found")
    assert api["dsj_handler"].post(path.format(pk=999999), body, format="json").status_code == 404
    assert Task.objects.get(pk=foreign.pk).status == Status.IN_PROGRESS
