"""The cockpit's figure blocks, each figure with the ``/tasks/`` link that lists exactly what it counted.

Each block reads the roll-up tables (``cockpit.models``) or a handful of live rows, in a fixed number of
queries whatever the size of the programme: the state of the items (headline, statuses, lights by
domain, dimension and unit), the trend, indicators, instructions, ten-day reports, listed
supervision and the ranking. Nothing here writes; ``cockpit.selectors.compute`` puts the blocks together.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from indicators.models import Indicator
from indicators.rag import points_text, value_text
from reform.periods import Period, last_periods, period_of
from tasks_app.models import Domain, Instruction, Notice, Rag, Task
from tasks_app.selectors import unit_ranking
from tasks_app.workflow import Status

from .filters import CockpitFilters, UnitRow, chart_units, drill
from .models import ClosureCell, DueCell, IndicatorFact, LightSnapshot, ReportCell, StateCell

TREND_PERIODS = 12
RANKING_SHOWN = 5
WORST_INDICATORS = 10
LISTED_SHOWN = 10
LIGHTS = (Rag.RED, Rag.YELLOW, Rag.GREEN)
STATUS_LABELS = dict(Status.choices)
DIMENSIONS = (("governance", "治理", "governance"), ("service", "服务", "service"))
BUCKET_LABELS = dict(IndicatorFact.Bucket.choices)


def figure(value: Any, url: str | None, **extra: Any) -> dict[str, Any]:
    return {"value": value, "url": url, **extra}


def rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _domain_q(f: CockpitFilters, field: str = "domain_id") -> dict[str, Any]:
    """The cells of the chosen domain, or of every domain of the programme (domains belong to a programme)."""
    return {field: f.domain.pk} if f.domain is not None else {f"{field}__in": f.domain_ids}


def task_scope_q(f: CockpitFilters, prefix: str = "task__") -> Q:
    """Tasks in the cockpit's scope (as Q over ``prefix``): the programme's, that the unit subtree leads
    or cooperates on, in the domain."""
    q = Q(**{f"{prefix}programme": f.programme})
    if f.domain is not None:
        q &= Q(**{f"{prefix}domain": f.domain})
    if f.unit is not None:
        through = Task.cooperating_units.through.objects.filter(
            task_id=OuterRef(f"{prefix}pk"), orgunit__path__startswith=f.unit.path
        )
        q &= Q(**{f"{prefix}lead_unit__path__startswith": f.unit.path}) | Q(Exists(through))
    return q


def state_figures(f: CockpitFilters, units: dict[int, UnitRow], today: date, domains: list[Domain]) -> dict[str, Any]:
    chart_parent, children = chart_units(f, units)
    scope = f.scope
    wanted = {scope, *(c.pk for c in children)}
    if chart_parent is not None:
        wanted.add(chart_parent)
    cells = list(
        StateCell.objects.filter(scope__in=wanted, **_domain_q(f)).values_list(
            "scope", "domain_id", "is_leaf", "status", "rag", "led", "n", "governance", "service", "on_time"
        )
    )
    mine = [c for c in cells if c[0] == scope]
    items = [c for c in mine if c[2]]
    tasks_total = sum(c[6] for c in mine)
    item_total = sum(c[6] for c in items)
    by_status: defaultdict[str, int] = defaultdict(int)
    by_rag: defaultdict[str, int] = defaultdict(int)
    on_time = 0
    domain_rag: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    dims: dict[str, dict[str, int]] = {"governance": defaultdict(int), "service": defaultdict(int)}
    for _s, domain_id, _leaf, status, rag, _led, n, gov, svc, ot in items:
        by_status[status] += n
        by_rag[rag] += n
        domain_rag[domain_id][rag] += n
        domain_rag[domain_id]["items"] += n
        if status == Status.CLOSED:
            on_time += ot
            domain_rag[domain_id]["closed"] += n
        for key, count in (("governance", gov), ("service", svc)):
            dims[key]["items"] += count
            dims[key][rag] += count
            if status == Status.CLOSED:
                dims[key]["closed"] += count
            if status == Status.CANCELLED:
                dims[key]["cancelled"] += count
    overdue_rows = (
        DueCell.objects.filter(scope=scope, deadline__lt=today, **_domain_q(f))
        .values_list("domain_id")
        .annotate(total=Sum("n"))
        .order_by()
    )
    overdue_by_domain = dict(overdue_rows)
    overdue = sum(overdue_by_domain.values())
    closed, cancelled = by_status[Status.CLOSED], by_status[Status.CANCELLED]
    headline = {
        "tasks": figure(tasks_total, drill(f)),
        "items": figure(item_total, drill(f, leaf=1)),
        "closed": figure(closed, drill(f, leaf=1, status=Status.CLOSED)),
        "closure_rate": figure(
            rate(closed, item_total - cancelled),
            drill(f, leaf=1, status=Status.CLOSED),
            numerator=closed,
            denominator=item_total - cancelled,
            denominator_url=drill(f, leaf=1, cancelled="0"),
        ),
        "on_time": figure(on_time, drill(f, leaf=1, status=Status.CLOSED, closed="on_time")),
        "on_time_rate": figure(
            rate(on_time, closed),
            drill(f, leaf=1, status=Status.CLOSED, closed="on_time"),
            numerator=on_time,
            denominator=closed,
            denominator_url=drill(f, leaf=1, status=Status.CLOSED),
        ),
        "overdue": figure(overdue, drill(f, leaf=1, overdue=1)),
        "open": figure(item_total - closed - cancelled, drill(f, leaf=1, open=1)),
        **{str(light): figure(by_rag[light], drill(f, rag=light, leaf=1)) for light in LIGHTS},
    }
    statuses = [
        {"status": str(s), "label": str(STATUS_LABELS[s]), **figure(by_status[s], drill(f, leaf=1, status=s))}
        for s in Status
    ]
    by_domain = []
    for d in domains:
        if f.domain is not None and d.pk != f.domain.pk:
            continue
        counts = domain_rag[d.pk]
        scoped = {"domain": d.code}
        by_domain.append(
            {
                "code": d.code,
                "name": d.name,
                "items": figure(counts["items"], drill(f, leaf=1, **scoped)),
                "closed": figure(counts["closed"], drill(f, leaf=1, status=Status.CLOSED, **scoped)),
                "overdue": figure(overdue_by_domain.get(d.pk, 0), drill(f, leaf=1, overdue=1, **scoped)),
                **{str(light): figure(counts[light], drill(f, rag=light, leaf=1, **scoped)) for light in LIGHTS},
            }
        )
    dimensions = []
    for key, label, _field in DIMENSIONS:
        counts = dims[key]
        dimensions.append(
            {
                "key": key,
                "label": label,
                "items": figure(counts["items"], drill(f, leaf=1, dimension=key)),
                "closed": figure(counts["closed"], drill(f, leaf=1, dimension=key, status=Status.CLOSED)),
                "closure_rate": rate(counts["closed"], counts["items"] - counts["cancelled"]),
                **{str(light): figure(counts[light], drill(f, leaf=1, dimension=key, rag=light)) for light in LIGHTS},
            }
        )
    # Lights by lead unit: the children of the scope's unit, counting items their subtree leads.
    unit_rows = []
    led_by: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s, _d, leaf, _status, rag, led, n, *_rest in cells:
        if leaf and led:
            led_by[s][rag] += n
            led_by[s]["items"] += n
    for child in children:
        counts = led_by.get(child.pk, {})
        if not counts.get("items"):
            continue
        unit_rows.append(_unit_row(f, child.pk, child.name, counts, exact=False))
    if chart_parent is not None:
        own = dict(led_by.get(chart_parent, {}))
        for child in children:
            for k, v in led_by.get(child.pk, {}).items():
                own[k] = own.get(k, 0) - v
        if own.get("items", 0) > 0:
            unit_rows.insert(0, _unit_row(f, chart_parent, f"{units[chart_parent].name}（本级）", own, exact=True))
    return {
        "headline": headline,
        "by_status": statuses,
        "lights_by_domain": by_domain,
        "lights_by_unit": unit_rows,
        "dimensions": dimensions,
        "live_red": by_rag[Rag.RED],
    }


def _unit_row(f: CockpitFilters, unit_id: int, name: str, counts: dict[str, int], *, exact: bool) -> dict[str, Any]:
    lead = {"lead": unit_id, "lead_exact": 1 if exact else None}
    return {
        "unit_id": unit_id,
        "name": name,
        "items": figure(counts.get("items", 0), drill(f, leaf=1, **lead)),
        **{str(light): figure(counts.get(light, 0), drill(f, rag=light, leaf=1, **lead)) for light in LIGHTS},
    }


def trend_figures(f: CockpitFilters, today: date, live_red: int) -> dict[str, Any]:
    periods = last_periods(f.period.end, TREND_PERIODS, f.period.kind)
    first, last = periods[0], periods[-1]
    closures = (
        ClosureCell.objects.filter(scope=f.scope, period_end__gte=first.start, period_end__lte=last.end, **_domain_q(f))
        .values_list("period_end")
        .annotate(total=Sum("closed"))
        .order_by()
    )
    closed_by: defaultdict[date, int] = defaultdict(int)
    for end, total in closures:
        closed_by[period_of(end, f.period.kind).end] += total
    snapshots = (
        LightSnapshot.objects.filter(scope=f.scope, day__gte=first.start, day__lte=last.end, **_domain_q(f))
        .values_list("day")
        .annotate(red=Sum("red"))
        .order_by("day")
    )
    red_by: dict[date, tuple[date, int]] = {}
    for day, red in snapshots:
        red_by[period_of(day, f.period.kind).end] = (day, red)  # the latest day of each period wins
    rows = []
    for p in periods:
        closed = figure(
            closed_by.get(p.end, 0),
            drill(f, leaf=1, status=Status.CLOSED, closed_after=p.start.isoformat(), closed_before=p.end.isoformat()),
        )
        if p.start <= today <= p.end:
            red = figure(live_red, drill(f, rag=Rag.RED, leaf=1), source="live", day=today.isoformat())
        elif p.end < today and p.end in red_by:
            day, count = red_by[p.end]
            red = figure(count, None, source="snapshot", day=day.isoformat())
        else:
            red = figure(None, None, source="none", day=None)
        rows.append(
            {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "closed": closed, "red": red}
        )
    return {"kind": f.period.kind, "periods": rows}


def indicator_figures(f: CockpitFilters, domains: list[Domain]) -> dict[str, Any]:
    facts = IndicatorFact.objects.filter(scope=f.scope, **_domain_q(f))
    grouped = (
        facts.values_list("domain_id", "bucket")
        .annotate(
            n=Count("pk"),
            tasks=Count("task_id", distinct=True),
            reached=Sum("achievement"),
            planned=Sum("expected"),
            planned_n=Count("expected"),
        )
        .order_by()
    )
    buckets: dict[str, int] = defaultdict(int)
    bucket_tasks: dict[str, int] = defaultdict(int)
    per_domain: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for domain_id, bucket, n, tasks, reached, planned, planned_n in grouped:
        buckets[bucket] += n
        bucket_tasks[bucket] += tasks
        if bucket != IndicatorFact.Bucket.UNMEASURED:
            sums = per_domain[domain_id]
            sums["measured"] += n
            sums["reached"] += reached or 0
            if bucket != IndicatorFact.Bucket.UNPLANNED:
                sums["compared"] += planned_n
                sums["reached_compared"] += reached or 0
                sums["planned"] += planned or 0
    total = sum(buckets.values())
    by_domain = []
    for d in domains:
        if f.domain is not None and d.pk != f.domain.pk:
            continue
        stats = per_domain.get(d.pk, {})
        compared = stats.get("compared", 0)
        by_domain.append(
            {
                "code": d.code,
                "name": d.name,
                "measured": figure(int(stats.get("measured", 0)), drill(f, indicator="measured", domain=d.code)),
                "achievement": round(stats["reached_compared"] / compared, 1) if compared else None,
                "expected": round(stats["planned"] / compared, 1) if compared else None,
                "url": drill(f, indicator="measured", domain=d.code),
            }
        )
    worst_rows: list[dict[str, Any]] = [
        dict(row)
        for row in facts.filter(gap__isnull=False, gap__gt=0)
        .order_by("-gap", "indicator_id")
        .values("indicator_id", "task_id", "gap", "achievement", "expected", "actual", "planned", "period_end")[
            :WORST_INDICATORS
        ]
    ]

    meta = {
        i.pk: i
        for i in Indicator.objects.filter(pk__in=[r["indicator_id"] for r in worst_rows]).select_related(
            "task", "task__lead_unit"
        )
    }
    worst = []
    for row in worst_rows:
        ind = meta.get(row["indicator_id"])
        if ind is None:
            continue
        relation = "高于" if ind.direction == Indicator.Direction.LOWER else "低于"
        reason = (
            f"实际 {value_text(row['actual'], ind.unit)}，{relation}本期目标 {value_text(row['planned'], ind.unit)}"
            f"（完成度 {points_text(row['achievement'])}%，应达 {points_text(row['expected'])}%，"
            f"落后 {points_text(row['gap'])} 个百分点）"
        )
        worst.append(
            {
                "indicator_id": ind.pk,
                "name": ind.name,
                "task_id": ind.task_id,
                "task_code": ind.task.code,
                "task_title": ind.task.title,
                "unit": ind.task.lead_unit.name,
                "period_end": row["period_end"].isoformat() if row["period_end"] else None,
                "achievement": round(row["achievement"], 1),
                "expected": round(row["expected"], 1),
                "gap": round(row["gap"], 1),
                "level": "red" if row["gap"] > _red_gap() else ("yellow" if row["gap"] > _yellow_gap() else "green"),
                "reason": reason,
                "url": f"/tasks/{ind.task_id}/",
            }
        )
    return {
        "total": figure(total, drill(f, indicator="any")),
        "buckets": [
            {
                "key": str(b),
                "label": str(BUCKET_LABELS[b]),
                **figure(buckets.get(b, 0), drill(f, indicator=b), tasks=bucket_tasks.get(b, 0)),
            }
            for b in IndicatorFact.Bucket
        ],
        "by_domain": by_domain,
        "worst": worst,
        "thresholds": {"yellow": _yellow_gap(), "red": _red_gap()},
    }


def _red_gap() -> float:
    return float(settings.RAG_RED_INDICATOR_GAP)


def _yellow_gap() -> float:
    return float(settings.RAG_YELLOW_INDICATOR_GAP)


def _day_range(period: Period) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(period.start, time.min, tzinfo=tz), datetime.combine(period.end, time.max, tzinfo=tz)


def instruction_figures(f: CockpitFilters, today: date) -> dict[str, Any]:
    tz = timezone.get_current_timezone()
    qs = Instruction.objects.filter(task_scope_q(f), created_at__range=_day_range(f.period)).annotate(
        answered_day=TruncDate("responded_at", tzinfo=tz)
    )
    kinds = {
        "issued": Q(),
        "on_time": Q(responded_at__isnull=False, answered_day__lte=F("due_date")),
        "late": Q(responded_at__isnull=False, answered_day__gt=F("due_date")),
        "overdue": Q(responded_at__isnull=True, due_date__lt=today),
        "pending": Q(responded_at__isnull=True, due_date__gte=today),
    }
    aggregates: dict[str, Any] = {}
    for key, q in kinds.items():
        aggregates[key] = Count("pk", filter=q) if q else Count("pk")
        aggregates[f"{key}_tasks"] = Count("task_id", filter=q, distinct=True) if q else Count("task_id", distinct=True)
    counts = qs.aggregate(**aggregates)
    window = {"instruction_after": f.period.start.isoformat(), "instruction_before": f.period.end.isoformat()}
    out = {key: figure(counts[key], drill(f, instructed=key, **window), tasks=counts[f"{key}_tasks"]) for key in kinds}
    out["rate"] = figure(
        rate(counts["on_time"], counts["issued"]),
        drill(f, instructed="on_time", **window),
        numerator=counts["on_time"],
        denominator=counts["issued"],
        denominator_url=drill(f, instructed="issued", **window),
    )
    return out


def report_figures(f: CockpitFilters, units: dict[int, UnitRow]) -> dict[str, Any]:
    chart_parent, children = chart_units(f, units)
    qs = ReportCell.objects.filter(period_end__gte=f.period.start, period_end__lte=f.period.end, **_domain_q(f))
    if f.unit is not None:
        qs = qs.filter(lead_unit_id__in=[u.pk for u in units.values() if f.unit.pk in u.chain])
    rows = qs.values_list("lead_unit_id").annotate(expected=Sum("expected"), on_time=Sum("on_time")).order_by()
    child_ids = {c.pk for c in children}
    per: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    expected = on_time = 0
    for unit_id, exp, ot in rows:
        expected += exp
        on_time += ot
        unit = units.get(unit_id)
        chain = unit.chain if unit else (unit_id,)
        target = next((u for u in chain if u in child_ids), None)
        if target is None and chart_parent is not None and chart_parent in chain:
            target = chart_parent
        if target is not None:
            per[target][0] += exp
            per[target][1] += ot
    window = {"report_after": f.period.start.isoformat(), "report_before": f.period.end.isoformat()}
    by_unit = []
    for unit_id, (exp, ot) in per.items():
        exact = unit_id == chart_parent
        lead = {"lead": unit_id, "lead_exact": 1 if exact else None}
        name = units[unit_id].name + ("（本级）" if exact else "")
        by_unit.append(
            {
                "unit_id": unit_id,
                "name": name,
                "expected": figure(exp, drill(f, report="expected", leaf=1, **lead, **window)),
                "on_time": figure(ot, drill(f, report="on_time", leaf=1, **lead, **window)),
                "late": figure(exp - ot, drill(f, report="late", leaf=1, **lead, **window)),
                "rate": rate(ot, exp),
            }
        )
    by_unit.sort(key=lambda r: (r["rate"] if r["rate"] is not None else 101, r["name"]))
    led_scope = {"lead": f.unit.pk} if f.unit is not None else {}
    return {
        "expected": figure(expected, drill(f, report="expected", leaf=1, **led_scope, **window)),
        "on_time": figure(on_time, drill(f, report="on_time", leaf=1, **led_scope, **window)),
        "late": figure(expected - on_time, drill(f, report="late", leaf=1, **led_scope, **window)),
        "rate": figure(
            rate(on_time, expected),
            drill(f, report="on_time", leaf=1, **led_scope, **window),
            numerator=on_time,
            denominator=expected,
        ),
        "by_unit": by_unit,
    }


def listed_figures(f: CockpitFilters, today: date) -> dict[str, Any]:
    notices = Notice.objects.filter(task_scope_q(f), level=Notice.Level.LISTED, state=Notice.State.OPEN)
    count = notices.values("task_id").distinct().count()
    latest = notices.select_related("task", "task__lead_unit").order_by("created_at", "pk")[:LISTED_SHOWN]
    items = [
        {
            "notice_id": n.pk,
            "task_id": n.task_id,
            "code": n.task.code,
            "title": n.task.title,
            "unit": n.task.lead_unit.name,
            "reason": n.reason,
            "since": timezone.localdate(n.created_at).isoformat(),
            "days": (today - timezone.localdate(n.created_at)).days,
            "rag": n.task.rag,
            "url": f"/tasks/{n.task_id}/",
        }
        for n in latest
    ]
    return {"count": figure(count, drill(f, notice_level=Notice.Level.LISTED)), "items": items}


def ranking_rows(f: CockpitFilters, today: date) -> list[dict[str, Any]]:
    """红黑榜 rows for the period from ``tasks_app.selectors.unit_ranking`` (all lead units, best first)."""
    rows = unit_ranking(start=f.period.start, end=f.period.end, domain=f.domain, today=today, programme=f.programme)
    return [r.__dict__ for r in rows]


def ranking_figures(
    f: CockpitFilters, units: dict[int, UnitRow], today: date, cached: list[dict[str, Any]]
) -> dict[str, Any]:
    """The red list (top five) and the black list (bottom five, worst first) within the cockpit's scope."""
    if f.unit is not None:
        cached = [r for r in cached if r["unit_id"] in units and f.unit.pk in units[r["unit_id"]].chain]
    cutoff = min(f.period.end, today)

    def row(r: dict[str, Any], rank: int) -> dict[str, Any]:
        lead = {"lead": r["unit_id"], "lead_exact": 1}
        if cutoff == today:
            overdue_url = drill(f, leaf=1, overdue=1, **lead)
        else:
            overdue_url = drill(f, leaf=1, open=1, deadline_before=(cutoff - timedelta(days=1)).isoformat(), **lead)
        due_url = drill(
            f,
            leaf=1,
            cancelled="0",
            deadline_after=f.period.start.isoformat(),
            deadline_before=f.period.end.isoformat(),
            **lead,
        )
        return {
            "rank": rank,
            "unit_id": r["unit_id"],
            "name": r["unit_name"],
            "score": r["score"],
            "on_time_rate": r["on_time_rate"],
            "average_score": r["average_score"],
            "follow_through_rate": r["follow_through_rate"],
            "due": figure(r["due_count"], due_url),
            "closed_on_time": r["closed_on_time"],
            "overdue": figure(r["overdue_count"], overdue_url),
            "url": overdue_url if r["overdue_count"] else due_url,
        }

    ranked = [row(r, i) for i, r in enumerate(cached, start=1)]
    top = ranked[:RANKING_SHOWN]
    bottom = [r for r in reversed(ranked[RANKING_SHOWN:])][:RANKING_SHOWN]
    return {"units": len(ranked), "red": top, "black": bottom}
