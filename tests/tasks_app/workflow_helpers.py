"""Drive a task into any workflow state through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from reform.roles import Role
from tasks_app.actions import ACTIONS
from tasks_app.models import Task
from tasks_app.workflow import Status

PATH = {
    Status.DRAFT: [],
    Status.ASSIGNED: ["assign"],
    Status.RETURNED: ["assign", "decline"],
    Status.UNIT_REVIEW: ["assign", "accept", "submit_completion"],
    Status.IN_PROGRESS: ["assign", "accept"],
    Status.UNDER_REVIEW: ["assign", "accept", "submit_completion"],
    Status.CORRECTING: ["assign", "accept", "submit_completion", "request_correction"],
    Status.EVALUATING: ["assign", "accept", "submit_completion", "approve"],
    Status.CLOSED: ["assign", "accept", "submit_completion", "approve", "evaluate"],
    Status.CANCELLED: ["cancel"],
}


def fire(name: str, *, actor, task: Task, **extra):
    """Call the transition service ``name`` with valid default arguments."""
    kwargs = {
        "submit_completion": {"summary": "已按要求完成", "open_children_reason": "下级事项由承办单位继续推进"},
        "request_correction": {"requirement": "补充佐证材料", "due_date": timezone.localdate() + timedelta(days=5)},
        "evaluate": {"scores": {"overall": 92}},
        "reopen": {"reason": "发现遗留问题"},
        "decline": {"reason": "不属于本单位职责"},
        "unit_signoff": {"approve": True},
        "cancel": {"reason": "任务调整"},
    }.get(name, {})
    kwargs.update(extra)
    return ACTIONS[name].service(actor=actor, task=task, **kwargs)


def sign_off(task: Task) -> None:
    """A handler's completion report waits for the unit head (负责人审核): pass it on as that head."""
    task.refresh_from_db()
    if task.status == Status.UNIT_REVIEW:
        head = User.objects.filter(unit_id=task.lead_unit_id, groups__name=Role.UNIT_ADMIN).order_by("pk").first()
        ACTIONS["unit_signoff"].service(actor=head, task=task, approve=True)


def drive(task: Task, state: str, *, office, unit_user) -> Task:
    for name in PATH[Status(state)]:
        actor = unit_user if name in ("accept", "submit_completion", "decline") else office
        fire(name, actor=actor, task=task)
        if name == "submit_completion" and state != Status.UNIT_REVIEW:
            sign_off(task)
    task.refresh_from_db()
    assert task.status == state
    return task
