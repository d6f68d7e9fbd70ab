"""Per-task view grants (授权查看): the office lets one account see one task outside its unit scope.

The grant is a django-guardian ``view_task`` object permission, which the task access layer honours;
granting and withdrawing are traced.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import User
from reform.errors import NotFound, ValidationError

from .. import access, events
from ..access import VIEW_TASK_PERM
from ..models import Task


def _granted(user: User, task: Task) -> bool:
    # The same per-user grants that access.visible_tasks honours (not group grants).
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
    task = access.check_on_task(actor, task.pk, access.SHARE_TASK)
    target = _share_target(user)
    if access.sees_everything(target):
        raise ValidationError(_("该用户本就可以查看全部任务，无需授权"), fields={"user": [_("无需授权")]})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()  # one grant (and trace entry) at a time
        if _granted(target, task):
            return False
        assign_perm(VIEW_TASK_PERM, target, task)
        events.TASK_SHARED(
            actor=actor,
            task=task,
            payload={"user": target.username, "user_id": target.pk},
        )
    return True


def task_unshare(*, actor: User, task: Task, user: User) -> bool:
    """Withdraw a ``view_task`` grant; return False if there was none. Unit scoping is unaffected."""
    task = access.check_on_task(actor, task.pk, access.UNSHARE_TASK)
    target = User.objects.filter(pk=user.pk).first()
    if target is None:
        raise NotFound(_("用户不存在"))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=target.pk).first()
        if not _granted(target, task):
            return False
        remove_perm(VIEW_TASK_PERM, target, task)
        events.TASK_UNSHARED(
            actor=actor,
            task=task,
            payload={"user": target.username, "user_id": target.pk},
        )
    return True
