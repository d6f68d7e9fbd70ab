"""User management and per-task sharing: who may do it, what it checks, what it traces."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from knox.models import AuthToken

from accounts.models import User
from accounts.services import token_issue, user_create, user_reset_password
from reform.errors import NotFound, PermissionDenied, ValidationError
from tasks_app.access import visible_tasks
from tasks_app.services import task_share, task_unshare
from tests.factories import Role, make_task, make_unit, make_user
from trail.events import label_of
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
OTP = "Temp-Pass-2026"  # a one-time password that passes the validators


def create(actor, **overrides):
    values = {
        "username": "zhangsan",
        "full_name": "张三",
        "unit": None,
        "role": Role.UNIT_HANDLER,
        "one_time_password": OTP,
    }
    return user_create(actor=actor, **{**values, **overrides})


def traced(action: str) -> list[TraceEntry]:
    return list(TraceEntry.objects.filter(action=action).order_by("seq"))


# --- user_create -------------------------------------------------------------------------------


def test_office_creates_any_role_with_a_one_time_password(office_user, dsj):
    user = create(office_user, unit=dsj)

    assert (user.username, user.full_name, user.unit, user.role) == ("zhangsan", "张三", dsj, Role.UNIT_HANDLER)
    assert user.must_change_password and user.check_password(OTP)
    assert not (user.is_staff or user.is_superuser)
    assert create(office_user, username="lingdao", role=Role.LEADER).role == Role.LEADER
    assert create(office_user, username="shenji", role=Role.AUDITOR).role == Role.AUDITOR
    entry = traced("user.create")[0]
    assert entry.actor == office_user and entry.object_id == str(user.pk)
    assert entry.payload == {
        "username": "zhangsan",
        "full_name": "张三",
        "role": "unit_handler",
        "unit": "市大数据局",
        "unit_id": dsj.pk,
    }
    assert OTP not in str(entry.payload)


def test_new_user_must_change_the_one_time_password_at_first_login(office_user, dsj):
    create(office_user, unit=dsj)
    client = Client()
    assert client.post("/accounts/login/", {"username": "zhangsan", "password": OTP}).status_code == 302
    assert client.get("/tasks/")["Location"] == "/accounts/password_change/"


def test_unit_admin_creates_unit_users_in_its_subtree(dsj_admin, dsj):
    district = make_unit("区大数据中心", parent=dsj, level="county")
    assert create(dsj_admin, unit=dsj).role == Role.UNIT_HANDLER
    assert create(dsj_admin, username="lisi", unit=district, role=Role.UNIT_ADMIN).unit == district


def test_unit_admin_cannot_reach_another_unit(dsj_admin, jxj, city):
    for unit in (jxj, city):  # a sibling, and the unit above its own
        with pytest.raises(NotFound, match="单位不存在或不在您的管理范围内"):
            create(dsj_admin, unit=unit)
    assert not User.objects.filter(username="zhangsan").exists()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.LEADER, Role.AUDITOR])
def test_unit_admin_cannot_create_global_roles(dsj_admin, dsj, role):
    with pytest.raises(PermissionDenied, match="单位管理员只能创建单位管理员或单位经办人账号"):
        create(dsj_admin, unit=dsj, role=role)
    assert not traced("user.create")


@pytest.mark.parametrize("actor", ["dsj_handler", "leader_user", "auditor_user"])
def test_other_roles_may_not_create_users(request, actor, dsj):
    with pytest.raises(PermissionDenied, match="^您的角色无权创建用户$"):
        create(request.getfixturevalue(actor), unit=dsj)


def test_create_reports_every_problem_at_once_and_saves_nothing(office_user):
    make_user(Role.UNIT_HANDLER, username="Taken")
    before = User.objects.count()
    with pytest.raises(ValidationError) as err:
        create(office_user, username="taken", full_name=" ", unit=None, one_time_password="12345678")

    assert err.value.fields == {
        "username": ["用户名“taken”已存在"],
        "full_name": ["请填写姓名"],
        "unit": ["单位账号必须指定所属单位"],
        "one_time_password": [
            "密码太短，至少需要 10 个字符。",
            "密码须包含大写字母、小写字母、数字、符号中的至少 3 种。",
            "这个密码太常见了。",
            "密码只包含数字。",
        ],
    }
    assert err.value.message.startswith("用户名“taken”已存在；请填写姓名；")
    assert User.objects.count() == before and not traced("user.create")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "张 三"}, "username", "用户名只能包含字母、数字和 @/./+/-/_ 字符"),
        ({"username": ""}, "username", "请填写用户名"),
        ({"role": "superuser"}, "role", "角色无效"),
        ({"one_time_password": "zhangsan2026!"}, "one_time_password", "密码跟 用户名 太相似了。"),
        ({"one_time_password": "alllowercaseletters"}, "one_time_password", "至少 3 种"),
    ],
)
def test_create_validation(office_user, dsj, overrides, field, message):
    with pytest.raises(ValidationError) as err:
        create(office_user, unit=dsj, **overrides)
    assert message in " ".join(err.value.fields[field])


# --- user_reset_password -----------------------------------------------------------------------


def test_reset_sets_a_one_time_password_and_ends_sessions_tokens_and_lockouts(office_user, dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="forgot")
    session = Client()
    session.force_login(user)
    assert session.get("/tasks/").status_code == 200
    token_issue(user=user)
    locked = Client()
    for _ in range(5):
        locked.post("/accounts/login/", {"username": "forgot", "password": "wrong"})
    assert locked.post("/accounts/login/", {"username": "forgot", "password": "x"}).status_code == 429

    user_reset_password(actor=office_user, user=user, one_time_password=OTP)

    user.refresh_from_db()
    assert user.must_change_password and user.check_password(OTP)
    assert session.get("/tasks/").status_code == 302  # the old session no longer matches the password
    assert not AuthToken.objects.filter(user=user).exists()
    assert not AccessAttempt.objects.filter(username="forgot").exists()
    assert locked.post("/accounts/login/", {"username": "forgot", "password": OTP}).status_code == 302
    [entry] = traced("user.reset_password")
    assert entry.actor == office_user and entry.object_id == str(user.pk)
    assert entry.payload == {"username": "forgot", "tokens_revoked": 1, "lockouts_lifted": 1}


def test_unit_admin_resets_only_its_subtree_unit_users(dsj_admin, dsj_handler, jxj_handler, leader_user, dsj):
    user_reset_password(actor=dsj_admin, user=dsj_handler, one_time_password=OTP)
    with pytest.raises(NotFound, match="用户不存在或不在您的管理范围内"):
        user_reset_password(actor=dsj_admin, user=jxj_handler, one_time_password=OTP)
    with pytest.raises(NotFound):
        user_reset_password(actor=dsj_admin, user=leader_user, one_time_password=OTP)  # city is above dsj
    office_in_dsj = make_user(Role.OFFICE, unit=dsj, username="office_in_dsj")
    with pytest.raises(PermissionDenied, match="单位管理员只能重置单位账号的密码"):
        user_reset_password(actor=dsj_admin, user=office_in_dsj, one_time_password=OTP)
    assert len(traced("user.reset_password")) == 1


@pytest.mark.parametrize("actor", ["dsj_handler", "leader_user", "auditor_user"])
def test_other_roles_may_not_reset_passwords(request, actor, jxj_handler):
    with pytest.raises(PermissionDenied, match="^您的角色无权重置密码$"):
        user_reset_password(actor=request.getfixturevalue(actor), user=jxj_handler, one_time_password=OTP)


def test_office_cannot_take_over_an_administrator_account(office_user):
    admin = make_user(Role.OFFICE, username="root", is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied, match="系统管理员账号的密码不能在此重置"):
        user_reset_password(actor=office_user, user=admin, one_time_password=OTP)
    admin.refresh_from_db()
    assert not admin.check_password(OTP)


def test_reset_refuses_a_weak_password_and_changes_nothing(office_user, jxj_handler):
    with pytest.raises(ValidationError) as err:
        user_reset_password(actor=office_user, user=jxj_handler, one_time_password="password")
    assert err.value.fields["one_time_password"][0] == "密码太短，至少需要 10 个字符。"
    jxj_handler.refresh_from_db()
    assert jxj_handler.check_password("pw-Strong-2026!") and not jxj_handler.must_change_password


# --- task_share / task_unshare -----------------------------------------------------------------


@pytest.fixture
def jxj_task(jxj):
    return make_task("7", lead_unit=jxj)


def test_office_shares_one_task_with_one_user(office_user, dsj_handler, jxj_task, jxj):
    other = make_task("8", lead_unit=jxj)
    assert jxj_task not in visible_tasks(dsj_handler)

    assert task_share(actor=office_user, task=jxj_task, user=dsj_handler) is True
    assert task_share(actor=office_user, task=jxj_task, user=dsj_handler) is False  # already shared: no-op

    assert set(visible_tasks(dsj_handler).filter(code__in=["7", "8"])) == {jxj_task}
    assert other not in visible_tasks(dsj_handler)
    [entry] = traced("task.share")
    assert (entry.actor, entry.task_id) == (office_user, jxj_task.pk)
    assert entry.payload == {"user": "dsj_handler", "user_id": dsj_handler.pk}
    assert label_of("task.share") == "授权查看"


def test_unshare_withdraws_the_grant(office_user, dsj_handler, jxj_task):
    task_share(actor=office_user, task=jxj_task, user=dsj_handler)
    assert task_unshare(actor=office_user, task=jxj_task, user=dsj_handler) is True
    assert task_unshare(actor=office_user, task=jxj_task, user=dsj_handler) is False
    assert jxj_task not in visible_tasks(dsj_handler)
    assert [e.action for e in TraceEntry.objects.filter(task=jxj_task, action__startswith="task.")][-2:] == [
        "task.share",
        "task.unshare",
    ]


@pytest.mark.parametrize(
    ("actor", "error", "message"),
    [
        ("leader_user", PermissionDenied, "^您的角色无权授权查看任务$"),
        ("auditor_user", PermissionDenied, "^您的角色无权授权查看任务$"),
        # A unit user cannot see another unit's task: scope is checked before role (404, not 403).
        ("dsj_admin", NotFound, None),
        ("dsj_handler", NotFound, None),
    ],
)
def test_only_the_office_may_share(request, actor, error, message, jxj_task, jxj_handler, dsj):
    viewer = make_user(Role.UNIT_HANDLER, unit=dsj, username="viewer")
    with pytest.raises(error, match=message):
        task_share(actor=request.getfixturevalue(actor), task=jxj_task, user=viewer)
    assert jxj_task not in visible_tasks(viewer)


def test_sharing_with_someone_who_sees_everything_or_an_inactive_user_is_refused(
    office_user, leader_user, jxj_task, dsj
):
    with pytest.raises(ValidationError, match="该用户本就可以查看全部任务，无需授权"):
        task_share(actor=office_user, task=jxj_task, user=leader_user)
    gone = make_user(Role.UNIT_HANDLER, unit=dsj, username="gone", is_active=False)
    with pytest.raises(ValidationError, match="只能授权给已启用且有角色的用户"):
        task_share(actor=office_user, task=jxj_task, user=gone)
    assert not traced("task.share")
