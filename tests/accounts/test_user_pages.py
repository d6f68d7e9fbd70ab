"""Account management pages (账号管理): the office for every unit, a unit admin for its own unit subtree."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import Role, make_unit, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
OLD_PASSWORD = "pw-Strong-2026!"  # tests.factories


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown_password(response) -> str:
    match = re.search(r'<code class="otp" id="otp">([^<]+)</code>', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


def test_a_unit_admin_lists_only_its_unit_subtree_accounts(dsj, jxj, dsj_admin, dsj_handler, jxj_handler, office_user):
    street = make_unit("大数据局直属中心", parent=dsj)
    make_user(Role.UNIT_HANDLER, unit=street, username="zx_handler")

    response = logged_in(dsj_admin).get("/accounts/users/")

    assert response.status_code == 200
    listed = [u.username for u in response.context["users"]]
    assert sorted(listed) == ["dsj_admin", "dsj_handler", "zx_handler"]
    html = response.content.decode()
    assert "账号管理" in html and "新建账号" in html
    # The unit choices are the admin's subtree only, and the roles are the unit roles only.
    assert {u.name for u in response.context["form"].fields["unit"].queryset} == {"市大数据局", "大数据局直属中心"}
    assert [v for v, _label in response.context["form"].fields["role"].choices] == ["unit_admin", "unit_handler"]


def test_a_unit_admin_creates_a_handler_who_must_change_the_password_at_first_login(dsj, dsj_admin):
    response = logged_in(dsj_admin).post(
        "/accounts/users/", {"username": "wang_jb", "full_name": "王经办", "unit": dsj.pk, "role": "unit_handler"}
    )

    assert response.status_code == 200
    assert "账号已创建" in response.content.decode() and "只显示这一次" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    password = shown_password(response)
    user = User.objects.get(username="wang_jb")
    assert (user.full_name, user.unit, user.role, user.must_change_password) == ("王经办", dsj, "unit_handler", True)
    assert user.check_password(password)
    entry = TraceEntry.objects.get(action="user.create")
    assert entry.actor == dsj_admin and password not in str(entry.payload)
    # First login with the one-time password lands on the password change page.
    client = Client()
    login = client.post("/accounts/login/", {"username": "wang_jb", "password": password}, follow=True)
    assert login.redirect_chain[-1][0].startswith("/accounts/password_change/"), login.redirect_chain


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "dsj_handler", "full_name": "重名"}, "username", "用户名“dsj_handler”已存在"),
        ({"username": "bad name!", "full_name": "某人"}, "username", "用户名只能包含字母、数字和 @/./+/-/_ 字符"),
        ({"username": "x1", "full_name": "某人", "role": "office"}, "role", None),  # not a unit role: not offered
        ({"username": "x2", "full_name": "某人", "unit": "foreign"}, "unit", None),  # outside the subtree
        ({"username": "x3", "full_name": ""}, "full_name", None),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    dsj, jxj, dsj_admin, dsj_handler, data, field, message
):
    before = User.objects.count()
    post = {"unit": dsj.pk, "role": "unit_handler", **data}
    if post["unit"] == "foreign":
        post["unit"] = jxj.pk

    response = logged_in(dsj_admin).post("/accounts/users/", post)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    if message:
        assert message in errors[field]
        assert message in response.content.decode()
    assert User.objects.count() == before and not TraceEntry.objects.filter(action="user.create").exists()


def test_the_office_creates_any_role_for_any_unit(jxj, office_user):
    response = logged_in(office_user).post(
        "/accounts/users/", {"username": "new_leader", "full_name": "新领导", "unit": "", "role": "leader"}
    )

    assert response.status_code == 200, response.content.decode()
    assert User.objects.get(username="new_leader").role == Role.LEADER


def test_resetting_a_password_shows_a_new_one_once_and_the_old_one_stops_working(dsj_admin, dsj_handler):
    handler_session = logged_in(dsj_handler)
    assert handler_session.get("/tasks/").status_code == 200

    response = logged_in(dsj_admin).post(f"/accounts/users/{dsj_handler.pk}/reset-password/")

    assert response.status_code == 200
    assert "密码已重置" in response.content.decode() and "no-store" in response["Cache-Control"]
    password = shown_password(response)
    dsj_handler.refresh_from_db()
    assert dsj_handler.check_password(password) and not dsj_handler.check_password(OLD_PASSWORD)
    assert dsj_handler.must_change_password
    assert handler_session.get("/tasks/").status_code == 302  # the old session has ended
    assert TraceEntry.objects.filter(action="user.reset_password", actor=dsj_admin).count() == 1


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("dsj_admin", "jxj_handler", 404),  # another unit's account: as if it did not exist
        ("dsj_admin", "office_user", 404),  # not a unit account: outside what a unit admin manages
        ("dsj_handler", "dsj_handler", 403),  # handlers manage no accounts
        ("leader_user", "dsj_handler", 403),
        ("auditor_user", "dsj_handler", 403),
    ],
)
def test_reset_outside_what_one_manages_is_refused(request, actor, target, status):
    target_user = request.getfixturevalue(target)

    response = logged_in(request.getfixturevalue(actor)).post(f"/accounts/users/{target_user.pk}/reset-password/")

    assert response.status_code == status
    target_user.refresh_from_db()
    assert target_user.check_password(OLD_PASSWORD)


@pytest.mark.parametrize("actor", ["dsj_handler", "leader_user", "auditor_user"])
def test_roles_without_account_management_get_403_and_no_menu_entry(request, actor):
    client = logged_in(request.getfixturevalue(actor))

    assert client.get("/accounts/users/").status_code == 403
    assert "账号管理" not in client.get("/tasks/").content.decode()


def test_the_account_list_costs_the_same_queries_at_two_sizes(dsj, office_user):
    client = logged_in(office_user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/users/").status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        make_user(Role.UNIT_HANDLER, unit=dsj, username=f"small_{n}")
    small = queries()
    for n in range(30):
        make_user(Role.UNIT_HANDLER, unit=make_unit(), username=f"large_{n}")
    assert queries() == small
