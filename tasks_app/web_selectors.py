"""Reads for the web pages: the /tasks/ list (URL filters, sorts, keyset pages), the task page, the
office work queue and the notifications. Each returns fully loaded rows in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import NotFound
from reform.roles import UNIT_ROLES

from .access import access_task, visible_tasks
from .models import (
    SEVERITY,
    Attachment,
    CorrectionOrder,
    Evaluation,
    EvaluationCriterion,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    Rag,
    Task,
    TaskForce,
)
from .selectors import TimelineItem, task_ancestors, task_timeline_items
from .workflow import FINAL_STATUSES, Status

if TYPE_CHECKING:
    from accounts.models import User

PAGE_SIZE = 50
FINAL = [str(s) for s in FINAL_STATUSES]
SORTS = ("code", "deadline", "progress", "light")
# Filters of the cockpit's drill-down links beyond this page's own; answered by cockpit.selectors.
COCKPIT_EXTRA_FILTERS = (
    "lead",
    "lead_exact",
    "open",
    "cancelled",
    "closed",
    "closed_after",
    "closed_before",
    "instruction_after",
    "instruction_before",
    "report",
    "report_after",
    "report_before",
    "indicator",
)


# --- The task list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskListFilters:
    """The /tasks/ filters, with the names the cockpit's links use."""

    status: str = ""
    rag: str = ""
    domain: str = ""
    unit: OrgUnit | None = None
    overdue: bool = False
    deadline_before: date | None = None
    deadline_after: date | None = None
    q: str = ""
    dimension: str = ""
    leaf: bool = False
    notice_level: int | None = None
    instruction: str = ""
    mine: bool = False
    sort: str = "code"
    extras: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskListPage:
    rows: list[Task]
    next_cursor: str | None


def _severity_desc() -> Any:
    return SEVERITY


def task_list(
    *, user: User, filters: TaskListFilters, after: str = "", page_size: int = PAGE_SIZE, today: date | None = None
) -> TaskListPage:
    """One keyset page of the tasks ``user`` may see, filtered and sorted; the cursor names the last row.

    Every sort ends with ``sort_key`` (unique, like the code), so the order is total and a page
    boundary never drops or repeats a row.
    """
    today = today or timezone.localdate()
    qs = _filtered(user, filters, today).select_related("domain", "lead_unit")
    qs, order = _sorted(qs, filters.sort)
    if after:
        qs = _after(qs, filters.sort, after)
    rows = list(qs.order_by(*order)[: page_size + 1])
    cursor = _cursor(rows[page_size - 1], filters.sort) if len(rows) > page_size else None
    return TaskListPage(rows=rows[:page_size], next_cursor=cursor)


def _filtered(user: User, f: TaskListFilters, today: date) -> QuerySet[Task]:
    qs = visible_tasks(user)
    if f.mine and user.unit_id is not None:
        cooperating = Task.cooperating_units.through.objects.filter(task_id=OuterRef("pk"), orgunit_id=user.unit_id)
        qs = qs.filter(Q(lead_unit_id=user.unit_id) | Q(Exists(cooperating)))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.rag:
        qs = qs.filter(rag=f.rag)
    if f.domain:
        qs = qs.filter(domain__code=f.domain)
    if f.unit is not None:
        cooperating = Task.cooperating_units.through.objects.filter(
            task_id=OuterRef("pk"), orgunit__path__startswith=f.unit.path
        )
        qs = qs.filter(Q(lead_unit__path__startswith=f.unit.path) | Q(Exists(cooperating)))
    if f.overdue:
        qs = qs.filter(deadline__lt=today).exclude(status__in=FINAL)
    if f.deadline_before:
        qs = qs.filter(deadline__lte=f.deadline_before)
    if f.deadline_after:
        qs = qs.filter(deadline__gte=f.deadline_after)
    if f.q:
        qs = qs.filter(Q(code=f.q) | Q(code__startswith=f.q + ".") | Q(title__icontains=f.q))
    if f.dimension in ("governance", "service"):
        qs = qs.filter(**{f"is_{f.dimension}": True})
    if f.leaf:
        qs = qs.filter(is_leaf=True)
    if f.notice_level is not None:
        listed = Notice.objects.filter(task_id=OuterRef("pk"), level=f.notice_level, state=Notice.State.OPEN)
        qs = qs.filter(Exists(listed))
    if f.instruction == "open":
        waiting = Instruction.objects.filter(
            task_id=OuterRef("pk"), state__in=[Instruction.State.ISSUED, Instruction.State.RETURNED]
        )
        qs = qs.filter(Exists(waiting))
    if f.extras:
        from cockpit.selectors import drilldown_queryset

        qs = qs.filter(pk__in=drilldown_queryset(user=user, params=f.extras, today=today).values("pk"))
    return qs


def _sorted(qs: QuerySet[Task], sort: str) -> tuple[QuerySet[Task], list[Any]]:
    if sort == "deadline":
        return qs, [F("deadline").asc(nulls_last=True), "sort_key"]
    if sort == "progress":
        return qs, ["progress", "sort_key"]
    if sort == "light":
        return qs.annotate(severity=_severity_desc()), ["-severity", "sort_key"]
    return qs, ["sort_key"]


def _cursor(task: Task, sort: str) -> str:
    if sort == "deadline":
        return f"{task.deadline.isoformat() if task.deadline else ''}|{task.sort_key}"
    if sort == "progress":
        return f"{task.progress}|{task.sort_key}"
    if sort == "light":
        return f"{task.severity}|{task.sort_key}"  # type: ignore[attr-defined]
    return task.sort_key


def _after(qs: QuerySet[Task], sort: str, cursor: str) -> QuerySet[Task]:
    """Rows strictly after ``cursor`` in the sort's order; a malformed cursor starts from the top."""
    if sort == "code":
        return qs.filter(sort_key__gt=cursor)
    value, _sep, key = cursor.partition("|")
    if not key:
        return qs
    try:
        if sort == "deadline":
            if not value:
                return qs.filter(deadline__isnull=True, sort_key__gt=key)
            day = date.fromisoformat(value)
            return qs.filter(Q(deadline__gt=day) | Q(deadline=day, sort_key__gt=key) | Q(deadline__isnull=True))
        if sort == "progress":
            number = Decimal(value)
            return qs.filter(Q(progress__gt=number) | Q(progress=number, sort_key__gt=key))
        level = int(value)
        return qs.filter(Q(severity__lt=level) | Q(severity=level, sort_key__gt=key))
    except (ValueError, ArithmeticError):
        return qs


# --- The task page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Any
    latest: Any
    achievement: Decimal | None
    history: list[tuple[date, Decimal]]
    plan: list[tuple[date, Decimal]]


@dataclass(frozen=True)
class TaskPage:
    task: Task
    ancestors: list[Task]
    children: list[Task]
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
    from indicators.achievement import indicator_achievement

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
        children=list(task.children.select_related("lead_unit").order_by("sort_key")),
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
        feedbacks=list(
            task.feedbacks.select_related("unit", "submitted_by")
            .prefetch_related("attachments")
            .order_by("-submitted_at")[:FEEDBACKS_SHOWN]
        ),
        evaluations=list(task.evaluations.select_related("evaluator").order_by("-created_at")),
        timeline=task_timeline_items(task),
        unit_role=_unit_role(user, task),
    )


def _unit_role(user: User, task: Task) -> str:
    """Whether the user's unit leads or cooperates on the task (uses the prefetched units)."""
    unit = user.unit if user.role in UNIT_ROLES else None
    if unit is None:
        return ""
    if task.lead_unit.path.startswith(unit.path):
        return "lead"
    if any(u.path.startswith(unit.path) for u in task.cooperating_units.all()):
        return "cooperating"
    return ""


# --- The supervision office's work queue --------------------------------------------------------

QUEUE_SHOWN = 10


@dataclass(frozen=True)
class WorkQueue:
    counts: dict[str, int]
    under_review: list[Task]
    overdue: list[Task]
    instructions: list[Instruction]
    answered_instructions: list[Instruction]
    extensions: list[ExtensionRequest]
    problems: list[ProblemReport]
    listed: list[Notice]
    drafts: list[Task]


def work_queue(*, today: date | None = None, shown: int = QUEUE_SHOWN) -> WorkQueue:
    """What waits for the supervision office: counts and the first rows of each list (fixed queries)."""
    today = today or timezone.localdate()
    task_counts = Task.objects.aggregate(
        under_review=Count("pk", filter=Q(status=Status.UNDER_REVIEW)),
        overdue=Count("pk", filter=Q(deadline__lt=today) & ~Q(status__in=FINAL)),
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
    )
    waiting = [Instruction.State.ISSUED, Instruction.State.RETURNED]
    instructions = Instruction.objects.filter(state__in=waiting)
    answered = Instruction.objects.filter(state=Instruction.State.ANSWERED)
    extensions = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING)
    problems = ProblemReport.objects.filter(state=ProblemReport.State.OPEN)
    listed = Notice.objects.filter(state=Notice.State.OPEN, level=Notice.Level.LISTED)
    other_counts = {
        "instructions": instructions.count(),
        "answered_instructions": answered.count(),
        "extensions": extensions.count(),
        "problems": problems.count(),
        "listed": listed.count(),
    }
    tasks = Task.objects.select_related("lead_unit")
    return WorkQueue(
        counts={**task_counts, **other_counts},
        under_review=list(tasks.filter(status=Status.UNDER_REVIEW).order_by("updated_at", "sort_key")[:shown]),
        overdue=list(
            tasks.filter(deadline__lt=today).exclude(status__in=FINAL).order_by("deadline", "sort_key")[:shown]
        ),
        instructions=list(
            instructions.select_related("task", "author").prefetch_related("target_units").order_by("due_date")[:shown]
        ),
        answered_instructions=list(answered.select_related("task", "responded_by").order_by("responded_at")[:shown]),
        extensions=list(extensions.select_related("task", "requested_by").order_by("created_at")[:shown]),
        problems=list(problems.select_related("task", "unit").order_by("created_at")[:shown]),
        listed=list(listed.select_related("task", "task__lead_unit").order_by("created_at")[:shown]),
        drafts=list(tasks.filter(status=Status.DRAFT).order_by("sort_key")[:shown]),
    )


DRAFTS_PAGE = 200


def draft_tasks(*, after: str = "", q: str = "", page_size: int = DRAFTS_PAGE) -> TaskListPage:
    """Drafted tasks awaiting assignment, in code order, one keyset page."""
    qs = Task.objects.filter(status=Status.DRAFT).select_related("domain", "lead_unit")
    if q:
        qs = qs.filter(Q(code=q) | Q(code__startswith=q + ".") | Q(title__icontains=q))
    if after:
        qs = qs.filter(sort_key__gt=after)
    rows = list(qs.order_by("sort_key")[: page_size + 1])
    cursor = rows[page_size - 1].sort_key if len(rows) > page_size else None
    return TaskListPage(rows=rows[:page_size], next_cursor=cursor)


LIGHT_ORDER = (Rag.RED, Rag.YELLOW, Rag.GREEN, Rag.NONE)


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
