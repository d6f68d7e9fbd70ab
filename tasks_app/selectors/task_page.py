"""The task page (web): everything it shows, in a fixed number of queries whatever the task holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from indicators.achievement import indicator_achievement
from orgs.models import OrgUnit
from reform.errors import NotFound

from ..access import access_task, children_with_visibility, relation, visible_reason, visible_tasks
from ..models import (
    Attachment,
    CorrectionOrder,
    Evaluation,
    EvaluationCriterion,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    Task,
    TaskForce,
    TaskShare,
)
from .hierarchy import task_ancestors
from .timeline import TimelineItem, task_timeline_items

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Any
    latest: Any
    achievement: Decimal | None
    history: list[tuple[date, Decimal]]
    plan: list[tuple[date, Decimal]]


@dataclass(frozen=True)
class ChildRow:
    """A child on its parent's page: in full when the user may see it, else its code and progress only."""

    task: Task
    visible: bool


@dataclass(frozen=True)
class TaskPage:
    task: Task
    ancestors: list[Task]
    children: list[ChildRow]
    rag_reason: str  # the light's reason, not naming a lower item the user may not see
    indicators: list[IndicatorRow]
    milestones: list[Any]
    measures: list[Any]
    task_forces: list[TaskForce]
    policies: list[Any]
    criteria: list[EvaluationCriterion]
    instructions: list[Instruction]
    notices: list[Notice]
    corrections: list[CorrectionOrder]
    extensions: list[ExtensionRequest]
    problems: list[ProblemReport]
    shares: list[TaskShare]
    feedbacks: list[Feedback]
    evaluations: list[Evaluation]
    timeline: list[TimelineItem]
    unit_role: str  # "lead", "cooperating" or "" for the viewing user

    @property
    def open_correction(self) -> CorrectionOrder | None:
        return next((c for c in self.corrections if c.state == CorrectionOrder.State.OPEN), None)

    @property
    def pending_extension(self) -> ExtensionRequest | None:
        return next((e for e in self.extensions if e.state == ExtensionRequest.State.PENDING), None)


FEEDBACKS_SHOWN = 10
HISTORY_POINTS = 12


def task_page(*, user: User, task_id: int | str) -> TaskPage:
    """Everything the task page shows, in a fixed number of queries; NotFound outside the user's scope."""
    task = access_task(
        user,
        task_id,
        queryset=Task.objects.select_related("domain", "lead_unit").prefetch_related(
            Prefetch("cooperating_units", queryset=OrgUnit.objects.order_by("path"))
        ),
    )
    indicators = []
    for ind in task.indicators.prefetch_related("measurements", "trajectory").order_by("id"):
        measurements = list(ind.measurements.all())
        latest = measurements[-1] if measurements else None
        indicators.append(
            IndicatorRow(
                indicator=ind,
                latest=latest,
                achievement=indicator_achievement(ind, latest.value) if latest else None,
                history=[(m.period_end, m.value) for m in measurements[-HISTORY_POINTS:]],
                plan=[(p.period_end, p.expected_value) for p in ind.trajectory.all()],
            )
        )
    criteria = list(task.criteria.order_by("id"))
    if not criteria:
        criteria = list(EvaluationCriterion.objects.filter(domain_id=task.domain_id, task__isnull=True).order_by("id"))
    return TaskPage(
        task=task,
        ancestors=list(task_ancestors(task).select_related("lead_unit")),
        children=[
            ChildRow(child, bool(child.seen))  # type: ignore[attr-defined]
            for child in children_with_visibility(user, task).select_related("lead_unit").order_by("sort_key")
        ],
        rag_reason=visible_reason(user, task),
        indicators=indicators,
        milestones=list(task.milestones.all()),
        measures=list(task.measures.all()),
        task_forces=list(task.task_forces.prefetch_related("members")),
        policies=list(task.policies.order_by("issued_on", "id")),
        criteria=criteria,
        instructions=list(
            task.instructions.select_related("author").prefetch_related("target_units").order_by("-created_at")
        ),
        notices=list(task.notices.filter(state=Notice.State.OPEN).select_related("issued_by").order_by("-level")),
        corrections=list(task.corrections.select_related("issued_by").order_by("-created_at")),
        extensions=list(task.extensions.select_related("requested_by").order_by("-created_at")),
        problems=list(task.problems.select_related("unit", "reported_by").order_by("-created_at")),
        shares=list(task.shares.select_related("unit").order_by("unit__path")),
        feedbacks=list(
            task.feedbacks.select_related("unit", "submitted_by")
            .prefetch_related("attachments")
            .order_by("-submitted_at")[:FEEDBACKS_SHOWN]
        ),
        evaluations=list(task.evaluations.select_related("evaluator").order_by("-created_at")),
        timeline=task_timeline_items(task),
        unit_role=relation(user, task),
    )


def page_object(page: TaskPage, model: type[Any], obj_id: int) -> Any:
    """A supervision object of the page's task, in any state (so a stale form gets the service's answer)."""
    related = ("target_units",) if model is Instruction else ()
    obj = model.objects.filter(pk=obj_id, task_id=page.task.pk).prefetch_related(*related).first()
    if obj is None:
        raise NotFound(_("对象不存在或无权访问"))
    return obj


def attachment_for(*, user: User, attachment_id: int) -> Attachment | None:
    """An attachment of a task the user may see (None otherwise, the same as a missing one)."""
    return (
        Attachment.objects.select_related("task")
        .filter(pk=attachment_id, task__in=visible_tasks(user).values("pk"))
        .first()
    )
