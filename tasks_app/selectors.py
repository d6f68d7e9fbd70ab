"""Reads that are more than a ``get``: each returns a queryset with its joins decided here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from orgs.models import OrgUnit
from trail.events import event_type, payload_summary
from trail.models import TraceEntry

from . import tree
from .access import visible_tasks
from .models import Domain, Evaluation, Instruction, Task
from .workflow import Status

if TYPE_CHECKING:
    from accounts.models import User


def task_subtree(task: Task, *, include_self: bool = True) -> QuerySet[Task]:
    """Return the task and all its descendants in tree order (one query on the code prefix)."""
    q = Q(code__startswith=task.code + ".")
    if include_self:
        q |= Q(code=task.code)
    return Task.objects.filter(q).select_related("domain", "lead_unit").order_by("sort_key")


def task_ancestors(task: Task) -> QuerySet[Task]:
    """Return the task's ancestors, root first (one query: their codes are prefixes of its code)."""
    return Task.objects.filter(code__in=tree.ancestor_codes(task.code)).order_by("depth")


def unit_subtree(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__startswith=unit.path).order_by("path")


def tasks_of_unit(unit: OrgUnit, *, include_subunits: bool = True) -> QuerySet[Task]:
    """Return tasks the unit (or a unit below it) leads or cooperates on."""
    if include_subunits:
        q = Q(lead_unit__path__startswith=unit.path) | Q(cooperating_units__path__startswith=unit.path)
    else:
        q = Q(lead_unit=unit) | Q(cooperating_units=unit)
    ids = Task.objects.filter(q).values("pk")
    return Task.objects.filter(pk__in=ids).select_related("domain", "lead_unit").order_by("sort_key")


def task_search(*, user: User, text: str) -> QuerySet[Task]:
    """Search the tasks the user may see by code prefix or words of the title."""
    text = text.strip()
    qs = visible_tasks(user).select_related("domain", "lead_unit").order_by("sort_key")
    if not text:
        return qs
    return qs.filter(Q(code=text) | Q(code__startswith=text + ".") | Q(title__icontains=text))


def task_timeline(task: Task) -> QuerySet[TraceEntry]:
    """Return the task's trace entries in chain order."""
    return TraceEntry.objects.filter(task_id=task.pk).order_by("seq")


@dataclass(frozen=True)
class TimelineItem:
    seq: int
    at: datetime
    actor: str
    action: str
    label: str
    from_state: str
    to_state: str
    summary: str
    payload: dict[str, Any]


def task_timeline_items(task: Task) -> list[TimelineItem]:
    """The task's trace as people read it: who, what, when, with Chinese labels (one query)."""
    items = []
    for e in task_timeline(task):
        declared = event_type(e.action)
        items.append(
            TimelineItem(
                seq=e.seq,
                at=e.created_at,
                actor=e.actor_name,
                action=e.action,
                label=str(declared.label) if declared else e.action,
                from_state=declared.state_label(e.from_state) if declared else e.from_state,
                to_state=declared.state_label(e.to_state) if declared else e.to_state,
                summary=declared.summarise(e.payload) if declared else payload_summary(e.payload),
                payload=e.payload,
            )
        )
    return items


@dataclass(frozen=True)
class UnitRankingRow:
    unit_id: int
    unit_name: str
    due_count: int
    closed_on_time: int
    on_time_rate: float | None
    average_score: float | None
    overdue_count: int
    instructions_issued: int
    instructions_on_time: int
    follow_through_rate: float | None
    score: float


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def unit_ranking(
    *, start: date, end: date, domain: Domain | None = None, today: date | None = None
) -> list[UnitRankingRow]:
    """红黑榜: rank lead units for a period on on-time closure, evaluation score, overdue items and instructions.

    - due: leaf tasks the unit leads whose deadline falls in [start, end] (cancelled excluded);
      closed on time = those closed (status closed) no later than their deadline;
    - average score: mean total of evaluations made in the period on tasks the unit leads;
    - overdue: open leaf tasks the unit leads whose deadline is before min(end, today);
    - follow-through (批示落实率): instructions issued in the period to the unit, answered by their due date.
    The composite score is 40% on-time rate + 40% average score + 20% follow-through (missing parts count
    as 100), minus 5 points per overdue item; rows are sorted best first.
    """
    today = today or timezone.localdate()
    cutoff = min(end, today)
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(start, time.min, tzinfo=tz)
    end_dt = datetime.combine(end, time.max, tzinfo=tz)
    tasks = Task.objects.filter(is_leaf=True).exclude(status=Status.CANCELLED)
    evaluations = Evaluation.objects.filter(created_at__range=(start_dt, end_dt))
    instructions = Instruction.objects.filter(created_at__range=(start_dt, end_dt))
    if domain is not None:
        tasks = tasks.filter(domain=domain)
        evaluations = evaluations.filter(task__domain=domain)
        instructions = instructions.filter(task__domain=domain)

    due = dict(tasks.filter(deadline__range=(start, end)).values_list("lead_unit").annotate(n=Count("pk")).order_by())
    on_time = dict(
        tasks.filter(deadline__range=(start, end), status=Status.CLOSED, closed_at__isnull=False)
        .annotate(closed_day=TruncDate("closed_at", tzinfo=tz))
        .filter(closed_day__lte=F("deadline"))
        .values_list("lead_unit")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overdue = dict(
        tasks.exclude(status=Status.CLOSED)
        .filter(deadline__lt=cutoff)
        .values_list("lead_unit")
        .annotate(n=Count("pk"))
        .order_by()
    )
    scores = dict(evaluations.values_list("task__lead_unit").annotate(avg=Avg("total")).order_by())
    issued = dict(instructions.values_list("target_units").annotate(n=Count("pk", distinct=True)).order_by())
    answered = dict(
        instructions.filter(responded_at__isnull=False)
        .annotate(answered_day=TruncDate("responded_at", tzinfo=tz))
        .filter(answered_day__lte=F("due_date"))
        .values_list("target_units")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    unit_ids = set(due) | set(overdue) | set(scores) | set(issued)
    names = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    rows = []
    for unit_id in unit_ids:
        on_time_rate = _rate(on_time.get(unit_id, 0), due.get(unit_id, 0))
        follow = _rate(answered.get(unit_id, 0), issued.get(unit_id, 0))
        avg = round(float(scores[unit_id]), 2) if unit_id in scores else None
        composite = (
            0.4 * (on_time_rate if on_time_rate is not None else 100)
            + 0.4 * (avg if avg is not None else 100)
            + 0.2 * (follow if follow is not None else 100)
            - 5 * overdue.get(unit_id, 0)
        )
        rows.append(
            UnitRankingRow(
                unit_id=unit_id,
                unit_name=names.get(unit_id, ""),
                due_count=due.get(unit_id, 0),
                closed_on_time=on_time.get(unit_id, 0),
                on_time_rate=on_time_rate,
                average_score=avg,
                overdue_count=overdue.get(unit_id, 0),
                instructions_issued=issued.get(unit_id, 0),
                instructions_on_time=answered.get(unit_id, 0),
                follow_through_rate=follow,
                score=round(composite, 2),
            )
        )
    rows.sort(key=lambda r: (-r.score, r.overdue_count, r.unit_name))
    return rows


@dataclass(frozen=True)
class TaskFilters:
    """The /tasks/ filters, as they appear in the URL (the cockpit links here with the same names)."""

    status: str = ""
    rag: str = ""
    domain: str = ""
    unit: int | None = None
    overdue: bool = False
    q: str = ""
    leaf: bool = False
    mine: bool = False
    after: str = ""

    @classmethod
    def from_query(cls, params: Any) -> TaskFilters:
        unit = params.get("unit", "")
        return cls(
            status=params.get("status", ""),
            rag=params.get("rag", ""),
            domain=params.get("domain", ""),
            unit=int(unit) if str(unit).isdigit() else None,
            overdue=params.get("overdue") == "1",
            q=params.get("q", "").strip(),
            leaf=params.get("leaf") == "1",
            mine=params.get("mine") == "1",
            after=params.get("after", ""),
        )


PAGE_SIZE = 50


def task_list(*, user: User, filters: TaskFilters, page_size: int = PAGE_SIZE) -> tuple[list[Task], str | None]:
    """The tasks the user may see, filtered, in code order, one keyset page; returns (rows, next cursor)."""
    qs = visible_tasks(user).select_related("domain", "lead_unit")
    if filters.mine and user.unit is not None:
        qs = qs.filter(pk__in=tasks_of_unit(user.unit).values("pk"))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.rag:
        qs = qs.filter(rag=filters.rag)
    if filters.domain:
        qs = qs.filter(domain__code=filters.domain)
    if filters.unit is not None:
        unit = OrgUnit.objects.filter(pk=filters.unit).first()
        qs = qs.filter(pk__in=tasks_of_unit(unit).values("pk")) if unit else qs.none()
    if filters.overdue:
        qs = qs.filter(deadline__lt=timezone.localdate()).exclude(status__in=[Status.CLOSED, Status.CANCELLED])
    if filters.leaf:
        qs = qs.filter(is_leaf=True)
    if filters.q:
        qs = qs.filter(Q(code=filters.q) | Q(code__startswith=filters.q + ".") | Q(title__icontains=filters.q))
    if filters.after:
        qs = qs.filter(sort_key__gt=filters.after)
    rows = list(qs.order_by("sort_key")[: page_size + 1])
    cursor = rows[page_size - 1].sort_key if len(rows) > page_size else None
    return rows[:page_size], cursor


@dataclass(frozen=True)
class TaskDetail:
    task: Task
    ancestors: list[Task]
    children: list[Task]
    indicators: list[dict[str, Any]]
    instructions: list[Instruction]
    notices: list[Any]
    corrections: list[Any]
    extensions: list[Any]
    problems: list[Any]
    timeline: list[TimelineItem]


def task_detail(*, user: User, task_id: int) -> TaskDetail:
    """Everything the task page shows, in a fixed number of queries; NotFound outside the user's scope."""
    from indicators.achievement import indicator_achievement

    from .access import access_task
    from .models import CorrectionOrder, ExtensionRequest, Notice, ProblemReport

    task = access_task(
        user, task_id, Task.objects.select_related("domain", "lead_unit").prefetch_related("cooperating_units")
    )
    indicators = []
    for ind in task.indicators.prefetch_related("measurements").all():
        measurements = list(ind.measurements.all())
        latest = measurements[-1] if measurements else None
        indicators.append(
            {
                "indicator": ind,
                "latest": latest,
                "achievement": indicator_achievement(ind, latest.value) if latest else None,
                "history": [(m.period_end, m.value) for m in measurements[-12:]],
            }
        )
    return TaskDetail(
        task=task,
        ancestors=list(task_ancestors(task)),
        children=list(task.children.select_related("lead_unit").order_by("sort_key")),
        indicators=indicators,
        instructions=list(task.instructions.exclude(state=Instruction.State.APPROVED).select_related("author")),
        notices=list(task.notices.filter(state=Notice.State.OPEN)),
        corrections=list(task.corrections.filter(state=CorrectionOrder.State.OPEN)),
        extensions=list(task.extensions.filter(state=ExtensionRequest.State.PENDING)),
        problems=list(task.problems.exclude(state=ProblemReport.State.RESOLVED)),
        timeline=task_timeline_items(task),
    )
