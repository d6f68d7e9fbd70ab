"""The task list and task detail pages: scope, filters, the light's reason, the timeline, query counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tasks_app.models import Task
from tasks_app.workflow import Status
from tests.factories import Role, make_task, make_unit, make_user
from tests.tasks_app.workflow_helpers import drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(dsj, jxj, office_user, dsj_handler):
    make_task("1", lead_unit=dsj, title="一体化智能化公共数据平台")
    late = make_task(
        "1.1",
        lead_unit=dsj,
        title="数据归集",
        start_date=date.today() - timedelta(days=60),
        deadline=date.today() - timedelta(days=2),
    )
    make_task("2", lead_unit=jxj, title="数字经济核心产业")
    drive(late, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    return late


def test_unit_handler_sees_only_its_units_tasks(client, programme, dsj_handler):
    client.force_login(dsj_handler)
    body = client.get("/tasks/").content.decode()
    assert "一体化智能化公共数据平台" in body and "数据归集" in body
    assert "数字经济核心产业" not in body


def test_office_filters_by_light_and_sees_the_reason(client, programme, office_user):
    client.force_login(office_user)
    body = client.get("/tasks/?rag=red").content.decode()
    assert "数据归集" in body and "数字经济核心产业" not in body
    assert "已逾期 2 天" in body


def test_detail_shows_breadcrumbs_light_and_timeline(client, programme, office_user):
    client.force_login(office_user)
    body = client.get(f"/tasks/{programme.pk}/").content.decode()
    assert "一体化智能化公共数据平台" in body  # breadcrumb to the parent
    assert "已逾期 2 天" in body
    for label in ("创建任务", "交办", "签收"):
        assert label in body
    assert "草稿 → 已交办" in body


def test_foreign_unit_gets_404_on_the_detail(client, programme, city):
    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city))
    client.force_login(outsider)
    assert client.get(f"/tasks/{programme.pk}/").status_code == 404
    assert client.get("/tasks/999999/").status_code == 404


def test_keyset_pagination(client, dsj, office_user):
    for i in range(1, 56):
        make_task(str(i), lead_unit=dsj)
    client.force_login(office_user)
    first = client.get("/tasks/")
    assert len(first.context["rows"]) == 50 and first.context["next_url"]
    second = client.get("/tasks/" + first.context["next_url"])
    assert [t.code for t in second.context["rows"]] == [str(i) for i in range(51, 56)]


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_list_and_page_queries_are_the_same_at_two_sizes(client, dsj, jxj, office_user, dsj_handler):
    # and for a district's office, scoped to 市大数据局's subtree (issue 16)
    scoped_office = make_user(Role.OFFICE, unit=dsj, scope=dsj, username="scoped_office")
    make_task("1", lead_unit=dsj)
    counts = {}
    for size in (5, 60):
        for i in range(Task.objects.count(), size + 1):
            make_task(f"1.{i}", lead_unit=dsj if i % 2 else jxj, cooperating_units=(jxj,))
        root = Task.objects.get(code="1").pk
        for user in (office_user, dsj_handler, scoped_office):
            client.force_login(user)
            counts[(size, user.username, "list")] = _queries(client, "/tasks/")
            counts[(size, user.username, "sorted")] = _queries(client, "/tasks/?sort=light&rag=green&unit=1")
            counts[(size, user.username, "page")] = _queries(client, f"/tasks/{root}/")
    for key, value in counts.items():
        if key[0] == 60:
            assert value == counts[(5, *key[1:])], key
    # Session, user and role, the rows, programmes, units and domains for the filters, the bell; the
    # session touch; for a scoped office, its scope.
    assert max(v for k, v in counts.items() if k[2] != "page" and k[1] != "scoped_office") <= 13
    assert max(v for k, v in counts.items() if k[2] != "page") <= 14
    assert max(v for k, v in counts.items() if k[2] == "page" and k[1] != "scoped_office") <= 27
    assert max(v for k, v in counts.items() if k[2] == "page") <= 28
