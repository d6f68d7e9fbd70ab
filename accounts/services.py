"""Account management (安全管理员 duties in the app): create users, reset passwords, share a task.

The supervision office manages every account; a unit admin manages only unit accounts of its own
unit subtree. A unit or user outside the actor's reach answers 404 like a missing one; a role that
may never manage accounts gets 403. Passwords never enter the trace.
"""

from __future__ import annotations

import secrets

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from knox.models import AuthToken

from orgs.models import OrgUnit
from reform.errors import NotFound, PermissionDenied, ValidationError
from reform.roles import UNIT_ROLES, Role, require_role

from . import events
from .models import SCOPED_ROLES, User
from .usernames import full_name_problem, normalise, username_problem

USER_MANAGERS = frozenset({Role.OFFICE, Role.UNIT_ADMIN})


def _in_subtree(actor: User, unit: OrgUnit | None) -> bool:
    """Whether ``unit`` lies in what the account manager governs (the city office governs everything)."""
    if actor.governs_all:
        return True
    jurisdiction = actor.jurisdiction
    return unit is not None and jurisdiction is not None and jurisdiction.contains(unit)


def _managed(actor: User, target: User) -> bool:
    """Whether ``target`` is an account ``actor`` manages (the same rule as the account list)."""
    if actor.governs_all:
        return True
    if actor.role != Role.UNIT_ADMIN and target.role in SCOPED_ROLES:
        # A district office: the accounts scoped within its district (a unit admin: unit accounts only).
        return target.scope is not None and _in_subtree(actor, target.scope)
    return _in_subtree(actor, target.unit)


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
    scope: OrgUnit | None = None,
) -> User:
    """Create an account with a one-time password that must be changed at first login.

    A leader's, office's or auditor's ``scope`` is the unit subtree the role covers (None: every unit,
    which only the city office may grant); a district office creates accounts within its district.
    """
    require_role(actor, USER_MANAGERS, _("创建用户"))
    if unit is not None and not _in_subtree(actor, unit):
        raise NotFound(_("单位不存在或不在您的管理范围内"))
    if actor.role == Role.UNIT_ADMIN and role not in UNIT_ROLES:
        raise PermissionDenied(_("单位管理员只能创建单位管理员或单位经办人账号"))
    if role in SCOPED_ROLES and not actor.governs_all:
        if scope is None:
            scope = actor.jurisdiction  # a district office's accounts cover at most its district
        elif not _in_subtree(actor, scope):
            raise NotFound(_("管辖范围不在您的管理范围内"))
    if role not in SCOPED_ROLES:
        scope = None

    username = normalise(username)  # full-width ｄsj_handler is dsj_handler
    full_name = normalise(full_name)
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
            elif problem := username_problem(username, User.objects.values_list("username", flat=True)):
                errors["username"] = [problem]
    if not full_name:
        errors["full_name"] = [_("请填写姓名")]
    elif len(full_name) > 64:
        errors["full_name"] = [_("姓名不能超过 64 个字符")]
    elif problem := full_name_problem(full_name, User.objects.values_list("username", flat=True)):
        errors["full_name"] = [problem]
    if role not in Role.values:
        errors["role"] = [_("角色无效")]
    elif role in UNIT_ROLES and unit is None:
        errors["unit"] = [_("单位账号必须指定所属单位")]
    user = User(username=username, full_name=full_name, unit=unit, scope=scope, must_change_password=True)
    if password_errors := _password_errors(one_time_password, user):
        errors["one_time_password"] = password_errors
    _raise_if(errors)

    user.set_password(one_time_password)
    try:
        with transaction.atomic():
            user.save()
            user.groups.add(Group.objects.get(name=role))
            events.USER_CREATED(
                actor=actor,
                obj=user,
                payload={
                    "username": username,
                    "full_name": full_name,
                    "role": role,
                    "unit": unit.name if unit is not None else "",
                    "unit_id": unit.pk if unit is not None else None,
                    **({"scope": scope.name} if scope is not None else {}),
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
        if target is None or not _managed(actor, target):
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
        tokens_revoked = _end_tokens(target)
        lockouts_lifted = axes_reset(username=target.username)
        events.PASSWORD_RESET(
            actor=actor,
            obj=target,
            payload={
                "username": target.username,
                "tokens_revoked": tokens_revoked,
                "lockouts_lifted": lockouts_lifted,
            },
        )
    return target


# --- API tokens ---------------------------------------------------------------------------------------


def _end_tokens(user: User) -> int:
    deleted, _detail = AuthToken.objects.filter(user=user).delete()
    return deleted


def token_issue(*, user: User) -> str:
    """A new API token for ``user`` (whose credentials the caller has checked); return its key, shown once.

    Only the digest is stored. A user holds at most ``API_TOKEN_LIMIT_PER_USER`` tokens: the oldest go.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one issue at a time per user
        kept = settings.API_TOKEN_LIMIT_PER_USER - 1
        older = list(AuthToken.objects.filter(user=user).order_by("-created").values_list("digest", flat=True)[kept:])
        AuthToken.objects.filter(digest__in=older).delete()
        _token, key = AuthToken.objects.create(user=user)
    return key


def token_revoke(*, actor: User, token_key: str) -> None:
    """End one of the actor's own tokens, named by its public prefix (another user's looks missing: 404)."""
    with transaction.atomic():
        deleted, _detail = AuthToken.objects.filter(user=actor, token_key=token_key).delete()
        if not deleted:
            raise NotFound(_("令牌不存在或已失效"))
        events.TOKEN_REVOKED(actor=actor, obj=actor, payload={"username": actor.username, "token": token_key[:8]})


def password_changed(*, user: User) -> int:
    """After the user changed their own password: every API token ends (sessions end by the auth hash)."""
    with transaction.atomic():
        revoked = _end_tokens(user)
        events.PASSWORD_CHANGED(actor=user, obj=user, payload={"username": user.username, "tokens_revoked": revoked})
    return revoked
