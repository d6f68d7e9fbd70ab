"""Account management (安全管理员 duties in the app): create users, reset passwords, share a task.

The supervision office manages every account; a unit admin manages only unit accounts of its own
unit subtree. A unit or user outside the actor's reach answers 404 like a missing one; a role that
may never manage accounts gets 403. Passwords never enter the trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from reform.errors import NotFound, PermissionDenied, ValidationError

from .access import VIEW_TASK_PERM, get_visible_task, require_role, require_role_on_task, sees_everything
from .models import UNIT_ROLES, Role, User

if TYPE_CHECKING:
    from orgs.models import OrgUnit
    from tasks_app.models import Task

USER_MANAGERS = frozenset({Role.OFFICE, Role.UNIT_ADMIN})


def _in_subtree(actor: User, unit: OrgUnit | None) -> bool:
    return unit is not None and actor.unit is not None and unit.path.startswith(actor.unit.path)


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        return [str(m) for m in exc.messages]
    return []


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError("；".join(m for messages in errors.values() for m in messages), fields=errors)


ONE_TIME_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def new_one_time_password(length: int = 12) -> str:
    """A random password that passes the validators: no look-alike characters, with upper, lower and digits."""
    import secrets

    while True:
        password = "".join(secrets.choice(ONE_TIME_PASSWORD_ALPHABET) for _position in range(length))
        if (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def user_create(
    *,
    actor: User,
    username: str,
    full_name: str,
    unit: OrgUnit | None,
    role: str,
    one_time_password: str,
) -> User:
    """Create an account with a one-time password that must be changed at first login."""
    require_role(actor, USER_MANAGERS, _("创建用户"))
    if actor.role == Role.UNIT_ADMIN:
        if unit is not None and not _in_subtree(actor, unit):
            raise NotFound(_("单位不存在或不在您的管理范围内"))
        if role not in UNIT_ROLES:
            raise PermissionDenied(_("单位管理员只能创建单位管理员或单位经办人账号"))

    username = (username or "").strip()
    full_name = (full_name or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_("请填写用户名")]
    elif len(username) > 150:
        errors["username"] = [_("用户名不能超过 150 个字符")]
    else:
        try:
            UnicodeUsernameValidator()(username)
        except DjangoValidationError:
            errors["username"] = [_("用户名只能包含字母、数字和 @/./+/-/_ 字符")]
        else:
            if User.objects.filter(username__iexact=username).exists():
                errors["username"] = [_("用户名“%(name)s”已存在") % {"name": username}]
    if not full_name:
        errors["full_name"] = [_("请填写姓名")]
    elif len(full_name) > 64:
        errors["full_name"] = [_("姓名不能超过 64 个字符")]
    if role not in Role.values:
        errors["role"] = [_("角色无效")]
    elif role in UNIT_ROLES and unit is None:
        errors["unit"] = [_("单位账号必须指定所属单位")]
    user = User(username=username, full_name=full_name, unit=unit, must_change_password=True)
    if password_errors := _password_errors(one_time_password, user):
        errors["one_time_password"] = password_errors
    _raise_if(errors)

    user.set_password(one_time_password)
    try:
        with transaction.atomic():
            user.save()
            user.groups.add(Group.objects.get(name=role))
            from tasks_app import events

            events.record(
                actor=actor,
                action="user.create",
                obj=user,
                payload={
                    "username": username,
                    "full_name": full_name,
                    "role": role,
                    "unit": unit.name if unit is not None else "",
                    "unit_id": unit.pk if unit is not None else None,
                },
            )
    except IntegrityError as exc:  # a concurrent create of the same username
        message = _("用户名“%(name)s”已存在") % {"name": username}
        raise ValidationError(message, fields={"username": [message]}) from exc
    return user


def user_reset_password(*, actor: User, user: User, one_time_password: str) -> User:
    """Set a one-time password, end the user's sessions and API tokens, and lift its login lockouts."""
    require_role(actor, USER_MANAGERS, _("重置密码"))
    with transaction.atomic():
        target = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
        if target is None or (actor.role == Role.UNIT_ADMIN and not _in_subtree(actor, target.unit)):
            raise NotFound(_("用户不存在或不在您的管理范围内"))
        if actor.role == Role.UNIT_ADMIN and target.role not in UNIT_ROLES:
            raise PermissionDenied(_("单位管理员只能重置单位账号的密码"))
        if target.is_superuser or target.is_staff:
            raise PermissionDenied(_("系统管理员账号的密码不能在此重置"))
        if errors := _password_errors(one_time_password, target):
            _raise_if({"one_time_password": errors})

        # A new password hash changes the session auth hash, so existing sessions end at their next request.
        target.set_password(one_time_password)
        target.must_change_password = True
        target.save(update_fields=["password", "must_change_password"])
        from axes.utils import reset as axes_reset
        from rest_framework.authtoken.models import Token

        tokens_revoked, _detail = Token.objects.filter(user=target).delete()
        lockouts_lifted = axes_reset(username=target.username)
        from tasks_app import events

        events.record(
            actor=actor,
            action="user.reset_password",
            obj=target,
            payload={
                "username": target.username,
                "tokens_revoked": tokens_revoked,
                "lockouts_lifted": lockouts_lifted,
            },
        )
    return target


def _granted(user: User, task: Task) -> bool:
    from guardian.models import UserObjectPermission

    # The same per-user grants that accounts.access.visible_tasks honours (not group grants).
    return UserObjectPermission.objects.filter(
        user_id=user.pk,
        permission__codename="view_task",
        content_type__app_label="tasks_app",
        content_type__model="task",
        object_pk=str(task.pk),
    ).exists()


def _share_target(user: User) -> User:
    target = User.objects.filter(pk=user.pk, is_active=True).first()
    if target is None or target.role is None:
        raise ValidationError(_("只能授权给已启用且有角色的用户"), fields={"user": [_("用户无效")]})
    return target


def task_share(*, actor: User, task: Task, user: User) -> bool:
    """Let ``user`` see ``task`` (a django-guardian ``view_task`` grant); return False if it already could."""
    from guardian.shortcuts import assign_perm

    require_role_on_task(actor, task.pk, {Role.OFFICE}, _("授权查看任务"))
    task = get_visible_task(actor, task.pk)
    target = _share_target(user)
    if sees_everything(target):
        raise ValidationError(_("该用户本就可以查看全部任务，无需授权"), fields={"user": [_("无需授权")]})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()  # one grant (and trace entry) at a time
        if _granted(target, task):
            return False
        assign_perm(VIEW_TASK_PERM, target, task)
        from tasks_app import events

        events.record(
            actor=actor,
            action="task.share",
            obj=task,
            payload={"user": target.username, "user_id": target.pk},
        )
    return True


def task_unshare(*, actor: User, task: Task, user: User) -> bool:
    """Withdraw a ``view_task`` grant; return False if there was none. Unit scoping is unaffected."""
    from guardian.shortcuts import remove_perm

    require_role_on_task(actor, task.pk, {Role.OFFICE}, _("撤销任务授权"))
    task = get_visible_task(actor, task.pk)
    target = User.objects.filter(pk=user.pk).first()
    if target is None:
        raise NotFound(_("用户不存在"))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()
        if not _granted(target, task):
            return False
        remove_perm(VIEW_TASK_PERM, target, task)
        from tasks_app import events

        events.record(
            actor=actor,
            action="task.unshare",
            obj=task,
            payload={"user": target.username, "user_id": target.pk},
        )
    return True
