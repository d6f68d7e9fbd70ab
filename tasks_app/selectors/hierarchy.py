"""The task tree: a task's subtree and its ancestors, each in one query on the dotted code within its programme."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .. import tree
from ..models import Task


def task_subtree(task: Task, *, include_self: bool = True) -> QuerySet[Task]:
    """Return the task and all its descendants in tree order (one query on the code prefix)."""
    q = Q(code__startswith=task.code + ".")
    if include_self:
        q |= Q(code=task.code)
    return (
        Task.objects.filter(q, programme_id=task.programme_id)
        .select_related("domain", "lead_unit")
        .order_by("sort_key")
    )


def task_ancestors(task: Task) -> QuerySet[Task]:
    """Return the task's ancestors, root first (one query: their codes are prefixes of its code)."""
    return Task.objects.filter(programme_id=task.programme_id, code__in=tree.ancestor_codes(task.code)).order_by(
        "depth"
    )
