"""The task workflow (闭环), declared once: states, transitions, guards and who may fire them.

Services call these transition methods after locking the task row; nothing else changes ``status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from reform.roles import UNIT_ROLES, Role

if TYPE_CHECKING:
    from accounts.models import User


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ASSIGNED = "assigned", _("已交办")
    IN_PROGRESS = "in_progress", _("办理中")
    UNDER_REVIEW = "under_review", _("已反馈待审核")
    CORRECTING = "correcting", _("整改中")
    EVALUATING = "evaluating", _("待评价")
    CLOSED = "closed", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
OPEN_STATUSES = frozenset(set(Status) - FINAL_STATUSES)
NON_FINAL = [s.value for s in Status if s not in FINAL_STATUSES]

# The light rules read the state only through these classes (final: no light; reporting: ten-day
# reports are due), so a transition within one class cannot change any light.
REPORTING_STATUSES = frozenset({Status.IN_PROGRESS, Status.CORRECTING})


def light_class(status: str) -> str:
    if status in FINAL_STATUSES:
        return "final"
    return "reporting" if status in REPORTING_STATUSES else "open"


# Who may ever fire each transition. Unit roles may act only on tasks their unit leads.
TRANSITIONS: dict[str, dict[str, Any]] = {
    "assign": {"label": _("交办"), "roles": {Role.OFFICE}},
    "accept": {"label": _("签收"), "roles": UNIT_ROLES},
    "submit_completion": {"label": _("报送办结"), "roles": UNIT_ROLES},
    "request_correction": {"label": _("退回整改"), "roles": {Role.OFFICE}},
    "approve": {"label": _("审核通过"), "roles": {Role.OFFICE}},
    "evaluate": {"label": _("评价"), "roles": {Role.OFFICE}},
    "reopen": {"label": _("重新打开"), "roles": {Role.OFFICE, Role.LEADER}},
    "cancel": {"label": _("撤销"), "roles": {Role.OFFICE, Role.LEADER}},
}


def role_may(name: str, user: User) -> bool:
    """Return whether the user's role may ever fire transition ``name`` (403 when not)."""
    return user.is_authenticated and user.role in TRANSITIONS[name]["roles"]


def actor_may(name: str, user: User, task: TaskWorkflow) -> bool:
    """Return whether this user may fire ``name`` on this task: right role and, for units, the lead unit."""
    if not role_may(name, user):
        return False
    if user.role in UNIT_ROLES:
        return user.unit_id is not None and task.lead_unit_in_subtree_of(user)
    return True


def _permission(name: str):  # type: ignore[no-untyped-def]
    return lambda instance, user: actor_may(name, user, instance)


def _children_all_final(instance: TaskWorkflow) -> bool:
    return not instance.open_children_codes()


class TaskWorkflow(FSMModelMixin, models.Model):
    """Abstract base holding the state field and the transitions of :class:`tasks_app.models.Task`."""

    status = FSMField(_("状态"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)

    class Meta:
        abstract = True

    def lead_unit_in_subtree_of(self, user: User) -> bool:  # pragma: no cover - implemented by Task
        raise NotImplementedError

    def open_children_codes(self) -> list[str]:  # pragma: no cover - implemented by Task
        raise NotImplementedError

    @transition(field=status, source=Status.DRAFT, target=Status.ASSIGNED, permission=_permission("assign"))
    def assign(self) -> None:
        """交办: the office hands a drafted task to its lead unit."""

    @transition(field=status, source=Status.ASSIGNED, target=Status.IN_PROGRESS, permission=_permission("accept"))
    def accept(self) -> None:
        """签收: the lead unit signs for the task."""

    @transition(
        field=status,
        source=[Status.IN_PROGRESS, Status.CORRECTING],
        target=Status.UNDER_REVIEW,
        permission=_permission("submit_completion"),
    )
    def submit_completion(self) -> None:
        """报送办结: the lead unit reports the task done."""

    @transition(
        field=status,
        source=Status.UNDER_REVIEW,
        target=Status.CORRECTING,
        permission=_permission("request_correction"),
    )
    def request_correction(self) -> None:
        """整改: the office sends the task back with a correction order."""

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.EVALUATING, permission=_permission("approve"))
    def approve(self) -> None:
        """审核通过: the office accepts the completion report."""

    @transition(
        field=status,
        source=Status.EVALUATING,
        target=Status.CLOSED,
        conditions=[_children_all_final],
        permission=_permission("evaluate"),
    )
    def evaluate(self) -> None:
        """评价: scoring closes the task; a parent closes only when every child is closed or cancelled."""

    @transition(field=status, source=Status.CLOSED, target=Status.IN_PROGRESS, permission=_permission("reopen"))
    def reopen(self) -> None:
        """Reopen a closed task, with a reason."""

    @transition(field=status, source=NON_FINAL, target=Status.CANCELLED, permission=_permission("cancel"))
    def cancel(self) -> None:
        """撤销: withdraw a task that is not final, with a reason."""
