"""Token auth (under the login lockout), who am I, units, ranking and notifications."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tasks_app import services
from tasks_app.models import Notification
from tests.factories import Role, make_task, make_unit, make_user
from trail.models import TraceEntry

from .conftest import assert_error

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Strong-2026!"
TZ = ZoneInfo("Asia/Shanghai")


def get_token(username: str, password: str, ip: str = "10.1.0.1"):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


# --- Token ---------------------------------------------------------------------------------------


def test_a_token_opens_the_api_and_the_login_is_traced(dsj_handler, item):
    response = get_token("dsj_handler", PASSWORD)

    assert response.status_code == 200, response.content.decode()
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me/").json()["username"] == "dsj_handler"
    assert [r["code"] for r in client.get("/api/tasks/").json()["results"]] == ["1", "1.1"]
    assert get_token("dsj_handler", PASSWORD).json()["token"] != token  # a new key every time (issue 21)
    login = TraceEntry.objects.filter(action="auth.login", actor=dsj_handler).last()
    assert login is not None and login.payload.get("via") == "api"


def test_wrong_password_is_400_in_chinese(dsj_handler):
    body = assert_error(get_token("dsj_handler", "wrong"), 400, "invalid", "用户名或密码错误")

    assert body["fields"] == {"password": ["用户名或密码错误"]}
    assert_error(get_token("nobody", "wrong"), 400, "invalid", "用户名或密码错误")
    assert "username" in assert_error(APIClient().post("/api/auth/token/", {}, format="json"), 400, "invalid")["fields"]


def test_five_failures_lock_the_token_endpoint_too(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="victim")
    start = datetime(2026, 11, 23, 9, tzinfo=TZ)
    with time_machine.travel(start, tick=False):
        for _ in range(4):
            assert get_token("victim", "wrong").status_code == 400
        fifth = get_token("victim", "wrong")
        body = assert_error(fifth, 429, "locked_out")
        assert "登录失败次数过多" in body["message"] and "15 分钟" in body["message"]
        assert_error(get_token("victim", PASSWORD), 429, "locked_out")  # even the right password now
        assert get_token("victim", PASSWORD, ip="10.1.0.2").status_code == 200  # another address is not locked
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert get_token("victim", PASSWORD).status_code == 200
    assert TraceEntry.objects.filter(action="auth.lockout").exists()


def test_failures_at_the_login_form_count_for_the_token_endpoint(dsj, client):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="shared")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "shared", "password": "wrong"}, REMOTE_ADDR="10.1.0.1")

    assert_error(get_token("shared", PASSWORD), 429, "locked_out")


def test_a_one_time_password_gets_no_token(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="fresh")
    user.must_change_password = True
    user.save()

    body = assert_error(get_token("fresh", PASSWORD), 403, "password_change_required")

    assert "修改" in body["message"]
    assert not AuthToken.objects.filter(user=user).exists()


def test_without_credentials_the_api_answers_401(item):
    response = APIClient().get("/api/tasks/")

    assert_error(response, 401, "not_authenticated", "请先登录")
    assert response["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error(bad.get("/api/tasks/"), 401, "not_authenticated", "认证令牌无效。")


def test_the_web_session_works_for_reads(dsj_handler, item, client):
    client.force_login(dsj_handler)

    assert client.get("/api/tasks/").status_code == 200


# --- Me, units -----------------------------------------------------------------------------------


def test_me(api, dsj_handler, dsj):
    Notification.objects.create(recipient=dsj_handler, kind="x", title="新批示")

    assert api["dsj_handler"].get("/api/me/").json() == {
        "id": dsj_handler.pk,
        "username": "dsj_handler",
        "full_name": dsj_handler.full_name,
        "role": "unit_handler",
        "role_label": "单位经办人",
        "unit": {"id": dsj.pk, "name": "市大数据局"},
        "unread_notifications": 1,
    }
    assert api["auditor"].get("/api/me/").json()["unit"] is None


def test_units_flat_and_tree(api, city, dsj, jxj):
    street = make_unit("数据中心", parent=dsj, level="street")

    flat = api["jxj_handler"].get("/api/units/").json()
    tree = api["jxj_handler"].get("/api/units/tree/").json()

    assert [(u["name"], u["parent"], u["depth"]) for u in flat] == [
        ("测试市人民政府", None, 0),
        ("市大数据局", city.pk, 1),
        ("数据中心", dsj.pk, 2),
        ("市经信局", city.pk, 1),
    ]
    assert flat[2]["level_label"] == "街镇"
    (root,) = tree
    assert root["name"] == "测试市人民政府"
    assert [c["name"] for c in root["children"]] == ["市大数据局", "市经信局"]
    assert root["children"][0]["children"][0]["id"] == street.pk
    assert root["children"][0]["children"][0]["children"] == []


# --- Ranking -------------------------------------------------------------------------------------


def test_ranking_ranks_units_for_a_period(api, dsj, jxj, office_user):
    today = timezone.localdate()
    make_task("1", lead_unit=dsj, deadline=today - timedelta(days=3))  # overdue: minus 5 points
    make_task("2", lead_unit=jxj, deadline=today + timedelta(days=3))

    data = (
        api["dsj_handler"]
        .get("/api/ranking/", {"start": date(today.year, 1, 1), "end": today + timedelta(days=30)})
        .json()
    )

    assert [(r["rank"], r["unit_name"]) for r in data["rows"]] == [(1, "市经信局"), (2, "市大数据局")]
    assert data["rows"][1]["overdue_count"] == 1
    assert data["domain"] is None
    assert api["office"].get("/api/ranking/", {"domain": "digital_gov"}).json()["domain"] == {
        "code": "digital_gov",
        "name": "数字政府",
    }


def test_ranking_input_errors(api):
    assert_error(
        api["office"].get("/api/ranking/", {"start": "2026-05-01", "end": "2026-04-01"}),
        400,
        "invalid",
        "结束日期不能早于开始日期",
    )
    assert "start" in assert_error(api["office"].get("/api/ranking/", {"start": "soon"}), 400, "invalid")["fields"]
    assert_error(api["office"].get("/api/ranking/", {"domain": "nowhere"}), 400, "invalid", "未知的改革领域：nowhere")


# --- Notifications -------------------------------------------------------------------------------


def test_notifications_list_page_and_mark_read(api, dsj_handler, jxj_handler):
    for n in range(35):
        Notification.objects.create(recipient=dsj_handler, kind="notice.issue", title=f"督办{n}")
    theirs = Notification.objects.create(recipient=jxj_handler, kind="x", title="别人的")
    client = api["dsj_handler"]

    first = client.get("/api/notifications/").json()
    assert [n["title"] for n in first["results"]][:2] == ["督办34", "督办33"]
    assert len(first["results"]) == 30
    second = client.get(first["next"]).json()
    assert [n["title"] for n in second["results"]] == [f"督办{n}" for n in range(4, -1, -1)]
    assert second["next"] is None

    newest = first["results"][0]["id"]
    assert client.post(f"/api/notifications/{newest}/read/").json() == {"updated": 1}
    assert client.post(f"/api/notifications/{newest}/read/").json() == {"updated": 0}
    assert len(client.get("/api/notifications/", {"unread": "true", "page_size": 100}).json()["results"]) == 34
    assert_error(client.post(f"/api/notifications/{theirs.pk}/read/"), 404, "not_found", "消息不存在或无权访问")
    assert client.post("/api/notifications/read-all/").json() == {"updated": 34}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_services_notify_the_lead_unit(api, item, leader_user, dsj_handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.instruction_issue(actor=leader_user, task=item, text="加快推进", due_date=timezone.localdate())

    titles = [n["title"] for n in api["dsj_handler"].get("/api/notifications/").json()["results"]]

    assert titles, "the lead unit's handler is told about the instruction"
