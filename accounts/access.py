"""Who may see what: unit-subtree scoping in one query, plus django-guardian per-object grants.

Services call these helpers first, so the API, the web UI, the admin and the commands share them.
An object outside the actor's scope is reported exactly like a missing one (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from reform.errors import NotFound
from reform.roles import UNIT_ROLES, Role, require_role

if TYPE_CHECKING:
    from tasks_app.models import Task

    from .models import User

GLOBAL_READ_ROLES = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR})
VIEW_TASK_PERM = "tasks_app.view_task"


def sees_everything(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in GLOBAL_READ_ROLES)


def unit_scope_q(user: User, prefix: str = "") -> Q:
    """Return a Q selecting tasks led or co-handled by a unit in the user's unit subtree, or granted to the user."""
    from guardian.models import UserObjectPermission

    from tasks_app.models import Task

    if user.unit is None:
        scope = Q(pk__in=[])
    else:
        unit_path = user.unit.path
        cooperating = Task.cooperating_units.through.objects.filter(
            task_id=OuterRef(f"{prefix}pk"), orgunit__path__startswith=unit_path
        )
        scope = Q(**{f"{prefix}lead_unit__path__startswith": unit_path}) | Q(Exists(cooperating))
    granted = UserObjectPermission.objects.filter(
        user_id=user.pk,
        permission__codename="view_task",
        content_type__app_label="tasks_app",
        content_type__model="task",
        object_pk=Cast(OuterRef(f"{prefix}pk"), CharField()),
    )
    return scope | Q(Exists(granted))


def visible_tasks(user: User, queryset: QuerySet[Task] | None = None) -> QuerySet[Task]:
    """Scope a task queryset to what ``user`` may see, in a single SQL query."""
    from tasks_app.models import Task

    qs = Task.objects.all() if queryset is None else queryset
    if not user.is_authenticated or (user.role is None and not user.is_superuser):
        return qs.none()
    if sees_everything(user):
        return qs
    return qs.filter(unit_scope_q(user))


def can_see_task(user: User, task: Task) -> bool:
    return visible_tasks(user).filter(pk=task.pk).exists()


def get_visible_task(user: User, task_id: int | str, queryset: QuerySet[Task] | None = None) -> Task:
    """Return the task if the user may see it; otherwise raise NotFound (same as a missing task)."""
    from tasks_app.models import Task

    try:
        return visible_tasks(user, queryset).get(pk=int(task_id))
    except (ValueError, TypeError, Task.DoesNotExist) as exc:
        raise NotFound(_("任务不存在或无权访问")) from exc


def require_role_on_task(user: User, task_id: int | str, roles: frozenset[str] | set[str], action: str) -> None:
    """Scope before role: NotFound (404) for a task the user cannot see, then PermissionDenied (403)."""
    if not user.is_authenticated or user.role not in roles:
        get_visible_task(user, task_id)
        require_role(user, roles, action)


def is_unit_role(user: User) -> bool:
    return user.role in UNIT_ROLES


def acts_for_lead_unit(user: User, task: Task) -> bool:
    """Return whether a unit user belongs to the task's lead unit (or a unit above it)."""
    return is_unit_role(user) and user.unit is not None and task.lead_unit.path.startswith(user.unit.path)
