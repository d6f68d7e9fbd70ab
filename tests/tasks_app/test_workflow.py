"""The closed loop: every transition for every role, the guards, and exactly one trace entry each."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reform.errors import ConflictError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from tasks_app import access, services
from tasks_app.models import CorrectionOrder, EvaluationCriterion, Notification, Task
from tasks_app.workflow import Status
from tests.factories import Role, make_task, make_unit, make_user
from trail.models import TraceEntry

from .workflow_helpers import drive, fire

pytestmark = pytest.mark.django_db

SOURCE = {
    "assign": Status.DRAFT,
    "accept": Status.ASSIGNED,
    "decline": Status.ASSIGNED,
    "reassign": Status.RETURNED,
    "unit_signoff": Status.UNIT_REVIEW,
    "submit_completion": Status.IN_PROGRESS,
    "request_correction": Status.UNDER_REVIEW,
    "approve": Status.UNDER_REVIEW,
    "evaluate": Status.EVALUATING,
    "reopen": Status.CLOSED,
    "cancel": Status.IN_PROGRESS,
}
TARGET = {
    "assign": Status.ASSIGNED,
    "accept": Status.IN_PROGRESS,
    "decline": Status.RETURNED,
    "reassign": Status.ASSIGNED,
    "unit_signoff": Status.UNDER_REVIEW,
    "submit_completion": Status.UNDER_REVIEW,
    "request_correction": Status.CORRECTING,
    "approve": Status.EVALUATING,
    "evaluate": Status.CLOSED,
    "reopen": Status.IN_PROGRESS,
    "cancel": Status.CANCELLED,
}
ALLOWED = {
    "assign": {"office"},
    "accept": {"lead_admin", "lead_handler"},
    "decline": {"lead_admin", "lead_handler"},
    "reassign": {"office"},
    "unit_signoff": {"lead_admin"},
    "submit_completion": {"lead_admin", "lead_handler"},
    "request_correction": {"office"},
    "approve": {"office"},
    "evaluate": {"office"},
    "reopen": {"office", "leader"},
    "cancel": {"office", "leader"},
}
EVENT_OF = {"unit_signoff": "task.signoff"}  # the sign-off records a pass (task.signoff) or a return
# Who sees the task but may not act (403), and who cannot see it at all (404).
ACTORS = ["office", "leader", "auditor", "lead_admin", "lead_handler", "coop_handler", "outsider_handler"]


@pytest.fixture
def world(city, dsj, jxj, office_user, leader_user, auditor_user, dsj_admin, dsj_handler, jxj_handler):
    other = make_unit("市司法局", parent=city)
    actors = {
        "office": office_user,
        "leader": leader_user,
        "auditor": auditor_user,
        "lead_admin": dsj_admin,
        "lead_handler": dsj_handler,
        "coop_handler": jxj_handler,
        "outsider_handler": make_user(Role.UNIT_HANDLER, unit=other, username="sfj_handler"),
    }
    return actors, dsj, jxj


@pytest.mark.parametrize("name", list(SOURCE))
@pytest.mark.parametrize("who", ACTORS)
def test_transition_matrix(world, name, who):
    """Given a task in the transition's source state, each role gets success, 403 or 404 exactly."""
    actors, dsj, jxj = world
    task = make_task("1", lead_unit=dsj, cooperating_units=(jxj,))
    drive(task, SOURCE[name], office=actors["office"], unit_user=actors["lead_handler"])
    before = TraceEntry.objects.count()

    if who in ALLOWED[name]:
        fire(name, actor=actors[who], task=task)
        task.refresh_from_db()
        # A handler's completion report waits for the unit head (负责人审核) before the office sees it.
        action, target = (
            ("task.submit_for_signoff", Status.UNIT_REVIEW)
            if (name, who) == ("submit_completion", "lead_handler")
            else (EVENT_OF.get(name, f"task.{name}"), TARGET[name])
        )
        assert task.status == target
        entries = TraceEntry.objects.filter(seq__gt=before)
        assert [(e.action, e.from_state, e.to_state) for e in entries] == [(action, SOURCE[name], target)]
        assert entries[0].actor_id == actors[who].pk
    else:
        expected = NotFound if who == "outsider_handler" else PermissionDenied
        with pytest.raises(expected):
            fire(name, actor=actors[who], task=task)
        task.refresh_from_db()
        assert task.status == SOURCE[name]
        assert TraceEntry.objects.count() == before


@pytest.mark.parametrize("name", list(SOURCE))
def test_wrong_state_is_a_conflict_not_a_permission_error(world, name):
    actors, dsj, _ = world
    task = make_task("1", lead_unit=dsj)
    wrong = Status.CANCELLED if name != "cancel" else Status.CLOSED
    drive(task, wrong, office=actors["office"], unit_user=actors["lead_handler"])
    who = next(iter(sorted(ALLOWED[name])))
    with pytest.raises(InvalidTransition) as err:
        fire(name, actor=actors[who], task=task)
    assert f"任务当前状态为“{task.status_label}”" in err.value.message


def test_role_refusal_comes_before_state_check(world):
    """An auditor asking to assign a closed task hears 403 (never allowed), not 409."""
    actors, dsj, _ = world
    task = drive(
        make_task("1", lead_unit=dsj), Status.CLOSED, office=actors["office"], unit_user=actors["lead_handler"]
    )
    with pytest.raises(PermissionDenied, match="您的角色无权交办"):
        fire("assign", actor=actors["auditor"], task=task)


def test_parent_cannot_close_while_children_open_and_guard_names_them(world):
    actors, dsj, _ = world
    parent = make_task("2", lead_unit=dsj)
    make_task("2.1", lead_unit=dsj)
    make_task("2.2", lead_unit=dsj)
    done = Task.objects.get(code="2.1")
    drive(done, Status.CLOSED, office=actors["office"], unit_user=actors["lead_handler"])
    drive(parent, Status.EVALUATING, office=actors["office"], unit_user=actors["lead_handler"])
    with pytest.raises(InvalidTransition) as err:
        fire("evaluate", actor=actors["office"], task=parent)
    assert err.value.message == "下级任务尚未全部办结，不能评价：2.2"
    fire("cancel", actor=actors["office"], task=Task.objects.get(code="2.2"))
    fire("evaluate", actor=actors["office"], task=parent)
    parent.refresh_from_db()
    assert parent.status == Status.CLOSED


def test_correction_round_trip_requires_an_answer(world):
    actors, dsj, _ = world
    task = drive(
        make_task("3", lead_unit=dsj), Status.CORRECTING, office=actors["office"], unit_user=actors["lead_handler"]
    )
    order = CorrectionOrder.objects.get(task=task)
    assert order.requirement == "补充佐证材料" and order.state == CorrectionOrder.State.OPEN
    with pytest.raises(ValidationError, match="请填写整改情况，答复整改要求：补充佐证材料"):
        fire("submit_completion", actor=actors["lead_handler"], task=task)
    fire("submit_completion", actor=actors["lead_handler"], task=task, correction_answer="已补充材料")
    order.refresh_from_db()
    assert order.state == CorrectionOrder.State.ANSWERED and order.answer == "已补充材料"
    entry = TraceEntry.objects.filter(action__in=["task.submit_completion", "task.submit_for_signoff"]).last()
    assert entry.from_state == Status.CORRECTING and entry.payload["correction_answer"] == "已补充材料"


def test_request_correction_needs_requirement_and_due_date(world):
    actors, dsj, _ = world
    task = drive(
        make_task("4", lead_unit=dsj), Status.UNDER_REVIEW, office=actors["office"], unit_user=actors["lead_handler"]
    )
    with pytest.raises(ValidationError, match="请填写整改要求"):
        fire("request_correction", actor=actors["office"], task=task, requirement=" ")
    with pytest.raises(ValidationError, match="请填写整改时限"):
        fire("request_correction", actor=actors["office"], task=task, due_date=None)
    task.refresh_from_db()
    assert task.status == Status.UNDER_REVIEW
    assert not CorrectionOrder.objects.exists()


@pytest.mark.parametrize("name", ["reopen", "cancel"])
def test_reason_is_required(world, name):
    actors, dsj, _ = world
    task = drive(make_task("5", lead_unit=dsj), SOURCE[name], office=actors["office"], unit_user=actors["lead_handler"])
    with pytest.raises(ValidationError, match="理由"):
        fire(name, actor=actors["leader"], task=task, reason="")


def test_evaluation_scores_every_criterion_with_weighted_total_and_grade(world):
    actors, dsj, _ = world
    task = make_task("6", lead_unit=dsj)
    speed = EvaluationCriterion.objects.create(task=task, name="按期完成", weight=Decimal("3"), max_score=100)
    quality = EvaluationCriterion.objects.create(task=task, name="质量成效", weight=Decimal("1"), max_score=50)
    drive(task, Status.EVALUATING, office=actors["office"], unit_user=actors["lead_handler"])
    with pytest.raises(ValidationError) as err:
        fire("evaluate", actor=actors["office"], task=task, scores={str(speed.pk): 90})
    assert err.value.fields == {str(quality.pk): ["请为“质量成效”打分"]}
    with pytest.raises(ValidationError, match="“质量成效”的得分应在 0 到 50 之间"):
        fire("evaluate", actor=actors["office"], task=task, scores={str(speed.pk): 90, str(quality.pk): 60})
    evaluation = fire(
        "evaluate", actor=actors["office"], task=task, scores={str(speed.pk): 90, str(quality.pk): 30}, comment="较好"
    )
    # (90/100*100*3 + 30/50*100*1) / 4 = (270 + 60) / 4 = 82.5 → 良
    assert evaluation.total == Decimal("82.50")
    assert evaluation.grade == "良"
    task.refresh_from_db()
    assert task.status == Status.CLOSED and task.closed_at is not None and task.progress == 100


@pytest.mark.parametrize(
    ("total", "grade"), [(95, "优"), (90, "优"), (89.99, "良"), (80, "良"), (60, "中"), (59, "差")]
)
def test_grade_thresholds(total, grade):
    assert services.grade_for(Decimal(str(total))) == grade


def test_expected_status_mismatch_is_a_conflict(world):
    actors, dsj, _ = world
    task = drive(
        make_task("7", lead_unit=dsj), Status.ASSIGNED, office=actors["office"], unit_user=actors["lead_handler"]
    )
    fire("accept", actor=actors["lead_admin"], task=task)
    with pytest.raises(ConflictError, match="任务已被他人处理，当前状态为“办理中”"):
        fire("accept", actor=actors["lead_handler"], task=task, expected_status=Status.ASSIGNED)


def test_allowed_transitions_depend_on_role_unit_and_state(world):
    actors, dsj, jxj = world
    task = make_task("8", lead_unit=dsj, cooperating_units=(jxj,))
    assert access.allowed_transitions(actors["office"], task) == ["assign", "cancel"]
    assert access.allowed_transitions(actors["leader"], task) == ["cancel"]
    assert access.allowed_transitions(actors["lead_handler"], task) == []
    drive(task, Status.ASSIGNED, office=actors["office"], unit_user=actors["lead_handler"])
    assert access.allowed_transitions(actors["lead_handler"], task) == ["accept", "decline"]
    assert access.allowed_transitions(actors["coop_handler"], task) == []
    assert access.allowed_transitions(actors["auditor"], task) == []


def test_notifications_reach_the_lead_unit_after_commit(world, django_capture_on_commit_callbacks):
    actors, dsj, _ = world
    task = make_task("9", lead_unit=dsj)
    with django_capture_on_commit_callbacks(execute=True):
        fire("assign", actor=actors["office"], task=task)
    titles = set(Notification.objects.values_list("recipient__username", "title"))
    assert titles == {("dsj_admin", "新交办任务：9 测试任务9"), ("dsj_handler", "新交办任务：9 测试任务9")}


def test_due_date_in_the_past_is_refused(world):
    actors, dsj, _ = world
    task = drive(
        make_task("10", lead_unit=dsj), Status.UNDER_REVIEW, office=actors["office"], unit_user=actors["lead_handler"]
    )
    with pytest.raises(ValidationError, match="整改时限不能早于今天"):
        fire("request_correction", actor=actors["office"], task=task, due_date=timezone.localdate() - timedelta(days=1))
