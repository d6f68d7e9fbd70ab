"""The figures reports print, as plain dicts and lists, each read in a fixed number of queries.

Counts are over items (事项, leaf tasks) in the scope, cancelled ones left out; lights are the
current lights of open items (closed items have none). A scope is a ``Q`` on ``Task``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from reform.periods import Period, due_date_for, period_of
from rhythm.models import MissedReport
from tasks_app.models import Domain, Evaluation, Feedback, Instruction, Notice, Programme, Rag, Task
from tasks_app.selectors import unit_ranking
from tasks_app.workflow import FINAL_STATUSES, Status

OPEN = ~Q(status__in=list(FINAL_STATUSES))
RANKING_LIST_SIZE = 5
RED_BOARD_SCORE = 80
BLACK_BOARD_SCORE = 60


def rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end, time.max, tzinfo=tz)


def items(scope_q: Q) -> QuerySet[Task]:
    return Task.objects.filter(scope_q, is_leaf=True).exclude(status=Status.CANCELLED)


def _light_counts(as_of: date) -> dict[str, Any]:
    return {
        "total": Count("pk"),
        "closed": Count("pk", filter=Q(status=Status.CLOSED)),
        "red": Count("pk", filter=OPEN & Q(rag=Rag.RED)),
        "yellow": Count("pk", filter=OPEN & Q(rag=Rag.YELLOW)),
        "green": Count("pk", filter=OPEN & Q(rag=Rag.GREEN)),
        "overdue": Count("pk", filter=OPEN & Q(deadline__lt=as_of)),
    }


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["open"] = row["total"] - row["closed"]
    row["closure_rate"] = rate(row["closed"], row["total"])
    return row


def headline(scope_q: Q, as_of: date) -> dict[str, Any]:
    """Totals: items, closed and closure rate, lights of open items, overdue, average progress, major tasks."""
    row = items(scope_q).aggregate(**_light_counts(as_of), progress=Avg("progress"))
    row["progress"] = round(float(row["progress"] or 0), 1)
    row["majors"] = Task.objects.filter(scope_q, depth=1).exclude(status=Status.CANCELLED).count()
    row["in_progress"] = items(scope_q).filter(status=Status.IN_PROGRESS).count()
    return _with_rates(row)


def lights_by_domain(scope_q: Q, as_of: date) -> list[dict[str, Any]]:
    counts = {
        r["domain_id"]: r
        for r in items(scope_q).values("domain_id").annotate(**_light_counts(as_of), progress=Avg("progress"))
    }
    rows: list[dict[str, Any]] = []
    for domain in Domain.objects.order_by("order"):
        row = counts.get(domain.pk)
        if row is None:
            continue
        row = _with_rates({**row, "name": domain.name})
        row["progress"] = round(float(row["progress"] or 0), 1)
        rows.append(row)
    return rows


def lights_by_unit(scope_q: Q, as_of: date) -> list[dict[str, Any]]:
    """Lead units, worst first (red, then overdue, then yellow)."""
    rows = [
        _with_rates({**r, "name": r.pop("lead_unit__name")})
        for r in items(scope_q).values("lead_unit_id", "lead_unit__name").annotate(**_light_counts(as_of))
    ]
    rows.sort(key=lambda r: (-r["red"], -r["overdue"], -r["yellow"], r["name"]))
    return rows


TASK_ROW = ("pk", "code", "title", "lead_unit__name", "deadline", "progress", "status", "rag", "rag_reason")


def _task_rows(qs: QuerySet[Task], as_of: date, extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in qs.values(*TASK_ROW, *extra):
        r["unit"] = r.pop("lead_unit__name")
        r["status_label"] = str(Status(r["status"]).label)
        r["progress"] = _num(r["progress"])
        r["days_overdue"] = (as_of - r["deadline"]).days if r["deadline"] and r["deadline"] < as_of else 0
        rows.append(r)
    return rows


def overdue_items(scope_q: Q, as_of: date) -> list[dict[str, Any]]:
    qs = items(scope_q).filter(OPEN, deadline__lt=as_of).order_by("deadline", "sort_key")
    return _task_rows(qs, as_of)


def red_items(scope_q: Q, as_of: date) -> list[dict[str, Any]]:
    qs = items(scope_q).filter(OPEN, rag=Rag.RED).order_by("sort_key")
    return _task_rows(qs, as_of)


def worst_indicators(scope_q: Q, limit: int = 10) -> list[dict[str, Any]]:
    """Indicators furthest behind their trajectory, from the lights' own explanations (rule ``indicator_behind``)."""
    found = []
    for r in (
        Task.objects.filter(scope_q, rag__in=[Rag.RED, Rag.YELLOW])
        .exclude(status__in=list(FINAL_STATUSES))
        .values("code", "title", "lead_unit__name", "rag_rules")
    ):
        for rule in r["rag_rules"] or []:
            if rule.get("rule") == "indicator_behind":
                found.append(
                    {
                        "code": r["code"],
                        "title": r["title"],
                        "unit": r["lead_unit__name"],
                        "indicator": rule.get("indicator", ""),
                        "gap": float(rule.get("gap") or 0),
                        "level": rule.get("level", ""),
                        "reason": rule.get("reason", ""),
                    }
                )
    found.sort(key=lambda f: (-f["gap"], f["code"]))
    return found[:limit]


def instructions(scope_q: Q, period: Period, as_of: date) -> dict[str, Any]:
    """Instructions issued in the period: each with its state, and the follow-through figures."""
    start, end = day_range(period.start, period.end)
    rows: list[dict[str, Any]] = []
    for ins in (
        Instruction.objects.filter(created_at__range=(start, end))
        .filter(task__in=Task.objects.filter(scope_q))
        .select_related("task__lead_unit", "author")
        .order_by("created_at", "pk")
    ):
        answered = ins.responded_at is not None
        on_time = answered and timezone.localdate(ins.responded_at) <= ins.due_date
        rows.append(
            {
                "date": timezone.localdate(ins.created_at),
                "author": ins.author.display_name,
                "code": ins.task.code,
                "title": ins.task.title,
                "unit": ins.task.lead_unit.name,
                "text": ins.text,
                "due": ins.due_date,
                "state": ins.get_state_display(),
                "approved": ins.state == Instruction.State.APPROVED,
                "answered": answered,
                "on_time": on_time,
                "overdue": not answered and ins.due_date < as_of,
            }
        )
    issued = len(rows)
    punctual = sum(r["on_time"] for r in rows)
    return {
        "rows": rows,
        "issued": issued,
        "answered": sum(r["answered"] for r in rows),
        "on_time": punctual,
        "approved": sum(r["approved"] for r in rows),
        "overdue": sum(r["overdue"] for r in rows),
        "follow_through": rate(punctual, issued),
    }


def listed_notices(scope_q: Q, as_of: date) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in (
        Notice.objects.filter(level=Notice.Level.LISTED, state=Notice.State.OPEN)
        .filter(task__in=Task.objects.filter(scope_q))
        .select_related("task__lead_unit")
        .order_by("created_at", "pk")
    ):
        since = timezone.localdate(n.created_at)
        rows.append(
            {
                "code": n.task.code,
                "title": n.task.title,
                "unit": n.task.lead_unit.name,
                "since": since,
                "days": (as_of - since).days,
                "source": n.get_source_display(),
                "reason": n.reason,
            }
        )
    return rows


def notices_in_period(scope_q: Q, period: Period) -> dict[str, Any]:
    """Notices issued in the period (the escalations), with counts per level."""
    start, end = day_range(period.start, period.end)
    rows: list[dict[str, Any]] = []
    for n in (
        Notice.objects.filter(created_at__range=(start, end))
        .filter(task__in=Task.objects.filter(scope_q))
        .select_related("task__lead_unit")
        .order_by("-level", "created_at", "pk")
    ):
        rows.append(
            {
                "date": timezone.localdate(n.created_at),
                "level": n.level,
                "level_label": n.get_level_display(),
                "source": n.get_source_display(),
                "code": n.task.code,
                "title": n.task.title,
                "unit": n.task.lead_unit.name,
                "reason": n.reason,
                "state": n.get_state_display(),
            }
        )
    by_level = {str(label): 0 for _value, label in Notice.Level.choices}
    for r in rows:
        by_level[r["level_label"]] += 1
    return {"rows": rows, "by_level": by_level, "total": len(rows), "escalated": sum(r["level"] >= 2 for r in rows)}


def periods_due_between(start: date, end: date, today: date) -> list[Period]:
    """The 旬 whose ten-day report fell due in [start, end] and before today (so it is on time, late or missed)."""
    found = []
    period = period_of(start).previous()
    while period.start <= end:
        due = due_date_for(period)
        if start <= due <= end and due < today:
            found.append(period)
        period = period.next()
    return found


def punctuality(scope_q: Q, start: date, end: date, today: date) -> dict[str, Any]:
    """Ten-day report punctuality for the reports that fell due in [start, end] (and before today).

    Expected reports = reports filed + missed reports never filed; on time = filed by the due date.
    """
    period_ends = [p.end for p in periods_due_between(start, end, today)]
    scope_tasks = Task.objects.filter(scope_q, is_leaf=True)
    filed = list(
        Feedback.objects.filter(kind=Feedback.Kind.TENDAY, period_end__in=period_ends, task__in=scope_tasks)
        .values("task_id", "period_end", "on_time", "task__lead_unit__name")
        .order_by()
    )
    filed_keys = {(f["task_id"], f["period_end"]) for f in filed}
    missed = [
        m
        for m in MissedReport.objects.filter(period_end__in=period_ends, task__in=scope_tasks)
        .values("task_id", "period_end", "task__lead_unit__name")
        .order_by()
        if (m["task_id"], m["period_end"]) not in filed_keys
    ]
    per_unit: dict[str, dict[str, int]] = defaultdict(lambda: {"expected": 0, "on_time": 0, "late": 0, "missing": 0})
    seen = set()
    for f in filed:
        key = (f["task_id"], f["period_end"])
        if key in seen:  # a lead and a cooperating unit both reported: one report expected
            continue
        seen.add(key)
        unit = per_unit[f["task__lead_unit__name"]]
        unit["expected"] += 1
        unit["on_time" if f["on_time"] else "late"] += 1
    for m in missed:
        unit = per_unit[m["task__lead_unit__name"]]
        unit["expected"] += 1
        unit["missing"] += 1
    units: list[dict[str, Any]] = [
        {"name": name, **c, "rate": rate(c["on_time"], c["expected"])} for name, c in per_unit.items()
    ]
    units.sort(key=lambda u: (u["rate"] if u["rate"] is not None else 101, u["name"]))
    totals = {k: sum(u[k] for u in units) for k in ("expected", "on_time", "late", "missing")}
    labels = [period_of(day).label for day in period_ends]
    return {**totals, "rate": rate(totals["on_time"], totals["expected"]), "units": units, "periods": labels}


def ranking(scope_q: Q, period: Period, as_of: date, domain_id: int | None, programme_id: int) -> dict[str, Any]:
    """红黑榜 for the period: the unit ranking of ``tasks_app.selectors.unit_ranking``, limited to the scope's units.

    红榜: the best-scoring units with nothing overdue and a score of at least 80; 黑榜: the worst-scoring
    units with items overdue or a score under 60 (a unit is never on both).
    """
    domain = Domain.objects.filter(pk=domain_id).first() if domain_id else None
    unit_ids = set(items(scope_q).values_list("lead_unit_id", flat=True).distinct())
    rows: list[dict[str, Any]] = [
        {
            "unit": r.unit_name,
            "due": r.due_count,
            "closed_on_time": r.closed_on_time,
            "on_time_rate": r.on_time_rate,
            "average_score": r.average_score,
            "overdue": r.overdue_count,
            "instructions": r.instructions_issued,
            "follow_through": r.follow_through_rate,
            "score": r.score,
        }
        for r in unit_ranking(
            start=period.start,
            end=period.end,
            domain=domain,
            today=as_of,
            programme=Programme.objects.get(pk=programme_id),
        )
        if r.unit_id in unit_ids
    ]
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    red = [r for r in rows if r["overdue"] == 0 and r["score"] >= RED_BOARD_SCORE][:RANKING_LIST_SIZE]
    red_units = {r["unit"] for r in red}
    black = [
        r for r in reversed(rows) if (r["overdue"] > 0 or r["score"] < BLACK_BOARD_SCORE) and r["unit"] not in red_units
    ]
    return {"rows": rows, "red": red, "black": black[:RANKING_LIST_SIZE]}


def closed_in_period(scope_q: Q, period: Period, as_of: date) -> list[dict[str, Any]]:
    start, end = day_range(period.start, period.end)
    qs = items(scope_q).filter(status=Status.CLOSED, closed_at__range=(start, end)).order_by("closed_at", "sort_key")
    rows = _task_rows(qs, as_of, ("closed_at",))
    for r in rows:
        r["closed_on"] = timezone.localdate(r.pop("closed_at"))
        r["on_time"] = r["deadline"] is None or r["closed_on"] <= r["deadline"]
    return rows


def newly_overdue(scope_q: Q, period: Period, as_of: date) -> list[dict[str, Any]]:
    """Items whose deadline fell in the period (up to ``as_of``) and that are still open."""
    last = min(period.end, as_of)
    qs = items(scope_q).filter(OPEN, deadline__gte=period.start, deadline__lt=last).order_by("deadline", "sort_key")
    return _task_rows(qs, as_of)


def evaluations_in_period(scope_q: Q, period: Period) -> list[dict[str, Any]]:
    start, end = day_range(period.start, period.end)
    return [
        {
            "code": e.task.code,
            "title": e.task.title,
            "unit": e.task.lead_unit.name,
            "total": _num(e.total),
            "grade": e.grade,
            "evaluator": e.evaluator.display_name,
            "date": timezone.localdate(e.created_at),
            "comment": e.comment,
        }
        for e in Evaluation.objects.filter(created_at__range=(start, end), task__in=Task.objects.filter(scope_q))
        .select_related("task__lead_unit", "evaluator")
        .order_by("created_at", "pk")
    ]


def _num(value: Decimal | float | int | None) -> str:
    if value is None:
        return ""
    text = format(Decimal(str(value)).quantize(Decimal("0.1")).normalize(), "f")
    return "0" if text in ("-0", "0.0") else text
