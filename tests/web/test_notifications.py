"""The inbox: the user's own notifications, marking them read, and the unread badge in the nav."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_app.models import Notification
from tests.factories import make_task

from .conftest import body

pytestmark = pytest.mark.django_db


def note(user, title: str, task=None, read: bool = False) -> Notification:
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user, task=task, kind="task.assign", title=title, read_at=timezone.now() if read else None
    )


def test_the_inbox_lists_only_my_notifications_and_the_badge_counts_unread(client, dsj, dsj_handler, jxj_handler):
    task = make_task("1", lead_unit=dsj)
    note(dsj_handler, "新交办任务：1 测试任务1", task)
    note(dsj_handler, "旬报即将到期：1 测试任务1", task, read=True)
    note(jxj_handler, "别人的消息")
    client.force_login(dsj_handler)
    html = body(client.get("/notifications/"))
    assert "新交办任务" in html and "旬报即将到期" in html and "别人的消息" not in html
    assert '<span class="badge">1<span class="sr-only">条未读</span></span>' in html
    assert "别人的消息" not in body(client.get("/notifications/?unread=1"))


def test_mark_one_read_with_and_without_htmx(client, dsj_handler, jxj_handler):
    mine = note(dsj_handler, "甲")
    other = note(dsj_handler, "乙")
    theirs = note(jxj_handler, "丙")
    client.force_login(dsj_handler)
    r = client.post(f"/notifications/{mine.pk}/read/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Trigger"] == "inbox-changed"
    assert 'class="note"' in body(r) and "标为已读" not in body(r)
    r = client.post(f"/notifications/{other.pk}/read/", {"next": "/notifications/"})
    assert r.status_code == 302 and r["Location"] == "/notifications/"
    client.post(f"/notifications/{theirs.pk}/read/")
    assert Notification.objects.get(pk=theirs.pk).read_at is None  # another user's message is untouched
    assert Notification.objects.filter(recipient=dsj_handler, read_at__isnull=True).count() == 0


def test_mark_all_read_and_open_follows_the_link(client, dsj, dsj_handler):
    task = make_task("1", lead_unit=dsj)
    first = note(dsj_handler, "甲", task)
    note(dsj_handler, "乙")
    client.force_login(dsj_handler)
    r = client.get(f"/notifications/{first.pk}/open/")
    assert r.status_code == 302 and r["Location"] == f"/tasks/{task.pk}/"
    assert Notification.objects.get(pk=first.pk).read_at is not None
    r = client.post("/notifications/read/", follow=True)
    assert "已将 1 条消息标为已读" in body(r)
    assert 'class="badge"' not in body(client.get("/notifications/badge/"))


def test_the_badge_costs_one_query(client, dsj_handler):
    for i in range(5):
        note(dsj_handler, f"消息{i}")
    client.force_login(dsj_handler)
    client.get("/notifications/badge/")
    with CaptureQueriesContext(connection) as captured:
        html = body(client.get("/notifications/badge/"))
    assert ">5<" in html
    assert sum("tasks_app_notification" in q["sql"] for q in captured.captured_queries) == 1


def test_inbox_pages_by_keyset(client, dsj_handler):
    for i in range(35):
        note(dsj_handler, f"消息{i:02d}")
    client.force_login(dsj_handler)
    first = client.get("/notifications/")
    assert len(first.context["page"].rows) == 30 and first.context["next_url"]
    second = client.get("/notifications/" + first.context["next_url"])
    assert [n.title for n in second.context["page"].rows] == [f"消息{i:02d}" for i in range(4, -1, -1)]
