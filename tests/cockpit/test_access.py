"""Who sees the cockpit, scoped how; the API's JSON shape; leader actions from the cockpit; seed_scale."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tasks_app import tree
from tasks_app.models import Instruction, Notice, Task
from tasks_app.workflow import Status
from tests.factories import Role, make_user

from .conftest import build_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(db):
    return build_programme(30, seed=21)


def test_leader_office_and_auditor_see_the_whole_programme(client, small):
    for user in (small.leader, small.office, small.auditor):
        client.force_login(user)
        data = client.get("/api/cockpit/").json()
        assert data["headline"]["items"]["value"] == 30
        assert data["scope"]["unit"] is None
        page = client.get("/cockpit/")
        assert page.status_code == 200
        assert "数字化改革驾驶舱" in page.content.decode()


def test_a_unit_admin_sees_only_the_units_subtree(client, small):
    admin = small.city_admin
    client.force_login(admin)
    data = client.get("/api/cockpit/").json()
    assert data["scope"]["unit"]["id"] == admin.unit.pk
    in_subtree = Task.objects.filter(is_leaf=True, lead_unit__path__startswith=admin.unit.path).count()
    assert data["headline"]["items"]["value"] >= in_subtree
    assert data["headline"]["items"]["value"] < 30
    assert all(f"unit={admin.unit.pk}" in r["url"] or "lead=" in r["url"] for r in data["by_status"])
    other = small.leader.unit.children.exclude(pk=admin.unit.pk).first()
    assert client.get(f"/api/cockpit/?unit={other.pk}").status_code == 404
    assert client.get(f"/cockpit/?unit={other.pk}").status_code == 404
    child = admin.unit.children.first()
    assert client.get(f"/api/cockpit/?unit={child.pk}").json()["scope"]["unit"]["id"] == child.pk


def test_a_unit_handler_is_sent_to_the_task_list_and_refused_by_the_api(client, small):
    client.force_login(small.city_handler)
    response = client.get("/cockpit/")
    assert response.status_code == 302 and response["Location"] == "/tasks/"
    denied = client.get("/api/cockpit/")
    assert denied.status_code == 403
    assert "无权查看驾驶舱" in denied.json()["message"]
    assert client.get("/api/cockpit/tasks/?q=1").status_code == 403


def test_anonymous_users_log_in_first(client, small):
    assert client.get("/cockpit/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/cockpit/").status_code in (401, 403)


def test_bad_filters_get_a_clear_chinese_error(client, small):
    client.force_login(small.leader)
    response = client.get("/api/cockpit/?period=2026-13")
    assert response.status_code == 400
    assert "统计期间" in response.json()["message"]
    assert client.get("/api/cockpit/?domain=nope").json()["message"] == "未知的改革领域：nope"


def test_the_api_json_has_every_figure_with_its_link(client, small):
    client.force_login(small.leader)
    data = client.get("/api/cockpit/").json()
    assert set(data) >= {
        "as_of",
        "as_of_label",
        "headline",
        "by_status",
        "lights_by_domain",
        "lights_by_unit",
        "dimensions",
        "trend",
        "indicators",
        "instructions",
        "reports",
        "ranking",
        "listed",
        "scope",
        "actions",
    }
    assert data["actions"] == {"instruct": True, "notice": True}
    assert len(data["by_status"]) == len(Status) and data["by_status"][0]["label"] == "草稿"
    assert [d["name"] for d in data["lights_by_domain"]][:2] == ["党政机关整体智治", "数字政府"]
    assert len(data["trend"]["periods"]) == 12
    assert set(data["ranking"]) == {"units", "red", "black"}

    def figures(node, path=""):
        if isinstance(node, dict):
            if "value" in node and "url" in node:
                yield path, node
            for key, value in node.items():
                yield from figures(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from figures(value, f"{path}[{i}]")

    found = list(figures(data))
    assert len(found) > 80
    for path, fig in found:
        if path.startswith(".trend") and ".red" in path and fig["url"] is None:
            continue  # a past period's red count comes from a snapshot: no list to open
        assert fig["url"].startswith("/tasks/"), path


def test_the_page_embeds_the_figures_without_inline_scripts_or_styles(client, small):
    client.force_login(small.leader)
    body = client.get("/cockpit/?mode=screen").content.decode()
    assert 'id="cockpit-data" type="application/json"' in body
    assert "vendor/echarts.min.js" in body and "cockpit/cockpit.js" in body
    assert "<script>" not in body and "style=" not in body
    assert "screen-mode" in body and "退出大屏" in body


def test_the_leader_instructs_and_the_office_supervises_from_the_cockpit(client, small):
    task = Task.objects.filter(is_leaf=True, status="in_progress").order_by("pk").first()
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    client.force_login(small.leader)
    response = client.post(
        "/cockpit/instruct/", {"task": task.pk, "text": "请于本周内拿出整改方案", "due_date": due, "next": "/cockpit/"}
    )
    assert response.status_code == 302 and response["Location"] == "/cockpit/"
    instruction = Instruction.objects.get(task=task, text="请于本周内拿出整改方案")
    assert list(instruction.target_units.all()) == [task.lead_unit]
    page = client.get("/cockpit/").content.decode()
    assert "已对“" in page and "作出批示" in page

    client.force_login(small.office)
    assert client.post("/cockpit/instruct/", {"task": task.pk, "text": "x", "due_date": due}).status_code == 403
    client.post("/cockpit/supervise/", {"task": task.pk, "level": 4, "reason": "挂牌督办：逾期未整改"})
    assert Notice.objects.filter(task=task, level=4, state="open").exists()
    data = client.get("/api/cockpit/").json()
    assert any(item["task_id"] == task.pk for item in data["listed"]["items"])

    client.force_login(small.auditor)
    assert client.post("/cockpit/supervise/", {"task": task.pk, "level": 1, "reason": "x"}).status_code == 403


def test_an_action_without_a_task_says_what_is_missing(client, small):
    client.force_login(small.leader)
    response = client.post("/cockpit/instruct/", {"text": "请推进", "due_date": "2020-01-01"}, follow=True)
    assert "请选择任务" in response.content.decode()
    task = Task.objects.filter(is_leaf=True, status="in_progress").order_by("pk").first()
    response = client.post(
        "/cockpit/instruct/", {"task": task.pk, "text": "请推进", "due_date": "2020-01-01"}, follow=True
    )
    assert "回复时限不能早于今天" in response.content.decode()


def test_task_search_for_the_action_forms(client, small):
    client.force_login(small.leader)
    task = Task.objects.filter(is_leaf=True, status="in_progress").order_by("pk").first()
    results = client.get(f"/api/cockpit/tasks/?q={task.code}").json()["results"]
    assert results[0]["id"] == task.pk and results[0]["unit"] == task.lead_unit.name


def test_seed_scale_builds_a_consistent_tree_and_refuses_to_run_twice(small):
    tasks = {t.code: t for t in Task.objects.all()}
    code_of = {t.pk: code for code, t in tasks.items()}
    assert sum(1 for t in tasks.values() if t.is_leaf) == 30
    for code, t in tasks.items():
        assert code_of.get(t.parent_id) == tree.parent_code(code)
        assert t.depth == tree.depth_of(code) and t.sort_key == tree.task_sort_key(t.programme_id, code)
        assert t.is_leaf == (not any(c.parent_id == t.pk for c in tasks.values()))
    assert {t.status for t in tasks.values() if t.is_leaf} >= {"in_progress", "closed"}
    with pytest.raises(CommandError, match="任务清单不为空"):
        call_command("seed_scale", "--items", "20")


def test_seed_scale_refuses_production_settings(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "reform.settings.production")
    with pytest.raises(CommandError, match="生产环境禁止"):
        call_command("seed_scale", "--items", "20")


def test_a_role_less_account_is_refused(client, small):
    user = make_user(Role.UNIT_ADMIN, unit=None, username="orphan_admin")
    client.force_login(user)
    assert client.get("/api/cockpit/").status_code == 403
