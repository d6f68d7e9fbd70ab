"""The slow, obviously-correct cockpit: every figure by Python loops over every object.

No roll-up, no cache, no clever SQL: load everything, filter in Python, count. The fast path
(``cockpit.selectors`` and ``cockpit.figures``) must agree with this on every figure.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from indicators.achievement import achievement, linear_expected
from indicators.models import Indicator
from orgs.models import OrgUnit
from reform.periods import Period, last_periods, period_of
from rhythm.models import MissedReport
from tasks_app.models import Domain, Feedback, Instruction, Notice, Task
from tasks_app.workflow import FINAL_STATUSES, Status

LIGHTS = ("red", "yellow", "green")


def _local(dt: Any) -> date | None:
    return timezone.localdate(dt) if dt is not None else None


class Reference:
    def __init__(self, *, unit: OrgUnit | None, domain: Domain | None, period: Period, today: date) -> None:
        self.unit, self.domain, self.period, self.today = unit, domain, period, today
        self.units = {u.pk: u for u in OrgUnit.objects.all()}
        self.tasks = list(Task.objects.prefetch_related("cooperating_units").select_related("lead_unit"))
        self.scoped = [t for t in self.tasks if self.in_scope(t)]
        self.items = [t for t in self.scoped if t.is_leaf]

    def under(self, unit: OrgUnit, other: OrgUnit) -> bool:
        return other.path.startswith(unit.path)

    def in_scope(self, task: Task) -> bool:
        if self.domain is not None and task.domain_id != self.domain.pk:
            return False
        if self.unit is None:
            return True
        return self.under(self.unit, task.lead_unit) or any(
            self.under(self.unit, u) for u in task.cooperating_units.all()
        )

    # --- headline -------------------------------------------------------------------------------

    def headline(self) -> dict[str, Any]:
        items = self.items
        closed = [t for t in items if t.status == Status.CLOSED]
        cancelled = [t for t in items if t.status == Status.CANCELLED]
        on_time = [
            t for t in closed if t.closed_at is not None and (t.deadline is None or _local(t.closed_at) <= t.deadline)
        ]
        overdue = [t for t in items if t.deadline and t.deadline < self.today and t.status not in FINAL_STATUSES]

        def rate(a: int, b: int) -> float | None:
            return round(a * 100 / b, 1) if b else None

        out = {
            "tasks": len(self.scoped),
            "items": len(items),
            "closed": len(closed),
            "closure_rate": rate(len(closed), len(items) - len(cancelled)),
            "on_time": len(on_time),
            "on_time_rate": rate(len(on_time), len(closed)),
            "overdue": len(overdue),
            "open": len(items) - len(closed) - len(cancelled),
        }
        for light in LIGHTS:
            out[light] = sum(1 for t in items if t.rag == light)
        return out

    def by_status(self) -> dict[str, int]:
        return {s.value: sum(1 for t in self.items if t.status == s) for s in Status}

    def lights_by_domain(self) -> dict[str, dict[str, int]]:
        out = {}
        for d in Domain.objects.all():
            if self.domain is not None and d.pk != self.domain.pk:
                continue
            mine = [t for t in self.items if t.domain_id == d.pk]
            row = {light: sum(1 for t in mine if t.rag == light) for light in LIGHTS}
            row["items"] = len(mine)
            row["closed"] = sum(1 for t in mine if t.status == Status.CLOSED)
            row["overdue"] = sum(
                1 for t in mine if t.deadline and t.deadline < self.today and t.status not in FINAL_STATUSES
            )
            out[d.code] = row
        return out

    def dimensions(self) -> dict[str, dict[str, int]]:
        out = {}
        for key in ("governance", "service"):
            mine = [t for t in self.items if getattr(t, f"is_{key}")]
            row = {light: sum(1 for t in mine if t.rag == light) for light in LIGHTS}
            row["items"] = len(mine)
            row["closed"] = sum(1 for t in mine if t.status == Status.CLOSED)
            out[key] = row
        return out

    def chart_parent(self) -> OrgUnit | None:
        if self.unit is not None:
            return self.unit
        roots = [u for u in self.units.values() if u.parent_id is None]
        return roots[0] if len(roots) == 1 else None

    def lights_by_unit(self) -> dict[str, dict[str, int]]:
        """Per child of the scope's unit (and the unit itself, 本级): items its subtree leads, by light."""
        parent = self.chart_parent()
        children = [u for u in self.units.values() if u.parent_id == (parent.pk if parent else None)]
        out = {}
        for child in children:
            mine = [t for t in self.items if self.under(child, t.lead_unit)]
            if mine:
                out[child.name] = {
                    **{light: sum(1 for t in mine if t.rag == light) for light in LIGHTS},
                    "items": len(mine),
                }
        if parent is not None:
            own = [t for t in self.items if t.lead_unit_id == parent.pk]
            if own:
                out[f"{parent.name}（本级）"] = {
                    **{light: sum(1 for t in own if t.rag == light) for light in LIGHTS},
                    "items": len(own),
                }
        return out

    # --- trend ----------------------------------------------------------------------------------

    def trend_closed(self) -> list[int]:
        out = []
        for p in last_periods(self.period.end, 12, self.period.kind):
            out.append(
                sum(
                    1
                    for t in self.items
                    if t.status == Status.CLOSED and t.closed_at and p.start <= _local(t.closed_at) <= p.end
                )
            )
        return out

    # --- indicators -----------------------------------------------------------------------------

    def indicator_states(self) -> list[dict[str, Any]]:
        scoped_ids = {t.pk for t in self.scoped}
        out = []
        for ind in Indicator.objects.prefetch_related("measurements", "trajectory"):
            if ind.task_id not in scoped_ids:
                continue
            measurements = sorted(ind.measurements.all(), key=lambda m: m.period_end)
            if not measurements:
                out.append({"indicator": ind, "bucket": "unmeasured", "gap": None})
                continue
            latest = measurements[-1]
            planned_value = next(
                (p.expected_value for p in ind.trajectory.all() if p.period_end == latest.period_end), None
            )
            if planned_value is None:
                planned_value = linear_expected(ind, latest.period_end)
            terms = {"baseline": ind.baseline_value, "target": ind.target_value, "direction": ind.direction}
            reached = achievement(actual=latest.value, **terms)
            if planned_value is None:
                out.append({"indicator": ind, "bucket": "unplanned", "gap": None, "reached": reached})
                continue
            planned = achievement(actual=Decimal(planned_value), **terms)
            gap = planned - reached
            if gap <= 0:
                bucket = "ahead"
            elif gap > Decimal(str(settings.RAG_RED_INDICATOR_GAP)):
                bucket = "far_behind"
            elif gap > Decimal(str(settings.RAG_YELLOW_INDICATOR_GAP)):
                bucket = "behind"
            else:
                bucket = "on_track"
            out.append({"indicator": ind, "bucket": bucket, "gap": gap, "reached": reached, "planned": planned})
        return out

    def indicators(self) -> dict[str, Any]:
        states = self.indicator_states()
        buckets: dict[str, int] = defaultdict(int)
        bucket_tasks: dict[str, set[int]] = defaultdict(set)
        for s in states:
            buckets[s["bucket"]] += 1
            bucket_tasks[s["bucket"]].add(s["indicator"].task_id)
        worst = sorted(
            (s for s in states if s["gap"] is not None and s["gap"] > 0),
            key=lambda s: (-s["gap"], s["indicator"].pk),
        )[:10]
        by_domain = {}
        tasks = {t.pk: t for t in self.scoped}
        for d in Domain.objects.all():
            compared = [
                s
                for s in states
                if tasks[s["indicator"].task_id].domain_id == d.pk and s["bucket"] not in ("unmeasured", "unplanned")
            ]
            if compared:
                by_domain[d.code] = (
                    round(float(sum(s["reached"] for s in compared)) / len(compared), 1),
                    round(float(sum(s["planned"] for s in compared)) / len(compared), 1),
                )
        return {
            "total": len(states),
            "buckets": dict(buckets),
            "bucket_tasks": {k: len(v) for k, v in bucket_tasks.items()},
            "worst": [s["indicator"].pk for s in worst],
            "worst_gaps": [round(float(s["gap"]), 1) for s in worst],
            "by_domain": by_domain,
        }

    # --- instructions, reports, listed supervision ----------------------------------------------------

    def instructions(self) -> dict[str, int]:
        scoped_ids = {t.pk for t in self.scoped}
        counts = dict.fromkeys(("issued", "on_time", "late", "overdue", "pending"), 0)
        for inst in Instruction.objects.all():
            if inst.task_id not in scoped_ids:
                continue
            if not self.period.start <= _local(inst.created_at) <= self.period.end:
                continue
            counts["issued"] += 1
            answered = _local(inst.responded_at)
            if answered is not None:
                counts["on_time" if answered <= inst.due_date else "late"] += 1
            else:
                counts["overdue" if inst.due_date < self.today else "pending"] += 1
        return counts

    def report_pairs(self) -> tuple[set[tuple[int, date]], set[tuple[int, date]]]:
        """(task, period) pairs owed and filed on time in the period, for items led within the scope."""
        led = {
            t.pk
            for t in self.tasks
            if (self.domain is None or t.domain_id == self.domain.pk)
            and (self.unit is None or self.under(self.unit, t.lead_unit))
        }
        owed: set[tuple[int, date]] = set()
        punctual: set[tuple[int, date]] = set()
        window = (self.period.start, self.period.end)
        for fb in Feedback.objects.filter(kind=Feedback.Kind.TENDAY):
            if fb.task_id in led and fb.period_end and window[0] <= fb.period_end <= window[1]:
                owed.add((fb.task_id, fb.period_end))
                if fb.on_time:
                    punctual.add((fb.task_id, fb.period_end))
        for missed in MissedReport.objects.all():
            if missed.task_id in led and window[0] <= missed.period_end <= window[1]:
                owed.add((missed.task_id, missed.period_end))
        return owed, punctual

    def listed(self) -> int:
        scoped_ids = {t.pk for t in self.scoped}
        return len(
            {
                n.task_id
                for n in Notice.objects.filter(level=Notice.Level.LISTED, state=Notice.State.OPEN)
                if n.task_id in scoped_ids
            }
        )


def reference_for(
    *, unit: OrgUnit | None = None, domain: Domain | None = None, period: Period | None = None
) -> Reference:
    today = timezone.localdate()
    return Reference(unit=unit, domain=domain, period=period or period_of(today, "month"), today=today)
