"""The cockpit's reads: every figure, each with the ``/tasks/`` link that lists exactly what it counted.

``cockpit_payload(user=…, params=…)`` is what the page and ``/api/cockpit/`` show. It answers from
``FigureCache`` when the watermark (trace head ``seq``, local date, ``CockpitState.epoch``) has not
moved since the figures were computed (one query), and otherwise catches the roll-ups up with the
trace (``cockpit.rollup.sync``) and recomputes from them in a fixed number of queries.

``cockpit.drilldown.drilldown_queryset(user=…, params=…)`` is the other half of the contract: given
the query string of any link in the payload it returns the tasks behind the figure, as /tasks/ does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from indicators.rag import points_text, value_text
from orgs.models import OrgUnit
from reform.errors import NotFound, PermissionDenied, ValidationError
from reform.periods import Period, last_periods, period_of
from reform.roles import Role
from tasks_app.access import sees_everything
from tasks_app.models import Domain, Instruction, Notice, Rag, Task
from tasks_app.selectors import unit_ranking
from tasks_app.selectors.task_list import task_search as search_tasks
from tasks_app.workflow import FINAL_STATUSES, Status

from .models import (
    ALL_SCOPE,
    ClosureCell,
    CockpitState,
    DueCell,
    FigureCache,
    IndicatorFact,
    LightSnapshot,
    ReportCell,
    StateCell,
)

if TYPE_CHECKING:
    from accounts.models import User

PAYLOAD_VERSION = 1
COCKPIT_ROLES = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR, Role.UNIT_ADMIN})
TREND_PERIODS = 12
PERIOD_CHOICES = 12
RANKING_SHOWN = 5
WORST_INDICATORS = 10
LISTED_SHOWN = 10
LIGHTS = (Rag.RED, Rag.YELLOW, Rag.GREEN)
STATUS_LABELS = dict(Status.choices)
DIMENSIONS = (("governance", "治理", "governance"), ("service", "服务", "service"))
BUCKET_LABELS = dict(IndicatorFact.Bucket.choices)


# --- Filters and scope --------------------------------------------------------------------------


@dataclass(frozen=True)
class CockpitFilters:
    unit: OrgUnit | None
    domain: Domain | None
    period: Period
    period_value: str

    @property
    def scope(self) -> int:
        return self.unit.pk if self.unit is not None else ALL_SCOPE

    @property
    def cache_key(self) -> str:
        return f"v{PAYLOAD_VERSION}:{self.scope}:{self.domain.code if self.domain else '*'}:{self.period_value}"

    def query(self) -> dict[str, str]:
        """The filters as they appear in the cockpit's own URL."""
        out = {"period": self.period_value}
        if self.domain is not None:
            out["domain"] = self.domain.code
        if self.unit is not None:
            out["unit"] = str(self.unit.pk)
        return out


def period_value(period: Period) -> str:
    if period.kind == "month":
        return f"{period.end.year}-{period.end.month:02d}"
    part = 1 if period.start.day == 1 else (2 if period.start.day == 11 else 3)
    return f"{period.end.year}-{period.end.month:02d}-t{part}"


def parse_period(value: str, today: date) -> Period:
    """``2026-11`` (a month) or ``2026-11-t2`` (its middle ten-day period); empty: the current month."""
    value = (value or "").strip()
    if not value:
        return period_of(today, "month")
    try:
        parts = value.split("-")
        year, month = int(parts[0]), int(parts[1])
        if len(parts) == 2:
            period = period_of(date(year, month, 1), "month")
        elif len(parts) == 3 and parts[2] in ("t1", "t2", "t3"):
            period = period_of(date(year, month, {"t1": 1, "t2": 11, "t3": 21}[parts[2]]), "tenday")
        else:
            raise ValueError(value)
    except (ValueError, IndexError) as exc:
        raise ValidationError(
            _("统计期间“%(v)s”格式不正确，应为 2026-11（月）或 2026-11-t2（旬）") % {"v": value},
            fields={"period": [_("格式不正确")]},
        ) from exc
    if period.start > today:
        raise ValidationError(_("不能选择尚未开始的统计期间"), fields={"period": [_("尚未开始")]})
    return period


def require_cockpit_access(user: User) -> None:
    if not user.is_authenticated or not (user.is_superuser or user.role in COCKPIT_ROLES):
        raise PermissionDenied(_("您的角色无权查看驾驶舱，请在任务清单中办理本单位事项"))
    if not sees_everything(user) and user.unit is None:
        raise PermissionDenied(_("您的账号未关联单位，无权查看驾驶舱"))


def parse_filters(user: User, params: Any, today: date | None = None) -> CockpitFilters:
    """Read domain, unit and period from the query string; a unit admin is kept within the unit's subtree."""
    require_cockpit_access(user)
    today = today or timezone.localdate()
    domain = None
    if code := (params.get("domain") or "").strip():
        domain = Domain.objects.filter(code=code).first()
        if domain is None:
            raise ValidationError(_("未知的改革领域：%(c)s") % {"c": code}, fields={"domain": [_("无效")]})
    unit = None
    raw_unit = (params.get("unit") or "").strip()
    if raw_unit:
        if not raw_unit.isdigit():
            raise ValidationError(_("单位参数无效"), fields={"unit": [_("无效")]})
        unit = OrgUnit.objects.filter(pk=int(raw_unit)).first()
        if unit is None:
            raise NotFound(_("单位不存在或无权访问"))
    if not sees_everything(user):
        own = user.unit
        assert own is not None  # require_cockpit_access
        if unit is None:
            unit = own
        elif not unit.path.startswith(own.path):
            raise NotFound(_("单位不存在或无权访问"))
    period = parse_period(params.get("period", ""), today)
    return CockpitFilters(unit=unit, domain=domain, period=period, period_value=period_value(period))


# --- Links --------------------------------------------------------------------------------------


def drill(f: CockpitFilters, **params: Any) -> str:
    """The /tasks/ link for a figure: its own filters first, then the cockpit's domain and unit."""
    query: dict[str, Any] = {k: v for k, v in params.items() if v not in (None, "", False)}
    if f.domain is not None and "domain" not in query:
        query["domain"] = f.domain.code
    if f.unit is not None and "lead" not in query and "unit" not in query:
        query["unit"] = f.unit.pk
    if not query:
        return "/tasks/"
    return "/tasks/?" + urlencode({k: (1 if v is True else v) for k, v in query.items()})


def figure(value: Any, url: str | None, **extra: Any) -> dict[str, Any]:
    return {"value": value, "url": url, **extra}


def rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


# --- Units map ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    pk: int
    name: str
    parent_id: int | None
    depth: int
    chain: tuple[int, ...]


def load_units() -> dict[int, UnitRow]:
    units = {}
    for pk, name, parent_id, depth, path in OrgUnit.objects.values_list("pk", "name", "parent_id", "depth", "path"):
        units[pk] = UnitRow(pk, name, parent_id, depth, tuple(int(p) for p in path.strip("/").split("/") if p))
    return units


def chart_units(f: CockpitFilters, units: dict[int, UnitRow]) -> tuple[int | None, list[UnitRow]]:
    """The unit whose children the unit charts show, and those children (the roots when there are several)."""
    if f.unit is not None:
        parent: int | None = f.unit.pk
    else:
        roots = [u for u in units.values() if u.parent_id is None]
        if len(roots) != 1:
            return None, sorted(roots, key=lambda u: u.pk)
        parent = roots[0].pk
    return parent, sorted((u for u in units.values() if u.parent_id == parent), key=lambda u: u.pk)


# --- The figures --------------------------------------------------------------------------------


def _domain_q(f: CockpitFilters, field: str = "domain_id") -> dict[str, Any]:
    return {field: f.domain.pk} if f.domain is not None else {}


def task_scope_q(f: CockpitFilters, prefix: str = "task__") -> Q:
    """Tasks in the cockpit's scope (as Q over ``prefix``): the unit subtree leads or cooperates, in the domain."""
    q = Q()
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
    by_status = defaultdict(int)
    by_rag = defaultdict(int)
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
    closed_by = defaultdict(int)
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
            d = per_domain[domain_id]
            d["measured"] += n
            d["reached"] += reached or 0
            if bucket != IndicatorFact.Bucket.UNPLANNED:
                d["compared"] += planned_n
                d["reached_compared"] += reached or 0
                d["planned"] += planned or 0
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
    worst_rows = list(
        facts.filter(gap__isnull=False, gap__gt=0)
        .order_by("-gap", "indicator_id")
        .values("indicator_id", "task_id", "gap", "achievement", "expected", "actual", "planned", "period_end")[
            :WORST_INDICATORS
        ]
    )
    from indicators.models import Indicator

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
    return [r.__dict__ for r in unit_ranking(start=f.period.start, end=f.period.end, domain=f.domain, today=today)]


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


# Blocks whose inputs change less often than the trace head moves: each is cached under its own
# watermark (the seq of the last trace entry that could change it, kept by the roll-up sync).
BLOCK_SEQS = {"ranking": "ranking_seq", "indicators": "indicator_seq", "reports": "report_seq"}


def block_keys(f: CockpitFilters) -> dict[str, str]:
    domain = f.domain.code if f.domain else "*"
    return {
        "ranking": f"v{PAYLOAD_VERSION}:ranking:{domain}:{f.period_value}",  # every lead unit: shared by all scopes
        "indicators": f"v{PAYLOAD_VERSION}:indicators:{f.scope}:{domain}",
        "reports": f"v{PAYLOAD_VERSION}:reports:{f.scope}:{domain}:{f.period_value}",
    }


def compute(f: CockpitFilters, *, today: date, state: dict[str, Any]) -> dict[str, Any]:
    """Every figure for these filters, from the roll-ups (a fixed number of queries)."""
    from .services import cache_store

    units = load_units()
    domains = list(Domain.objects.order_by("order"))
    keys = block_keys(f)
    stored = {
        key: (seq, payload)
        for key, seq, payload in FigureCache.objects.filter(
            key__in=list(keys.values()), day=today, epoch=state["epoch"]
        ).values_list("key", "seq", "payload")
    }

    def block(name: str, build: Any) -> Any:
        seq = state[BLOCK_SEQS[name]]
        hit = stored.get(keys[name])
        if hit is not None and hit[0] == seq:
            return hit[1]
        value = build()
        cache_store(key=keys[name], day=today, seq=seq, epoch=state["epoch"], payload=value)
        return value

    figures = state_figures(f, units, today, domains)
    live_red = figures.pop("live_red")
    rows = block("ranking", lambda: ranking_rows(f, today))
    return {
        **figures,
        "trend": trend_figures(f, today, live_red),
        "indicators": block("indicators", lambda: indicator_figures(f, domains)),
        "instructions": instruction_figures(f, today),
        "reports": block("reports", lambda: report_figures(f, units)),
        "ranking": ranking_figures(f, units, today, rows),
        "listed": listed_figures(f, today),
        "scope": scope_meta(f, units, domains, today),
    }


def scope_meta(f: CockpitFilters, units: dict[int, UnitRow], domains: list[Domain], today: date) -> dict[str, Any]:
    _parent, children = chart_units(f, units)
    unit = units.get(f.unit.pk) if f.unit is not None else None
    months = last_periods(today, PERIOD_CHOICES, "month")
    tendays = last_periods(today, PERIOD_CHOICES, "tenday")
    return {
        "unit": {"id": unit.pk, "name": unit.name} if unit else None,
        "ancestors": [{"id": u, "name": units[u].name} for u in (unit.chain[:-1] if unit else ()) if u in units],
        "children": [{"id": c.pk, "name": c.name} for c in children],
        "domain": {"code": f.domain.code, "name": f.domain.name} if f.domain else None,
        "domains": [{"code": d.code, "name": d.name} for d in domains],
        "period": {
            "value": f.period_value,
            "kind": f.period.kind,
            "label": f.period.label,
            "start": f.period.start.isoformat(),
            "end": f.period.end.isoformat(),
        },
        "periods": [{"value": period_value(p), "label": p.label} for p in reversed(months)]
        + [{"value": period_value(p), "label": p.label} for p in reversed(tendays)],
    }


# --- The payload, cached on the watermark ----------------------------------------------------------


def watermark(cache_key: str = "", day: date | None = None) -> dict[str, Any]:
    """The trace head, the cockpit state and (given a key) the figures cached for it at that watermark: one query."""
    from trail.models import TraceHead

    head = TraceHead._meta.db_table
    state = CockpitState._meta.db_table
    cache = FigureCache._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.seq, s.epoch, s.built_epoch, s.seq, s.ranking_seq, s.indicator_seq, s.report_seq, "
            f"s.snapshot_day, f.payload, f.seq, f.computed_at "
            f"FROM {head} h LEFT JOIN {state} s ON s.id = 1 "
            f"LEFT JOIN {cache} f ON f.key = %s AND f.day = %s AND f.epoch = COALESCE(s.epoch, 0) "
            f"WHERE h.id = 1",
            [cache_key, day or timezone.localdate()],
        )
        row = cursor.fetchone()
    if row is None:
        return {
            "head": 0,
            "epoch": 0,
            "current": False,
            "ranking_seq": 0,
            "indicator_seq": 0,
            "report_seq": 0,
            "snapshot_day": None,
            "payload": None,
            "stale_payload": None,
            "stale_seconds": None,
        }
    (
        head_seq,
        epoch,
        built_epoch,
        synced_seq,
        ranking_seq,
        indicator_seq,
        report_seq,
        snapshot_day,
        payload,
        cached_seq,
        computed_at,
    ) = row
    if isinstance(snapshot_day, str):
        snapshot_day = date.fromisoformat(snapshot_day)
    if isinstance(payload, (str, bytes)):
        payload = json.loads(payload)
    if isinstance(computed_at, str):
        computed_at = parse_datetime(computed_at)
    if computed_at is not None and timezone.is_naive(computed_at):
        computed_at = timezone.make_aware(computed_at, UTC)
    current_payload = payload if payload is not None and cached_seq == head_seq else None
    stale_payload = payload if payload is not None and cached_seq != head_seq else None
    return {
        "head": head_seq,
        "epoch": epoch or 0,
        "current": epoch is not None and built_epoch == epoch and synced_seq >= head_seq,
        "ranking_seq": ranking_seq or 0,
        "indicator_seq": indicator_seq or 0,
        "report_seq": report_seq or 0,
        "snapshot_day": snapshot_day,
        "payload": current_payload,
        "stale_payload": stale_payload,
        "stale_seconds": (timezone.now() - computed_at).total_seconds() if stale_payload is not None else None,
    }


def max_stale_seconds() -> float:
    """How old cached figures may be served while the trace has moved on (0: always recompute first).

    With a real worker, every write triggers ``cockpit_sync``, which recomputes the figures leaders
    have open; under a steady stream of writes a request that recomputed itself would do the worker's
    job again on every poll. So, with a worker, figures up to ``COCKPIT_MAX_STALE_SECONDS`` old are
    served (the page shows their "as of" time). Without one (the embedded demo, tests) nothing would
    refresh them, so the request recomputes.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0.0
    return float(settings.COCKPIT_MAX_STALE_SECONDS)


def cockpit_payload(*, user: User, params: Any) -> dict[str, Any]:
    """The cockpit figures for the user and filters: from the cache when nothing moved, else recomputed."""
    return payload_for(parse_filters(user, params))


def payload_for(f: CockpitFilters) -> dict[str, Any]:
    """The figures for these (already authorised) filters: one query when cached at the current watermark."""
    today = timezone.localdate()
    mark = watermark(f.cache_key, today)
    if mark["payload"] is not None:
        return mark["payload"]
    max_stale = max_stale_seconds()
    if mark["stale_payload"] is not None and max_stale > 0 and mark["stale_seconds"] <= max_stale:
        return mark["stale_payload"]  # the worker is already recomputing it; its "as of" time says how old
    if not mark["current"] or mark["snapshot_day"] != today:
        from .services import rollup_sync

        rollup_sync()
        mark = watermark()
    now = timezone.localtime()
    payload = {
        "version": PAYLOAD_VERSION,
        "as_of": now.isoformat(timespec="seconds"),
        "as_of_label": now.strftime("%H:%M"),
        "as_of_date": now.date().isoformat(),
        "seq": mark["head"],
        "filters": f.query(),
        **compute(f, today=today, state=mark),
    }
    from .services import cache_store

    cache_store(key=f.cache_key, day=today, seq=mark["head"], epoch=mark["epoch"], payload=payload)
    return payload


RECENT_MINUTES = 15
RECENT_KEYS = 20


def filters_from_key(key: str, today: date) -> CockpitFilters | None:
    """Rebuild the filters of a cached payload from its key (``v1:<scope>:<domain>:<period>``)."""
    parts = key.split(":")
    if len(parts) != 4 or parts[0] != f"v{PAYLOAD_VERSION}" or not parts[1].isdigit():
        return None
    unit = OrgUnit.objects.filter(pk=int(parts[1])).first() if parts[1] != "0" else None
    domain = Domain.objects.filter(code=parts[2]).first() if parts[2] != "*" else None
    if (parts[1] != "0" and unit is None) or (parts[2] != "*" and domain is None):
        return None
    try:
        period = parse_period(parts[3], today)
    except ValidationError:
        return None
    return CockpitFilters(unit=unit, domain=domain, period=period, period_value=period_value(period))


def warm_payloads() -> int:
    """Recompute, ahead of the readers, the default view and the filter sets read in the last minutes."""
    today = timezone.localdate()
    month = period_of(today, "month")
    wanted = [CockpitFilters(unit=None, domain=None, period=month, period_value=period_value(month))]
    since = timezone.now() - timedelta(minutes=RECENT_MINUTES)
    recent = (
        FigureCache.objects.filter(computed_at__gte=since, key__regex=r"^v[0-9]+:[0-9]+:")
        .order_by("-computed_at")
        .values_list("key", flat=True)[:RECENT_KEYS]
    )
    for key in recent:
        f = filters_from_key(key, today)
        if f is not None and f.cache_key not in {w.cache_key for w in wanted}:
            wanted.append(f)
    for f in wanted:
        payload_for(f)
    return len(wanted)


def task_search(*, user: User, text: str, limit: int = 12) -> list[dict[str, Any]]:
    """Open tasks for the leader's action forms, by code or title, among those the user may see (two queries)."""
    rows = (
        search_tasks(user=user, text=text)
        .exclude(status__in=[str(s) for s in FINAL_STATUSES])
        .prefetch_related("cooperating_units")[:limit]
    )
    return [
        {
            "id": t.pk,
            "code": t.code,
            "title": t.title,
            "label": f"{t.code} {t.title}",
            "unit": t.lead_unit.name,
            "rag": t.rag,
            "cooperating": [{"id": u.pk, "name": u.name} for u in t.cooperating_units.all()],
        }
        for t in rows
    ]


__all__ = [
    "CockpitFilters",
    "cockpit_payload",
    "compute",
    "parse_filters",
    "task_search",
]
