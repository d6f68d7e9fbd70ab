"""红黑榜: the ranking of lead units for a period (the cockpit, the API and the bulletins read it here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Avg, Count, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from orgs.models import OrgUnit

from ..models import Domain, Evaluation, Instruction, Programme, Task
from ..workflow import Status


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
    *,
    start: date,
    end: date,
    domain: Domain | None = None,
    today: date | None = None,
    programme: Programme | None = None,
    within: OrgUnit | None = None,
) -> list[UnitRankingRow]:
    """红黑榜: rank lead units for a period on on-time closure, evaluation score, overdue items and instructions.

    - due: leaf tasks the unit leads whose deadline falls in [start, end] (cancelled excluded);
      closed on time = those closed (status closed) no later than their deadline;
    - average score: mean total of evaluations made in the period on tasks the unit leads;
    - overdue: open leaf tasks the unit leads whose deadline is before min(end, today);
    - follow-through (批示落实率): instructions issued in the period to the unit, answered by their due date.
    The composite score is 40% on-time rate + 40% average score + 20% follow-through (missing parts count
    as 100), minus 5 points per overdue item; rows are sorted best first. ``programme`` limits it to one
    programme's tasks; ``within`` to the units of a subtree (a district ranks its own streets and offices).
    """
    today = today or timezone.localdate()
    cutoff = min(end, today)
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(start, time.min, tzinfo=tz)
    end_dt = datetime.combine(end, time.max, tzinfo=tz)
    tasks = Task.objects.filter(is_leaf=True).exclude(status=Status.CANCELLED)
    evaluations = Evaluation.objects.filter(created_at__range=(start_dt, end_dt))
    instructions = Instruction.objects.filter(created_at__range=(start_dt, end_dt))
    if programme is not None:
        tasks = tasks.filter(programme=programme)
        evaluations = evaluations.filter(task__programme=programme)
        instructions = instructions.filter(task__programme=programme)
    if within is not None:
        tasks = tasks.filter(lead_unit__path__startswith=within.path)
        evaluations = evaluations.filter(task__lead_unit__path__startswith=within.path)
        instructions = instructions.filter(target_units__path__startswith=within.path)
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
