"""The red/yellow/green light engine (红黄绿灯), explainable: every light says which rule fired and why.

Rules, in the order they are reported within a colour (thresholds from settings):

- red: ``overdue`` — the deadline has passed and the task is not closed; ``indicator_behind`` — an
  indicator's latest value is more than ``RAG_RED_INDICATOR_GAP`` points of achievement behind the
  trajectory of the same period; ``listed_supervision`` — an open 挂牌督办; ``instruction_overdue`` —
  an instruction unanswered (issued or returned) past its due date; ``share_overdue`` — a cooperating
  unit's share (分工) not reported done by its own deadline ("配合单位 X 分工逾期");
- yellow: ``deadline_near`` — the deadline is within ``RAG_WARN_DAYS`` days and progress is below
  100; ``behind_schedule`` — progress is more than ``RAG_YELLOW_PROGRESS_GAP`` points behind the
  elapsed-time line (elapsed share of start → deadline × 100); ``indicator_behind`` — more than
  ``RAG_YELLOW_INDICATOR_GAP`` points behind; ``report_missed`` — the task is in progress or in
  correction and has no ten-day report (旬报) for the last period whose report was due;
- green otherwise; closed and cancelled tasks have no light (``none``, shown grey).

What a task stores: ``rag``; ``rag_reason``, one Chinese sentence with the numbers of the most
serious rule; ``rag_rules``, every rule that fired (``rule``, ``level``, ``reason`` and its numbers).
A parent shows its worst child when that is worse than its own light (its own wins a tie); the
reason then names the item the problem comes from (``下级事项 2.3.1“…”：…``), and the child's rule
is listed among the parent's rules whenever the child is yellow or red. Among equally bad children
the first in task-list order is named, so every path below computes the same light.

Choices worth knowing:

- An indicator is compared at the period of its latest measurement. Without a trajectory point for
  that period it is compared with the straight line from baseline to target (what
  ``trajectory_generate`` would store); with neither, it is not judged.
- A ten-day report is "missed" exactly when the supervision rhythm records it as missed
  (``rhythm.services``): reports are owed by items, not by the parents that roll them up; it is
  missed once its due date (``TENDAY_DUE_DAYS``: the 1st, 11th and 21st) has passed, never on the
  due day itself; and the period must have started on or after the item's start date.
- Light changes are not written to the trace. A light is derived data: the facts that move it (a
  measurement, a notice, a deadline change) are traced by the service that changes them, and every
  service writes exactly one entry per step; the nightly job would otherwise add thousands of
  entries a night for the mere passing of time.

``refresh_lights`` runs inside the services' transactions, after their trace entry: claiming the
trace head serialises writers, so the refresh reads the latest committed lights of siblings.
``recompute_all`` is the nightly job for time passing (deadlines, due dates); it only writes rows
whose light, reason or rules changed, so a second run changes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import RowNumber, Substr
from django.utils import timezone

from reform.periods import Period, last_missed_period
from tasks_app import tree
from tasks_app.models import SEVERITY, Feedback, Instruction, Notice, Rag, Task, TaskShare
from tasks_app.workflow import FINAL_STATUSES, REPORTING_STATUSES

from .achievement import achievement, linear_expected
from .models import Indicator, Measurement, TrajectoryPoint

LEVELS: dict[str, int] = {Rag.NONE: 0, Rag.GREEN: 1, Rag.YELLOW: 2, Rag.RED: 3}
RULE_ORDER = (
    "child",
    "overdue",
    "indicator_behind",
    "listed_supervision",
    "instruction_overdue",
    "share_overdue",
    "deadline_near",
    "behind_schedule",
    "report_missed",
)
TASK_FIELDS = (
    "id",
    "programme_id",
    "code",
    "parent_id",
    "sort_key",
    "depth",
    "is_leaf",
    "title",
    "status",
    "deadline",
    "start_date",
    "progress",
    "rag",
    "rag_reason",
    "rag_rules",
)
REASON_MAX = Task._meta.get_field("rag_reason").max_length or 500
INSTRUCTION_SHOWN = 16  # characters of an instruction quoted in a reason
NOTICE_SHOWN = 40  # characters of a listed supervision's reason quoted


@dataclass(frozen=True)
class Light:
    rag: str
    reason: str = ""
    rules: list[dict[str, Any]] = field(default_factory=list)


NO_LIGHT = Light(Rag.NONE)
GREEN = Light(Rag.GREEN)


# --- Numbers as they read in a reason ----------------------------------------------------------


def number_text(value: Decimal | float | int, places: str = "0.01") -> str:
    """``62.0000`` → ``62``, ``16.50`` → ``16.5``, ``54.5454`` → ``54.55`` (``places`` sets the rounding)."""
    text = format(Decimal(str(value)).quantize(Decimal(places)).normalize(), "f")
    return "0" if text == "-0" else text


def points_text(value: Decimal | float) -> str:
    """Percentage points or percentages with at most one decimal: ``13``, ``14.6``."""
    return number_text(value, "0.1")


def value_text(value: Decimal, unit: str) -> str:
    text = number_text(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("%", "％", "‰") else f"{text} {unit}"


def _json_number(value: Decimal, places: str = "0.1") -> float | int:
    number = Decimal(str(value)).quantize(Decimal(places)).normalize()
    return int(number) if number == number.to_integral_value() else float(number)


# --- Facts: everything the rules need, read in a fixed number of queries ------------------------


@dataclass
class Facts:
    report_period: Period
    listed: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    instructions: dict[int, list[tuple[int, str, date]]] = field(default_factory=lambda: defaultdict(list))
    reported: set[int] = field(default_factory=set)
    shares: dict[int, list[tuple[int, str, date]]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def report_period_due(today: date) -> Period:
    """Return the latest ten-day period whose report was due before ``today`` (as the rhythm jobs count it)."""
    return last_missed_period(today)


def gather(scope: Q, today: date) -> Facts:
    """Read the facts for the tasks selected by ``scope`` (a Q over ``task__…``): two queries.

    Open listed notices, overdue unanswered instructions and the due ten-day reports come in one
    UNION; indicators come with their latest measurement and that period's trajectory point.
    """
    facts = Facts(report_period=report_period_due(today))
    listed = (
        Notice.objects.filter(scope, level=Notice.Level.LISTED, state=Notice.State.OPEN)
        .annotate(fact=Value("listed"), body=Substr("reason", 1, NOTICE_SHOWN + 1), day=F("deadline"))
        .values_list("fact", "task_id", "id", "body", "day")
        .order_by()
    )
    instructions = (
        Instruction.objects.filter(
            scope, state__in=[Instruction.State.ISSUED, Instruction.State.RETURNED], due_date__lt=today
        )
        .annotate(fact=Value("instruction"), body=Substr("text", 1, INSTRUCTION_SHOWN + 1), day=F("due_date"))
        .values_list("fact", "task_id", "id", "body", "day")
        .order_by()
    )
    reports = (
        Feedback.objects.filter(scope, kind=Feedback.Kind.TENDAY, period_end=facts.report_period.end)
        .annotate(fact=Value("report"), body=Value(""), day=F("period_end"))
        .values_list("fact", "task_id", "id", "body", "day")
        .order_by()
    )
    shares = (
        TaskShare.objects.filter(scope, state=TaskShare.State.OPEN, deadline__lt=today)
        .annotate(fact=Value("share"), body=F("unit__name"), day=F("deadline"))
        .values_list("fact", "task_id", "id", "body", "day")
        .order_by()
    )
    for fact, task_id, object_id, body, day in listed.union(instructions, reports, shares, all=True):
        if fact == "listed":
            facts.listed[task_id].append((object_id, body))
        elif fact == "instruction":
            facts.instructions[task_id].append((object_id, body, day))
        elif fact == "share":
            facts.shares[task_id].append((object_id, body, day))
        else:
            facts.reported.add(task_id)
    for row in _indicator_rows(scope):
        gap = _indicator_gap(row)
        if gap is not None:
            facts.indicators[row["task_id"]].append(gap)
    return facts


def _indicator_rows(scope: Q) -> Iterable[dict[str, Any]]:
    latest = Measurement.objects.filter(indicator=OuterRef("pk")).order_by("-period_end")
    planned = TrajectoryPoint.objects.filter(indicator=OuterRef("pk"), period_end=OuterRef("measured_on"))
    return (
        Indicator.objects.filter(scope)
        .annotate(measured_on=Subquery(latest.values("period_end")[:1]))
        .filter(measured_on__isnull=False)
        .annotate(
            measured=Subquery(latest.values("value")[:1]),
            planned=Subquery(planned.values("expected_value")[:1]),
        )
        .values(
            "id",
            "task_id",
            "name",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "measured_on",
            "measured",
            "planned",
        )
    )


def _indicator_gap(row: dict[str, Any]) -> dict[str, Any] | None:
    """Compare an indicator's latest value with the trajectory of the same period (None: nothing to compare)."""
    actual = Decimal(str(row["measured"]))
    expected = row["planned"]
    if expected is None:
        line = Indicator(
            baseline_value=row["baseline_value"],
            baseline_date=row["baseline_date"],
            target_value=row["target_value"],
            target_date=row["target_date"],
        )
        expected = linear_expected(line, row["measured_on"])
        if expected is None:
            return None
    expected = Decimal(str(expected))
    terms = {"baseline": row["baseline_value"], "target": row["target_value"], "direction": row["direction"]}
    reached = achievement(actual=actual, **terms)
    planned = achievement(actual=expected, **terms)
    return {
        "indicator_id": row["id"],
        "name": row["name"],
        "unit": row["unit"],
        "lower": row["direction"] == Indicator.Direction.LOWER,
        "period_end": row["measured_on"],
        "actual": actual,
        "expected": expected,
        "reached": reached,
        "planned": planned,
        "gap": planned - reached,
    }


# --- Rules ----------------------------------------------------------------------------------


def _rule(rule: str, level: str, reason: str, **numbers: Any) -> dict[str, Any]:
    return {"rule": rule, "level": str(level), "reason": reason, **numbers}


def own_light(task: dict[str, Any], facts: Facts, today: date) -> Light:
    """Apply every rule to one task (its children aside); the most serious fired rule gives the reason."""
    if task["status"] in FINAL_STATUSES:
        return NO_LIGHT
    fired: list[dict[str, Any]] = []
    deadline: date | None = task["deadline"]
    start: date | None = task["start_date"]
    progress = Decimal(str(task["progress"]))
    if deadline is not None and deadline < today:
        days = (today - deadline).days
        fired.append(
            _rule(
                "overdue",
                Rag.RED,
                f"已逾期 {days} 天（完成时限 {deadline.isoformat()}），尚未办结",
                days=days,
                deadline=deadline.isoformat(),
            )
        )
    red_gap = Decimal(str(settings.RAG_RED_INDICATOR_GAP))
    yellow_gap = Decimal(str(settings.RAG_YELLOW_INDICATOR_GAP))
    for gap in sorted(facts.indicators.get(task["id"], []), key=lambda g: (-g["gap"], g["name"])):
        if gap["gap"] <= yellow_gap:
            continue
        relation = "高于" if gap["lower"] else "低于"
        fired.append(
            _rule(
                "indicator_behind",
                Rag.RED if gap["gap"] > red_gap else Rag.YELLOW,
                f"指标“{gap['name']}”实际 {value_text(gap['actual'], gap['unit'])}，{relation}本期目标 "
                f"{value_text(gap['expected'], gap['unit'])}（完成度落后 {points_text(gap['gap'])} 个百分点）",
                indicator=gap["name"],
                indicator_id=gap["indicator_id"],
                period_end=gap["period_end"].isoformat(),
                actual=_json_number(gap["actual"], "0.0001"),
                expected=_json_number(gap["expected"], "0.0001"),
                achievement=_json_number(gap["reached"]),
                expected_achievement=_json_number(gap["planned"]),
                gap=_json_number(gap["gap"]),
            )
        )
    for notice_id, reason in sorted(facts.listed.get(task["id"], [])):
        shown = reason if len(reason) <= NOTICE_SHOWN else reason[:NOTICE_SHOWN] + "…"
        fired.append(_rule("listed_supervision", Rag.RED, f"挂牌督办未销号：{shown}", notice_id=notice_id))
    for instruction_id, text, due in sorted(facts.instructions.get(task["id"], []), key=lambda i: (i[2], i[0])):
        days = (today - due).days
        shown = text if len(text) <= INSTRUCTION_SHOWN else text[:INSTRUCTION_SHOWN] + "…"
        fired.append(
            _rule(
                "instruction_overdue",
                Rag.RED,
                f"批示“{shown}”逾期 {days} 天未回复",
                instruction_id=instruction_id,
                days=days,
                due_date=due.isoformat(),
            )
        )
    for share_id, unit_name, due in sorted(facts.shares.get(task["id"], []), key=lambda i: (i[2], i[1])):
        days = (today - due).days
        fired.append(
            _rule(
                "share_overdue",
                Rag.RED,
                f"配合单位{unit_name}分工逾期 {days} 天（时限 {due.isoformat()}）",
                share_id=share_id,
                unit=unit_name,
                days=days,
                due_date=due.isoformat(),
            )
        )
    if deadline is not None and today <= deadline <= today + timedelta(days=settings.RAG_WARN_DAYS) and progress < 100:
        days = (deadline - today).days
        when = "今天到期" if days == 0 else f"距完成时限还有 {days} 天"
        fired.append(
            _rule(
                "deadline_near",
                Rag.YELLOW,
                f"{when}，进度 {points_text(progress)}%",
                days=days,
                deadline=deadline.isoformat(),
                progress=_json_number(progress),
            )
        )
    if start is not None and deadline is not None and start < today < deadline:
        elapsed = Decimal((today - start).days) / Decimal((deadline - start).days) * 100
        behind = elapsed - progress
        if behind > Decimal(str(settings.RAG_YELLOW_PROGRESS_GAP)):
            fired.append(
                _rule(
                    "behind_schedule",
                    Rag.YELLOW,
                    f"进度 {points_text(progress)}%，落后时间进度 {points_text(elapsed)}% "
                    f"达 {points_text(behind)} 个百分点",
                    progress=_json_number(progress),
                    elapsed=_json_number(elapsed),
                    gap=_json_number(behind),
                )
            )
    period = facts.report_period
    if (
        task["is_leaf"]
        and task["status"] in REPORTING_STATUSES
        and task["id"] not in facts.reported
        and (start is None or period.start >= start)
    ):
        fired.append(_rule("report_missed", Rag.YELLOW, f"{period.label}旬报未报送", period_end=period.end.isoformat()))
    if not fired:
        return GREEN
    fired.sort(key=lambda r: (-LEVELS[r["level"]], RULE_ORDER.index(r["rule"])))
    return Light(fired[0]["level"], fired[0]["reason"], fired)


def _severity_key(row: dict[str, Any], light: Light) -> tuple[int, str]:
    """Sort key: the worst light first, then task-list order."""
    return (-LEVELS[light.rag], row["sort_key"])


def child_rule(child: dict[str, Any], light: Light) -> dict[str, Any]:
    """The parent's rule for a yellow or red child, naming the item the problem comes from."""
    first = light.rules[0] if light.rules else {}
    if first.get("rule") == "child":  # the child shows one of its own children: name that item
        origin = first["child"]
    else:
        origin = {"code": child["code"], "title": child["title"], "rule": first.get("rule", ""), "reason": light.reason}
    reason = f"下级事项 {origin['code']}“{origin['title']}”：{origin['reason']}"
    if len(reason) > REASON_MAX:
        reason = reason[: REASON_MAX - 1] + "…"
    return {"rule": "child", "level": str(light.rag), "reason": reason, "child": origin}


def combine(own: Light, worst_child: tuple[dict[str, Any], Light] | None) -> Light:
    """A parent shows its worst child when that is worse than its own light (its own wins a tie)."""
    if worst_child is None or LEVELS[worst_child[1].rag] < LEVELS[Rag.YELLOW]:
        return own
    rule = child_rule(*worst_child)
    if LEVELS[worst_child[1].rag] > LEVELS[own.rag]:
        return Light(worst_child[1].rag, rule["reason"], [rule, *own.rules])
    return Light(own.rag, own.reason, [*own.rules, rule])


def stored_light(row: dict[str, Any]) -> Light:
    return Light(row["rag"], row["rag_reason"], row["rag_rules"] or [])


def normalise(light: Light) -> Light:
    """Round-trip the rules through JSON so that comparing with a stored row is exact."""
    return Light(light.rag, light.reason[:REASON_MAX], json.loads(json.dumps(light.rules, ensure_ascii=False)))


def light_of(
    task: dict[str, Any], facts: Facts, today: date, worst_child: tuple[dict[str, Any], Light] | None
) -> Light:
    own = own_light(task, facts, today)
    if task["status"] in FINAL_STATUSES:
        return own
    return normalise(combine(own, worst_child))


def _changed(row: dict[str, Any], light: Light) -> bool:
    return (row["rag"], row["rag_reason"], row["rag_rules"] or []) != (light.rag, light.reason, light.rules)


# --- Writing only what changed ------------------------------------------------------------------

WRITE_BATCH = 2000


def write_lights(rows: Iterable[dict[str, Any]], lights: dict[int, Light], *, only_if_unchanged: bool = False) -> int:
    """Write the lights that differ from the rows as read; return how many rows were written.

    ``only_if_unchanged`` (the nightly job, PostgreSQL) skips a row that someone else changed since it
    was read, so a service's fresh light is never overwritten by one computed a moment earlier.
    """
    changed = [(row, lights[row["id"]]) for row in rows if _changed(row, lights[row["id"]])]
    if not changed:
        return 0
    if connection.vendor != "postgresql":
        Task.objects.bulk_update(
            [
                Task(pk=row["id"], rag=light.rag, rag_reason=light.reason, rag_rules=light.rules)
                for row, light in changed
            ],
            ["rag", "rag_reason", "rag_rules"],
        )
        return len(changed)
    table = connection.ops.quote_name(Task._meta.db_table)
    guard = (
        " AND t.rag = v.old_rag AND t.rag_reason = v.old_reason AND t.rag_rules = v.old_rules"
        if only_if_unchanged
        else ""
    )
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(changed), WRITE_BATCH):
            chunk = changed[start : start + WRITE_BATCH]
            values = ", ".join(["(%s, %s, %s, %s::jsonb, %s, %s, %s::jsonb)"] * len(chunk))
            params: list[Any] = []
            for row, light in chunk:
                params += [
                    row["id"],
                    light.rag,
                    light.reason,
                    json.dumps(light.rules, ensure_ascii=False),
                    row["rag"],
                    row["rag_reason"],
                    json.dumps(row["rag_rules"] or [], ensure_ascii=False),
                ]
            cursor.execute(
                f"UPDATE {table} AS t SET rag = v.rag, rag_reason = v.reason, rag_rules = v.rules "
                f"FROM (VALUES {values}) AS v(id, rag, reason, rules, old_rag, old_reason, old_rules) "
                f"WHERE t.id = v.id{guard}",
                params,
            )
            written += cursor.rowcount
    return written


# --- Entry points -------------------------------------------------------------------------------


def refresh_lights(task_ids: Iterable[int]) -> int:
    """Recompute the lights of ``task_ids`` and of their ancestors, in the caller's transaction.

    Six queries at most, whatever the number of tasks, siblings or depth: the tasks, their
    ancestors, each recomputed task's worst other child (one window query), the facts (two), and
    one write of the rows whose light changed. Returns how many rows were written.
    """
    ids = set(task_ids)
    if not ids:
        return 0
    today = timezone.localdate()
    with transaction.atomic(savepoint=False):
        rows = list(Task.objects.filter(pk__in=ids).values(*TASK_FIELDS))
        # The ancestors' codes are the prefixes of each task's code, within its programme.
        wanted = Q(pk__in=[])
        for row in rows:
            if ancestors := tree.ancestor_codes(row["code"]):
                wanted |= Q(programme_id=row["programme_id"], code__in=ancestors)
        rows += list(Task.objects.filter(wanted).exclude(pk__in=ids).values(*TASK_FIELDS))
        if not rows:
            return 0
        tasks = {row["id"]: row for row in rows}
        recomputed = list(tasks)
        children: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            if row["parent_id"] in tasks:
                children[row["parent_id"]].append(row)
        # Only the worst of the other children matters; the database picks it per parent.
        others = (
            Task.objects.filter(parent_id__in=recomputed)
            .exclude(pk__in=recomputed)
            .annotate(
                severity=SEVERITY,
                position=Window(RowNumber(), partition_by=[F("parent_id")], order_by=[SEVERITY.desc(), "sort_key"]),
            )
            .filter(position=1)
            .values(*TASK_FIELDS)
        )
        for other in others:
            children[other["parent_id"]].append(other)
        facts = gather(Q(task_id__in=recomputed), today)
        lights: dict[int, Light] = {}
        for pk in sorted(tasks, key=lambda pk: tasks[pk]["depth"], reverse=True):
            candidates = [(c, lights.get(c["id"]) or stored_light(c)) for c in children.get(pk, [])]
            worst = min(candidates, key=lambda pair: _severity_key(*pair), default=None)
            lights[pk] = light_of(tasks[pk], facts, today, worst)
        return write_lights(rows, lights)


def recompute_all(*, chunk_size: int = 5000) -> dict[str, int]:
    """Recompute every light (the nightly job); write only rows that changed; return the counts.

    Depth by depth from the deepest level up, in chunks of ``chunk_size`` tasks in id order: each
    chunk reads its tasks and their facts in three queries, takes its children's lights from the
    level below (kept in memory, only the worst child per parent), and writes what changed in its
    own transaction. Idempotent: a second run on the same day writes nothing.
    """
    today = timezone.localdate()
    counts = {"tasks": 0, "changed": 0, Rag.RED: 0, Rag.YELLOW: 0, Rag.GREEN: 0, Rag.NONE: 0}
    depths = sorted(Task.objects.values_list("depth", flat=True).distinct().order_by(), reverse=True)
    below: dict[int, tuple[dict[str, Any], Light]] = {}  # the worst child of each parent, by parent id
    for depth in depths:
        level: dict[int, tuple[dict[str, Any], Light]] = {}
        last_id = 0
        while True:
            rows = list(
                Task.objects.filter(depth=depth, pk__gt=last_id).order_by("pk").values(*TASK_FIELDS)[:chunk_size]
            )
            if not rows:
                break
            facts = gather(Q(task__depth=depth, task_id__gt=last_id, task_id__lte=rows[-1]["id"]), today)
            last_id = rows[-1]["id"]
            lights: dict[int, Light] = {}
            for row in rows:
                light = lights[row["id"]] = light_of(row, facts, today, below.get(row["id"]))
                counts[light.rag] += 1
                parent = row["parent_id"]
                if parent and (parent not in level or _severity_key(row, light) < _severity_key(*level[parent])):
                    level[parent] = (row, light)
            with transaction.atomic(savepoint=False):
                counts["changed"] += write_lights(rows, lights, only_if_unchanged=True)
            counts["tasks"] += len(rows)
            if len(rows) < chunk_size:
                break
        below = level
    return {str(k): v for k, v in counts.items()}
