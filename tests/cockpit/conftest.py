from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from demo.scale import seed_scale
from indicators.models import Indicator
from indicators.services import measurement_record
from orgs.models import OrgUnit
from reform.errors import DomainError
from tasks_app import services
from tasks_app.models import Instruction, Task
from tasks_app.workflow import Status

PASSWORD = "pw-Strong-2026!"


@dataclass
class Programme:
    items: int
    leader: User
    office: User
    auditor: User
    city_admin: User
    city_handler: User
    city: OrgUnit

    def handler_for(self, task: Task) -> User | None:
        for user in User.objects.filter(username__endswith="_handler").select_related("unit"):
            if user.unit and task.lead_unit.path.startswith(user.unit.path):
                return user
        return None


def build_programme(items: int, seed: int = 7) -> Programme:
    seed_scale(items=items, seed=seed, password=PASSWORD, log=lambda _msg: None)
    users = {u.username: u for u in User.objects.select_related("unit")}
    admin = users["scale_c00_admin"]
    return Programme(
        items=items,
        leader=users["scale_leader"],
        office=users["scale_office"],
        auditor=users["scale_auditor"],
        city_admin=admin,
        city_handler=users["scale_c00_handler"],
        city=admin.unit,
    )


@pytest.fixture
def programme(db) -> Programme:
    return build_programme(60, seed=11)


def random_writes(p: Programme, rng: random.Random, count: int) -> dict[str, int]:
    """Drive ``count`` random real service calls (skipping the ones the state does not allow)."""
    done: dict[str, int] = {}
    today = timezone.localdate()
    leaves = list(Task.objects.filter(is_leaf=True).select_related("lead_unit").order_by("pk"))
    parents = list(Task.objects.filter(is_leaf=False, depth__gte=3).order_by("pk"))

    def attempt(name: str, fn: Any, **kwargs: Any) -> None:
        try:
            fn(**kwargs)
        except DomainError:
            return
        done[name] = done.get(name, 0) + 1

    for _ in range(count):
        task = rng.choice(leaves)
        task.refresh_from_db()
        handler = p.handler_for(task)
        action = rng.choice(
            [
                "feedback",
                "accept",
                "submit",
                "approve",
                "evaluate",
                "instruct",
                "answer",
                "notice",
                "update",
                "create",
                "measure",
                "cancel",
                "reopen",
            ]
        )
        if action == "feedback" and handler and task.status in (Status.IN_PROGRESS, Status.CORRECTING):
            attempt(
                "feedback",
                services.feedback_submit,
                actor=handler,
                task=task,
                text="本旬按计划推进",
                progress=rng.randint(0, 100),
            )
        elif action == "accept" and handler:
            if task.status == Status.DRAFT:
                attempt("assign", services.task_assign, actor=p.office, task=task)
            attempt("accept", services.task_accept, actor=handler, task=task)
        elif action == "submit" and handler:
            attempt(
                "submit",
                services.task_submit_completion,
                actor=handler,
                task=task,
                summary="已完成",
                correction_answer="已整改",
            )
        elif action == "approve":
            attempt("approve", services.task_approve, actor=p.office, task=task)
        elif action == "evaluate":
            attempt(
                "evaluate", services.task_evaluate, actor=p.office, task=task, scores={"overall": rng.randint(60, 100)}
            )
        elif action == "instruct":
            attempt(
                "instruct",
                services.instruction_issue,
                actor=p.leader,
                task=task,
                text="请加快推进",
                due_date=today + timedelta(days=rng.randint(0, 5)),
            )
        elif action == "answer" and handler:
            inst = Instruction.objects.filter(
                state=Instruction.State.ISSUED, task__lead_unit__path__startswith=handler.unit.path
            ).first()
            if inst:
                attempt("answer", services.instruction_answer, actor=handler, instruction=inst, response="已落实")
        elif action == "notice":
            attempt(
                "notice",
                services.notice_issue,
                actor=p.office,
                task=task,
                level=rng.choice([1, 4]),
                reason="请限期办结",
            )
        elif action == "update":
            unit = rng.choice(list(OrgUnit.objects.filter(depth__gte=1)))
            changes = rng.choice(
                [
                    {"lead_unit": unit},
                    {"deadline": today + timedelta(days=rng.randint(-30, 30)), "start_date": None},
                    {"is_service": not task.is_service},
                    {"cooperating_units": [unit]},
                ]
            )
            attempt("update", services.task_update, actor=p.office, task=task, **changes)
        elif action == "create" and parents:
            parent = rng.choice(parents)
            number = Task.objects.filter(parent=parent).count() + 1 + rng.randint(0, 1000)
            attempt(
                "create",
                services.task_create,
                actor=p.office,
                code=f"{parent.code}.{number}",
                title="新增事项",
                lead_unit=parent.lead_unit,
                deadline=today + timedelta(days=rng.randint(-10, 60)),
            )
        elif action == "measure" and handler:
            ind = Indicator.objects.filter(task=task).first()
            if ind is not None:
                attempt(
                    "measure",
                    measurement_record,
                    actor=handler,
                    indicator=ind,
                    period_end=today - timedelta(days=today.day),
                    value=Decimal(rng.randint(0, 120)),
                )
        elif action == "cancel":
            attempt("cancel", services.task_cancel, actor=p.leader, task=task, reason="任务调整")
        elif action == "reopen":
            attempt("reopen", services.task_reopen, actor=p.leader, task=task, reason="需补充")
    return done
