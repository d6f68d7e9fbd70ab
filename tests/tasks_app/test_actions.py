"""The action registry: every action declares all its parts, and what a page offers is what a service accepts.

1. Walking ``tasks_app.actions.ACTIONS``: each action names its access rule, its service, the event
   types it records, its web form and API input, its Chinese label, a web route and an API route;
   the input's fields are keyword arguments of the service.
2. On the Chinese demo, for every sampled (account, task) pair and every supervision object of the
   task: the actions the page offers (``task_actions`` / ``object_actions``, which also give the API's
   ``allowed_transitions``) are exactly those whose service, called with valid input, gets past the
   permission and state checks (each call is rolled back).
"""

from __future__ import annotations

import inspect
import random
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from demo.build import build_demo
from orgs.models import OrgUnit
from reform.errors import ConflictError, InvalidTransition, NotFound, PermissionDenied
from tasks_app import access
from tasks_app.actions import ACTIONS, TRANSITIONS, object_actions, task_actions
from tasks_app.api.actions import routes
from tasks_app.forms import ActionForm
from tasks_app.models import ExtensionRequest, Instruction, Notice, ProblemReport, Task, TaskShare
from tasks_app.services import Part, evaluation_criteria
from trail.events import REGISTRY, EventType

CJK = re.compile(r"[\u4e00-\u9fff]")
REFUSALS = (PermissionDenied, NotFound, InvalidTransition, ConflictError)
ACCOUNTS = ("leader", "duchashi", "auditor", "dsj_admin", "dsj_handler", "jxj_admin", "jxj_handler")
TASKS_SAMPLED = 30


# --- 1. The registry is complete ------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(ACTIONS))
def test_every_action_declares_its_rule_input_label_and_events(key):
    action = ACTIONS[key]
    assert isinstance(action.rule, access.Rule) and action.rule.roles, key
    assert CJK.search(str(action.label)) and CJK.search(str(action.rule.label)), key
    assert CJK.search(str(action.done)), key
    assert action.events and all(isinstance(e, EventType) and e.traced for e in action.events), key
    assert all(REGISTRY[e.action] is e and CJK.search(str(e.label)) for e in action.events), key
    assert issubclass(action.form, ActionForm), key
    assert issubclass(action.serializer, serializers.Serializer), key

    parameters = inspect.signature(action.service).parameters
    assert parameters["actor"].kind is inspect.Parameter.KEYWORD_ONLY, key
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values()), key
    assert set(action.serializer().fields) <= set(parameters), (key, set(action.serializer().fields) - set(parameters))
    if action.is_transition:
        assert "expected_status" in parameters and action.rule is access.TRANSITION_RULES[key]


def test_every_action_has_a_web_route_and_an_api_route():
    api_views = {view.__name__ for _path, view, _name in routes()}
    for key, action in ACTIONS.items():
        if action.obj_kind:
            url = reverse("task-object-action", args=[1, key, 1])
        else:
            url = reverse("task-action", args=[1, key])
        assert resolve(url).kwargs["key"] == key
        assert "".join(part.title() for part in key.split("_")) + "ActionView" in api_views, key


def test_the_transitions_are_the_workflows():
    assert list(TRANSITIONS) == list(access.TRANSITION_RULES)
    assert all(ACTIONS[name].rule.transition == name for name in TRANSITIONS)


# --- 2. What the page offers is what the service accepts -------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The Chinese demo, built once for the module inside a transaction that is rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            build_demo()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def valid_input(key: str, target: Any) -> dict[str, Any]:
    """Input a form or the API would pass for ``key``: correct, so only permission and state can refuse."""
    today = timezone.localdate()
    task = target if isinstance(target, Task) else target.task
    if key == "evaluate":
        criteria = evaluation_criteria(task)
        return {"scores": {str(c.pk): c.max_score for c in criteria} if criteria else {"overall": 90}}
    return {
        "accept": {},
        "decline": {"reason": "该事项属于数据资源局职责"},
        "hand_down": {  # a unit below the lead unit where there is one (else the rule refuses first)
            "parts": [
                Part(
                    title="分解事项",
                    lead_unit=OrgUnit.objects.filter(parent=task.lead_unit).order_by("pk").first() or task.lead_unit,
                    deadline=max(today, task.deadline or today),
                )
            ]
        },
        "set_share": {"unit": task.cooperating_units.order_by("pk").first(), "work": "提供数据接口", "deadline": None},
        "report_share": {"text": "接口已联调", "done": True},
        "reopen_share": {"reason": "接口文档不完整"},
        "reassign": {"lead_unit": None, "comment": "坚持原交办"},
        "unit_signoff": {"approve": True, "comment": ""},
        "report_progress": {"text": "本旬按计划推进", "progress": task.progress},
        "submit_completion": {
            "summary": "已完成建设任务",
            "correction_answer": "已按要求整改",
            "open_children_reason": "下级事项为长期运维，不影响本项验收",
        },
        "answer_instruction": {"response": "已落实"},
        "request_extension": {
            "requested_deadline": (task.deadline or today) + timedelta(days=30),
            "reason": "设备到货延迟",
        },
        "report_problem": {"text": "接口标准不统一"},
        "assign": {"comment": ""},
        "approve": {"comment": ""},
        "request_correction": {"requirement": "补充佐证材料", "due_date": today + timedelta(days=7)},
        "issue_instruction": {"text": "月底前见成效", "due_date": today + timedelta(days=7)},
        "issue_notice": {"level": Notice.Level.URGE, "reason": "进度滞后"},
        "review_instruction": {"approve": True, "comment": ""},
        "lift_notice": {"comment": "已整改到位"},
        "decide_extension": {"approve": True, "comment": ""},
        "answer_problem": {"response": "已协调", "resolve": False},
        "reopen": {"reason": "复核发现遗留问题"},
        "cancel": {"reason": "任务调整"},
    }[key]


class RolledBack(Exception):
    pass


def accepted(key: str, user: User, target: Any) -> bool:
    """Whether the service gets past every permission and state check (the call is rolled back)."""
    action = ACTIONS[key]
    fresh = type(target).objects.get(pk=target.pk)
    try:
        with transaction.atomic():
            action.run(actor=user, target=fresh, **valid_input(key, fresh))
            raise RolledBack
    except RolledBack:
        return True
    except REFUSALS:
        return False


def offered_on(user: User, target: Any) -> set[str]:
    """The page's answer, on objects loaded as the page loads them."""
    if isinstance(target, Task):
        task = Task.objects.select_related("lead_unit").prefetch_related("cooperating_units").get(pk=target.pk)
        return {a.key for a in task_actions(user, task)}
    model = type(target)
    related = ("target_units",) if model is Instruction else ()
    obj = model.objects.prefetch_related(*related).get(pk=target.pk)
    return {a.key for a in object_actions(user, obj)}


def sampled_tasks() -> list[Task]:
    """The same sample on every run: a task for every supervision object's every state, a parent waiting
    for evaluation, then tasks of every state, up to ``TASKS_SAMPLED``."""
    chosen: dict[int, Task] = {}
    for model in (Instruction, Notice, ProblemReport, ExtensionRequest, TaskShare):
        for state in model.State.values:
            row = model.objects.filter(state=state).select_related("task").order_by("pk").first()
            if row is not None:
                chosen.setdefault(row.task_id, row.task)
    parent = Task.objects.filter(is_leaf=False).exclude(status__in=["closed", "cancelled"]).order_by("sort_key").first()
    if parent is not None:
        chosen.setdefault(parent.pk, parent)
    rng = random.Random(2026)
    by_status: dict[str, list[Task]] = {}
    for task in Task.objects.exclude(pk__in=list(chosen)).order_by("sort_key"):
        by_status.setdefault(task.status, []).append(task)
    while len(chosen) < TASKS_SAMPLED and any(by_status.values()):
        for tasks in by_status.values():
            if tasks and len(chosen) < TASKS_SAMPLED:
                task = tasks.pop(rng.randrange(len(tasks)))
                chosen[task.pk] = task
    return list(chosen.values())


@pytest.mark.django_db
def test_the_buttons_offered_are_exactly_what_the_services_accept(demo):
    accounts = [User.objects.get(username=name) for name in ACCOUNTS]
    tasks = sampled_tasks()
    pairs = checked = 0
    mismatches = []
    for task in tasks:
        objects = [
            *Instruction.objects.filter(task=task),
            *Notice.objects.filter(task=task),
            *ProblemReport.objects.filter(task=task),
            *ExtensionRequest.objects.filter(task=task),
            *TaskShare.objects.filter(task=task),
        ]
        # Besides the fixed accounts, an account of the task's own lead unit and of a cooperating unit.
        own = [
            User.objects.filter(unit_id=task.lead_unit_id).order_by("pk").first(),
            User.objects.filter(unit__in=task.cooperating_units.all()).order_by("pk").first(),
        ]
        for user in [*accounts, *(u for u in own if u is not None and u not in accounts)]:
            pairs += 1
            visible = access.can_see_task(user, task)
            for target in (task, *objects):
                # A task the user cannot see has no page (404): every service refuses everything.
                offered = offered_on(user, target) if visible else set()
                kind = "task" if isinstance(target, Task) else target._meta.model_name
                for key, action in ACTIONS.items():
                    if action.model is not type(target):
                        continue
                    checked += 1
                    if (key in offered) != accepted(key, user, target):
                        mismatches.append((user.username, task.code, kind, target.pk, key, key in offered))
    assert pairs >= 200, pairs
    assert not mismatches, mismatches[:20]
    assert checked > 2000, checked
