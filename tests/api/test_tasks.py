"""/api/tasks/: scope, shape, filters, keyset pages stable under inserts, detail."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from indicators.models import Indicator, Measurement
from tasks_app import access, services
from tasks_app.models import EvaluationCriterion, Milestone, Policy, Rag, Task
from tasks_app.selectors.programmes import default_programme
from tasks_app.workflow import Status
from tests.factories import make_task, make_unit

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [row["code"] for row in response.json()["results"]]


def test_a_task_row_carries_everything_a_list_shows(api, item, dsj, jxj):
    Task.objects.filter(pk=item.pk).update(owner_name="张三", is_governance=True, is_service=True)

    response = api["office"].get("/api/tasks/", {"code": "1.1"})

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row == {
        "id": item.pk,
        "programme": {"id": default_programme().pk, "name": "数字化改革行动计划"},
        "code": "1.1",
        "title": "公共数据归集",
        "parent": "1",
        "domain": {"code": "digital_gov", "name": "数字政府"},
        "dimensions": ["governance", "service"],
        "lead_unit": {"id": dsj.pk, "name": "市大数据局"},
        "cooperating_units": [{"id": jxj.pk, "name": "市经信局"}],
        "owner": "张三",
        "start_date": item.start_date.isoformat(),
        "deadline": item.deadline.isoformat(),
        "weight": 1.0,
        "progress": 0.0,
        "status": "in_progress",
        "status_label": "办理中",
        "rag": row["rag"],
        "rag_reason": row["rag_reason"],
        "allowed_transitions": ["cancel"],
    }
    assert row["rag"] in {"red", "yellow", "green", "none"}


def test_units_see_their_subtree_and_cooperations_only(api, item, foreign):
    assert codes(api["office"].get("/api/tasks/")) == ["1", "1.1", "2"]
    assert codes(api["auditor"].get("/api/tasks/")) == ["1", "1.1", "2"]
    assert codes(api["dsj_handler"].get("/api/tasks/")) == ["1", "1.1"]
    assert codes(api["jxj_handler"].get("/api/tasks/")) == ["1.1"]  # cooperating only


def test_allowed_transitions_follow_role_unit_and_state(api, item, foreign, major):
    def allowed(client, task):
        rows = {r["id"]: r for r in client.get("/api/tasks/").json()["results"]}
        return rows[task.pk]["allowed_transitions"]

    assert allowed(api["office"], major) == ["assign", "cancel"]  # draft
    assert allowed(api["leader"], major) == ["cancel"]
    assert allowed(api["auditor"], major) == []
    assert allowed(api["dsj_handler"], item) == ["submit_completion"]  # lead unit, in progress
    assert allowed(api["jxj_handler"], item) == []  # cooperating unit: may not transition
    assert allowed(api["office"], foreign) == ["cancel"]


@pytest.mark.parametrize("role", ["office", "leader", "auditor", "dsj_admin", "dsj_handler", "jxj_handler"])
def test_listed_transitions_equal_the_service_on_real_tasks(api, role, dsj, jxj, office_user, dsj_handler, request):
    """The per-request memo of allowed_transitions answers exactly what the service answers per task."""
    from tests.tasks_app.workflow_helpers import drive

    for n, state in enumerate(Status, start=1):
        task = make_task(str(n), lead_unit=dsj if n % 2 else jxj, cooperating_units=(dsj,) if n % 3 == 0 else ())
        drive(
            task, state, office=office_user, unit_user=dsj_handler if n % 2 else request.getfixturevalue("jxj_handler")
        )
    user = request.getfixturevalue(
        {"office": "office_user", "leader": "leader_user", "auditor": "auditor_user"}.get(role, role)
    )

    rows = api[role].get("/api/tasks/", {"page_size": 500}).json()["results"]

    assert rows, "the role sees some tasks"
    for row in rows:
        task = Task.objects.select_related("lead_unit").get(pk=row["id"])
        assert row["allowed_transitions"] == access.allowed_transitions(user, task), row["code"]


def test_filters(api, dsj, jxj, city, office_user, dsj_handler):
    today = timezone.localdate()
    street = make_unit("大数据局直属中心", parent=dsj, level="street")
    make_task("1", lead_unit=dsj, deadline=today + timedelta(days=90))
    make_task("1.1", lead_unit=street, deadline=today + timedelta(days=10), title="数据归集")
    make_task("1.2", lead_unit=jxj, cooperating_units=(street,), deadline=today + timedelta(days=20))
    late = make_task("3", lead_unit=jxj, domain_code="digital_economy", deadline=today + timedelta(days=1))
    make_task("3.1", lead_unit=jxj, title="工业互联网", deadline=today + timedelta(days=1))
    services.task_assign(actor=office_user, task=late)
    Task.objects.update(rag=Rag.GREEN)
    Task.objects.filter(code="3").update(deadline=today - timedelta(days=1), rag=Rag.RED, is_service=True)
    Task.objects.filter(code="1.1").update(is_governance=True, rag=Rag.YELLOW)
    client = api["office"]

    assert codes(client.get("/api/tasks/", {"domain": "digital_economy"})) == ["3", "3.1"]
    domain_id = Task.objects.get(code="3").domain_id
    assert codes(client.get("/api/tasks/", {"domain": domain_id})) == ["3", "3.1"]
    assert codes(client.get("/api/tasks/", {"unit": dsj.pk})) == ["1", "1.1", "1.2"]  # subtree, cooperation
    assert codes(client.get("/api/tasks/", {"unit": street.pk})) == ["1.1", "1.2"]
    assert codes(client.get("/api/tasks/", {"status": "assigned"})) == ["3"]
    assert codes(client.get("/api/tasks/?status=assigned&status=draft")) == ["1", "1.1", "1.2", "3", "3.1"]
    assert codes(client.get("/api/tasks/", {"rag": "red"})) == ["3"]
    assert codes(client.get("/api/tasks/?rag=red&rag=yellow")) == ["1.1", "3"]
    assert codes(client.get("/api/tasks/", {"dimension": "governance"})) == ["1.1"]
    assert codes(client.get("/api/tasks/", {"dimension": "service"})) == ["3"]
    assert codes(client.get("/api/tasks/", {"overdue": "true"})) == ["3"]
    assert codes(client.get("/api/tasks/", {"overdue": "false"})) == ["1", "1.1", "1.2", "3.1"]
    window = {"deadline_after": today + timedelta(days=5), "deadline_before": today + timedelta(days=20)}
    assert codes(client.get("/api/tasks/", window)) == ["1.1", "1.2"]
    assert codes(client.get("/api/tasks/", {"parent": "1"})) == ["1.1", "1.2"]
    assert codes(client.get("/api/tasks/", {"code": "1"})) == ["1", "1.1", "1.2"]
    assert codes(client.get("/api/tasks/", {"code": "3.1"})) == ["3.1"]
    assert codes(client.get("/api/tasks/", {"q": "归集"})) == ["1.1"]
    assert codes(client.get("/api/tasks/", {"q": "3"})) == ["3", "3.1"]


def test_a_cancelled_or_closed_task_is_never_overdue(api, dsj, office_user):
    task = make_task("1", lead_unit=dsj)
    services.task_cancel(actor=office_user, task=task, reason="任务调整")
    Task.objects.filter(pk=task.pk).update(deadline=date(2020, 1, 1))

    assert codes(api["office"].get("/api/tasks/", {"overdue": "true"})) == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "nonsense"}, "status", None),
        ({"rag": "purple"}, "rag", None),
        ({"domain": "nowhere"}, "domain", "未知的改革领域：nowhere"),
        ({"unit": 999999}, "unit", "单位不存在：999999"),
        ({"deadline_after": "2026-13-40"}, "deadline_after", None),
        ({"page_size": 501}, "page_size", "每页条数应为 1 到 500 之间的整数"),
        ({"page_size": 0}, "page_size", "每页条数应为 1 到 500 之间的整数"),
        ({"cursor": "not-a-cursor"}, "cursor", "分页游标无效，请从第一页重新开始"),
    ],
)
def test_bad_filters_answer_400_in_the_error_shape(api, item, params, field, message):
    body = assert_error(api["office"].get("/api/tasks/", params), 400, "invalid", message)

    assert field in body["fields"]
    assert body["fields"][field]


def follow(client, url: str) -> tuple[list[str], str | None]:
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    return [r["code"] for r in data["results"]], data["next"]


def test_pages_follow_next_links_and_stay_stable_under_inserts(api, dsj):
    for n in range(1, 8):
        make_task(str(n), lead_unit=dsj)
    client = api["office"]

    first, next_url = follow(client, "/api/tasks/?page_size=3&domain=digital_gov")
    assert first == ["1", "2", "3"]
    assert next_url is not None
    assert parse_qs(urlparse(next_url).query)["page_size"] == ["3"]
    assert parse_qs(urlparse(next_url).query)["domain"] == ["digital_gov"]  # filters carried along

    # Meanwhile, tasks are added before the cursor ("1.1", "2.1") and after it ("10", "4.1").
    for code in ("1.1", "2.1", "4.1", "10"):
        make_task(code, lead_unit=dsj)

    second, next_url = follow(client, next_url)
    third, next_url = follow(client, next_url)
    rest = []
    while next_url:
        page, next_url = follow(client, next_url)
        rest += page

    assert second == ["4", "4.1", "5"]  # nothing repeated, nothing skipped
    assert third == ["6", "7", "10"]
    assert rest == []


def test_last_page_has_no_next_link(api, item):
    data = api["office"].get("/api/tasks/", {"page_size": 2}).json()

    assert [r["code"] for r in data["results"]] == ["1", "1.1"]
    assert data["next"] is None


def test_default_page_is_50_and_500_is_the_most(api, dsj):
    Task.objects.bulk_create(
        [
            Task(
                programme=default_programme(),
                code=str(n),
                sort_key=f"{default_programme().pk:05d}/{n:06d}",
                depth=1,
                title=f"任务{n}",
                domain_id=1,
                lead_unit=dsj,
            )
            for n in range(1, 502)
        ]
    )
    client = api["office"]

    assert len(client.get("/api/tasks/").json()["results"]) == 50
    page = client.get("/api/tasks/", {"page_size": 500}).json()
    assert len(page["results"]) == 500
    assert follow(client, page["next"])[0] == ["501"]


def test_detail_shows_the_five_systems_and_open_supervision(api, item, leader_user, office_user, dsj_handler):
    today = timezone.localdate()
    indicator = Indicator.objects.create(
        task=item, name="数据归集率", unit="%", baseline_value=40, target_value=90, target_date=today
    )
    Measurement.objects.create(indicator=indicator, period_end=today.replace(day=1) - timedelta(days=1), value=65)
    Milestone.objects.create(task=item, title="完成首批归集", due_date=today)
    policy = Policy.objects.create(title="公共数据条例", doc_number="浙人大〔2022〕1号", issuer="省人大")
    policy.tasks.add(item)
    EvaluationCriterion.objects.create(task=item, name="归集完成度", weight=60, max_score=100)
    services.instruction_issue(actor=leader_user, task=item, text="加快推进", due_date=today + timedelta(days=5))
    services.notice_issue(actor=office_user, task=item, level=2, reason="进度滞后")
    services.problem_report(actor=dsj_handler, task=item, text="缺少接口")
    services.extension_request(
        actor=dsj_handler, task=item, requested_deadline=today + timedelta(days=60), reason="需延期"
    )

    response = api["dsj_handler"].get(f"/api/tasks/{item.pk}/")

    assert response.status_code == 200
    data = response.json()
    assert data["code"] == "1.1"
    assert data["ancestors"] == [
        {
            "id": item.parent.pk,
            "code": "1",
            "title": "一体化智能化公共数据平台",
            "status": "draft",
            "status_label": "草稿",
            "rag": data["ancestors"][0]["rag"],
        }
    ]
    (ind,) = data["indicators"]
    assert ind["name"] == "数据归集率"
    assert ind["latest"]["value"] == 65.0
    assert ind["achievement"] == 50.0  # (65 − 40) / (90 − 40)
    assert [m["title"] for m in data["milestones"]] == ["完成首批归集"]
    assert data["policies"][0]["doc_number"] == "浙人大〔2022〕1号"
    assert data["criteria"] == [
        {
            "id": data["criteria"][0]["id"],
            "name": "归集完成度",
            "weight": 60.0,
            "max_score": 100.0,
            "method": "",
            "scope": "task",
        }
    ]
    assert [i["text"] for i in data["open"]["instructions"]] == ["加快推进"]
    assert data["open"]["instructions"][0]["state_label"] == "待回复"
    assert [n["level_label"] for n in data["open"]["notices"]] == ["催办"]
    assert [p["text"] for p in data["open"]["problems"]] == ["缺少接口"]
    assert [e["reason"] for e in data["open"]["extensions"]] == ["需延期"]
    assert data["open"]["corrections"] == []
    assert data["allowed_transitions"] == ["submit_completion"]


def test_a_foreign_task_answers_404_like_a_missing_one(api, foreign):
    body = assert_error(api["dsj_handler"].get(f"/api/tasks/{foreign.pk}/"), 404, "not_found", "任务不存在或无权访问")
    missing = assert_error(api["dsj_handler"].get("/api/tasks/999999/"), 404, "not_found")

    assert body == missing
    assert api["office"].get(f"/api/tasks/{foreign.pk}/").status_code == 200
