"""Keep the roll-up tables current: read the trace since the last sync and apply (new − old) per task.

``sync()`` is the one entry point. It locks ``CockpitState``, compares its ``seq`` with the trace
head and, when writes happened, reads just those trace entries (task id and action) to learn which
tasks changed; it then recomputes those tasks (and their ancestors, whose lights and leaf flag
follow their children) and applies the difference to the cells. A fixed number of statements
whatever the size of the programme; the volume is that of the change.

A full pass (``sync(full=True)``, or when ``CockpitState.epoch`` moved: the nightly light recompute
and bulk loaders change rows without a trace entry) compares every task with its mirror row and
applies only the differences, so it is cheap when little changed and correct when anything did.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from indicators.achievement import achievement, linear_expected
from indicators.models import Indicator, Measurement, TrajectoryPoint
from orgs.models import OrgUnit
from reform.periods import period_of
from rhythm.models import MissedReport
from tasks_app import tree
from tasks_app.models import Rag, Task
from tasks_app.workflow import FINAL_STATUSES, Status
from trail.models import TraceEntry, TraceHead

from .models import (
    ALL_SCOPE,
    ClosureCell,
    CockpitState,
    DueCell,
    IndicatorFact,
    LightSnapshot,
    ReportCell,
    StateCell,
    TaskFact,
)

logger = logging.getLogger(__name__)

# Beyond this many trace entries since the last sync, one full comparison is cheaper than the delta.
MAX_DELTA_ENTRIES = 20_000
STRUCTURE_ACTIONS = frozenset({"task.create", "task.update", "task.move", "task.delete", "task.import"})
RANKING_ACTIONS = STRUCTURE_ACTIONS | {
    "task.evaluate",
    "task.reopen",
    "task.cancel",
    "instruction.issue",
    "instruction.answer",
    "extension.approve",
}
REPORT_ACTIONS = STRUCTURE_ACTIONS | {"feedback.submit", "report.missed"}
FINAL = frozenset(str(s) for s in FINAL_STATUSES)
TASK_COLUMNS = (
    "id",
    "code",
    "domain_id",
    "lead_unit_id",
    "is_leaf",
    "status",
    "rag",
    "is_governance",
    "is_service",
    "deadline",
    "closed_at",
)
FACT_FIELDS = (
    "code",
    "domain_id",
    "lead_unit_id",
    "is_leaf",
    "status",
    "rag",
    "is_governance",
    "is_service",
    "deadline",
    "closed_on",
    "scopes",
)
BATCH = 1000


# --- Units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    """Every org unit's chain of ancestors-or-self (ids from its materialised path)."""

    chains: dict[int, tuple[int, ...]]

    @classmethod
    def load(cls) -> Units:
        chains = {
            pk: tuple(int(p) for p in path.strip("/").split("/") if p)
            for pk, path in OrgUnit.objects.values_list("pk", "path")
        }
        return cls(chains)

    def chain(self, unit_id: int) -> tuple[int, ...]:
        return self.chains.get(unit_id, (unit_id,))


# --- Facts and their contributions ---------------------------------------------------------------


def closed_on_time(closed_on: date | None, deadline: date | None) -> bool:
    """Closed on or before the deadline (an "ongoing" task without a deadline is always on time)."""
    return closed_on is not None and (deadline is None or closed_on <= deadline)


def fact_of(row: dict[str, Any], coops: Sequence[int], units: Units) -> dict[str, Any]:
    scopes = {ALL_SCOPE}
    for unit_id in (row["lead_unit_id"], *coops):
        scopes.update(units.chain(unit_id))
    closed_at = row["closed_at"]
    return {
        "code": row["code"],
        "domain_id": row["domain_id"],
        "lead_unit_id": row["lead_unit_id"],
        "is_leaf": row["is_leaf"],
        "status": row["status"],
        "rag": row["rag"],
        "is_governance": row["is_governance"],
        "is_service": row["is_service"],
        "deadline": row["deadline"],
        "closed_on": timezone.localdate(closed_at) if closed_at else None,
        "scopes": ",".join(str(x) for x in sorted(scopes)),
    }


def scope_ids(scopes: str) -> list[int]:
    return [int(x) for x in scopes.split(",")] if scopes else [ALL_SCOPE]


@dataclass
class Deltas:
    state: dict[tuple[Any, ...], list[int]]
    due: dict[tuple[Any, ...], list[int]]
    closure: dict[tuple[Any, ...], list[int]]

    @classmethod
    def empty(cls) -> Deltas:
        return cls(defaultdict(lambda: [0, 0, 0, 0]), defaultdict(lambda: [0]), defaultdict(lambda: [0, 0]))


def contribute(deltas: Deltas, fact: dict[str, Any], units: Units, sign: int) -> None:
    """Add (``sign`` = 1) or remove (−1) one task's counts in every scope it belongs to."""
    lead_chain = set(units.chain(fact["lead_unit_id"]))
    leaf, status, domain = fact["is_leaf"], fact["status"], fact["domain_id"]
    on_time = status == Status.CLOSED and closed_on_time(fact["closed_on"], fact["deadline"])
    is_open = status not in FINAL
    closing_period = (
        period_of(fact["closed_on"]).end if (leaf and status == Status.CLOSED and fact["closed_on"]) else None
    )
    for scope in scope_ids(fact["scopes"]):
        led = scope == ALL_SCOPE or scope in lead_chain
        cell = deltas.state[(scope, domain, leaf, status, fact["rag"], led)]
        cell[0] += sign
        cell[1] += sign * fact["is_governance"]
        cell[2] += sign * fact["is_service"]
        cell[3] += sign * on_time
        if leaf and is_open and fact["deadline"] is not None:
            deltas.due[(scope, domain, fact["deadline"])][0] += sign
        if closing_period is not None:
            closure = deltas.closure[(scope, domain, closing_period)]
            closure[0] += sign
            closure[1] += sign * on_time


def _apply(
    model: type[models.Model],
    keys: Sequence[str],
    values: Sequence[str],
    deltas: dict[Any, list[int]],
    *,
    empty: bool = False,
) -> None:
    """Add the deltas to the cells in place (upsert), then drop cells that fell to zero.

    ``empty``: the table is known to be empty (first build), so the rows are simply inserted.
    """
    rows = [(*key, *vals) for key, vals in deltas.items() if any(vals)]
    if not rows:
        return
    if empty:
        insert_rows(model, [*keys, *values], [r for r in rows if r[len(keys)] != 0])
        return
    table = model._meta.db_table
    columns = [*keys, *values]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in values)
    with connection.cursor() as cursor:
        # One short statement, many rows: the driver prepares it once (psycopg pipelines executemany).
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {one} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {update}",
            rows,
        )
        cursor.execute(f"DELETE FROM {table} WHERE {values[0]} = 0")


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Plain INSERTs through the driver's executemany (much faster than model instances for roll-up rows)."""
    if not rows:
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {one}", [tuple(r) for r in rows])


def delete_in(model: type[models.Model], column: str, ids: Iterable[int]) -> None:
    ids = list(ids)
    for start in range(0, len(ids), 5000):
        model._default_manager.filter(**{f"{column}__in": ids[start : start + 5000]}).delete()


# --- Tasks --------------------------------------------------------------------------------------


def _task_rows(ids: set[int] | None) -> tuple[list[dict[str, Any]], dict[int, list[int]]]:
    qs = Task.objects.all() if ids is None else Task.objects.filter(pk__in=ids)
    rows = list(qs.values(*TASK_COLUMNS))
    through = Task.cooperating_units.through.objects
    pairs = through.all() if ids is None else through.filter(task_id__in=[r["id"] for r in rows])
    coops: dict[int, list[int]] = defaultdict(list)
    for task_id, unit_id in pairs.values_list("task_id", "orgunit_id"):
        coops[task_id].append(unit_id)
    return rows, coops


def refresh_tasks(ids: set[int] | None, units: Units) -> dict[int, dict[str, Any]]:
    """Bring the mirror and the cells up to date for ``ids`` (every task when ``None``).

    Returns the tasks whose facts changed, old and new (``{"old": …, "new": …}`` by task id).
    """
    rows, coops = _task_rows(ids)
    old_qs = TaskFact.objects.all() if ids is None else TaskFact.objects.filter(task_id__in=ids)
    old = {f["task_id"]: f for f in old_qs.values("task_id", *FACT_FIELDS)}
    new = {row["id"]: fact_of(row, coops.get(row["id"], ()), units) for row in rows}
    deltas = Deltas.empty()
    changed: dict[int, dict[str, Any]] = {}
    for task_id in set(old) | set(new):
        before, after = old.get(task_id), new.get(task_id)
        if before is not None:
            before = {k: before[k] for k in FACT_FIELDS}
        if before == after:
            continue
        changed[task_id] = {"old": before, "new": after}
        if before is not None:
            contribute(deltas, before, units, -1)
        if after is not None:
            contribute(deltas, after, units, 1)
    empty = ids is None and not old
    if empty:
        for model in (StateCell, DueCell, ClosureCell):
            model.objects.all().delete()
    _apply(
        StateCell,
        ("scope", "domain_id", "is_leaf", "status", "rag", "led"),
        ("n", "governance", "service", "on_time"),
        deltas.state,
        empty=empty,
    )
    _apply(DueCell, ("scope", "domain_id", "deadline"), ("n",), deltas.due, empty=empty)
    _apply(ClosureCell, ("scope", "domain_id", "period_end"), ("closed", "on_time"), deltas.closure, empty=empty)
    if changed:
        if ids is None and not old:
            pass  # first build: nothing to delete
        else:
            delete_in(TaskFact, "task_id", [t for t, c in changed.items() if c["old"] is not None])
        insert_rows(
            TaskFact,
            ("task_id", *FACT_FIELDS),
            [(t, *(c["new"][k] for k in FACT_FIELDS)) for t, c in changed.items() if c["new"] is not None],
        )
    return changed


# --- Indicators ---------------------------------------------------------------------------------


def bucket_of(gap: Decimal | None, measured: bool) -> str:
    if not measured:
        return IndicatorFact.Bucket.UNMEASURED
    if gap is None:
        return IndicatorFact.Bucket.UNPLANNED
    if gap <= 0:
        return IndicatorFact.Bucket.AHEAD
    if gap > Decimal(str(settings.RAG_RED_INDICATOR_GAP)):
        return IndicatorFact.Bucket.FAR_BEHIND
    if gap > Decimal(str(settings.RAG_YELLOW_INDICATOR_GAP)):
        return IndicatorFact.Bucket.BEHIND
    return IndicatorFact.Bucket.ON_TRACK


def indicator_state(row: dict[str, Any]) -> dict[str, Any]:
    """The indicator's latest value against the trajectory of the same period (as the light rules read it)."""
    if row["measured_on"] is None:
        return {
            "bucket": IndicatorFact.Bucket.UNMEASURED,
            "period_end": None,
            "actual": None,
            "planned": None,
            "achievement": None,
            "expected": None,
            "gap": None,
        }
    terms = {"baseline": row["baseline_value"], "target": row["target_value"], "direction": row["direction"]}
    reached = achievement(actual=Decimal(str(row["measured"])), **terms)
    expected_value = row["planned"]
    if expected_value is None:
        line = Indicator(
            baseline_value=row["baseline_value"],
            baseline_date=row["baseline_date"],
            target_value=row["target_value"],
            target_date=row["target_date"],
        )
        expected_value = linear_expected(line, row["measured_on"])
    planned = achievement(actual=Decimal(str(expected_value)), **terms) if expected_value is not None else None
    gap = planned - reached if planned is not None else None
    return {
        "bucket": bucket_of(gap, True),
        "period_end": row["measured_on"],
        "actual": Decimal(str(row["measured"])),
        "planned": Decimal(str(expected_value)) if expected_value is not None else None,
        "achievement": float(reached),
        "expected": float(planned) if planned is not None else None,
        "gap": float(gap) if gap is not None else None,
    }


def indicator_rows(task_ids: Iterable[int] | None) -> list[dict[str, Any]]:
    latest = Measurement.objects.filter(indicator=OuterRef("pk")).order_by("-period_end")
    planned = TrajectoryPoint.objects.filter(indicator=OuterRef("pk"), period_end=OuterRef("measured_on"))
    qs = Indicator.objects.all() if task_ids is None else Indicator.objects.filter(task_id__in=list(task_ids))
    return list(
        qs.annotate(measured_on=Subquery(latest.values("period_end")[:1]))
        .annotate(
            measured=Subquery(latest.values("value")[:1]),
            planned=Subquery(planned.values("expected_value")[:1]),
        )
        .values(
            "id",
            "task_id",
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


INDICATOR_STATE = ("bucket", "period_end", "actual", "planned", "achievement", "expected", "gap")


def _same_number(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) < 1e-6


def refresh_indicators(task_ids: set[int] | None, rescoped: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    """Bring the indicator facts of these tasks (all when ``None``) up to date; return how many indicators changed.

    An indicator is rewritten (all its scope rows) when its state differs from the stored one, or its
    task's scopes or domain changed (``rescoped``); unchanged ones are left alone.
    """
    rows = indicator_rows(task_ids)
    stored_qs = IndicatorFact.objects.filter(scope=ALL_SCOPE)
    if task_ids is not None:
        stored_qs = stored_qs.filter(task_id__in=task_ids)
    stored = {r["indicator_id"]: r for r in stored_qs.values("indicator_id", "task_id", "domain_id", *INDICATOR_STATE)}
    fresh: dict[int, tuple[dict[str, Any], int]] = {}
    for row in rows:
        state = indicator_state(row)
        before = stored.get(row["id"])
        same = (
            before is not None
            and before["task_id"] == row["task_id"]
            and row["task_id"] not in rescoped
            and before["bucket"] == state["bucket"]
            and before["period_end"] == state["period_end"]
            and all(_same_number(before[k], state[k]) for k in INDICATOR_STATE[2:])
        )
        if not same:
            fresh[row["id"]] = (state, row["task_id"])
    gone = set(stored) - {row["id"] for row in rows}
    stale = set(fresh) | gone
    if not stale:
        return 0
    touched_tasks = {task_id for _, task_id in fresh.values()}
    facts = TaskFact.objects.filter(task_id__in=touched_tasks).values_list("task_id", "scopes", "domain_id")
    where = {task_id: (scopes, domain_id) for task_id, scopes, domain_id in facts}
    if task_ids is None and set(stored) <= stale:
        IndicatorFact.objects.all().delete()
    else:
        delete_in(IndicatorFact, "indicator_id", stale & set(stored))
    columns = ("indicator_id", "scope", "task_id", "domain_id", *INDICATOR_STATE)
    made = []
    for indicator_id, (state, task_id) in fresh.items():
        scopes, domain_id = where.get(task_id, ("0", 0))
        values = [state[k] for k in INDICATOR_STATE]
        for scope in scope_ids(scopes):
            made.append((indicator_id, scope, task_id, domain_id, *values))
    insert_rows(IndicatorFact, columns, made)
    return len(stale)


# --- Ten-day reports ----------------------------------------------------------------------------


def refresh_reports(lead_units: set[int] | None) -> None:
    """Recount reports owed and filed on time for items these units lead (all when ``None``).

    A report is owed for (item, ten-day period) when the item filed a ten-day report for it or a
    missed report was recorded for it (``rhythm``'s ``MissedReport``); it counts as on time when a
    report for that period was filed by its due date.
    """
    task_table = Task._meta.db_table
    feedback_table = Task.feedbacks.rel.related_model._meta.db_table
    missed_table = MissedReport._meta.db_table
    cell_table = ReportCell._meta.db_table
    where, params = "", []
    if lead_units is not None:
        if not lead_units:
            return
        marks = ", ".join(["%s"] * len(lead_units))
        where = f"WHERE t.lead_unit_id IN ({marks})"
        params = sorted(lead_units)
    with connection.cursor() as cursor:
        if lead_units is None:
            cursor.execute(f"DELETE FROM {cell_table}")
        else:
            cursor.execute(f"DELETE FROM {cell_table} WHERE lead_unit_id IN ({marks})", params)
        cursor.execute(
            f"""
            INSERT INTO {cell_table} (period_end, domain_id, lead_unit_id, expected, on_time)
            SELECT x.period_end, t.domain_id, t.lead_unit_id, COUNT(*), SUM(x.on_time)
            FROM (
                SELECT u.task_id, u.period_end, MAX(u.on_time) AS on_time FROM (
                    SELECT f.task_id, f.period_end, CASE WHEN f.on_time THEN 1 ELSE 0 END AS on_time
                    FROM {feedback_table} f WHERE f.kind = 'tenday' AND f.period_end IS NOT NULL
                    UNION ALL
                    SELECT m.task_id, m.period_end, 0 FROM {missed_table} m
                ) u GROUP BY u.task_id, u.period_end
            ) x JOIN {task_table} t ON t.id = x.task_id
            {where}
            GROUP BY x.period_end, t.domain_id, t.lead_unit_id
            """,
            params,
        )


# --- Snapshots ----------------------------------------------------------------------------------


def snapshot_take(day: date | None = None) -> int:
    """Record the day's item counts per scope and domain from the cells (replaces the day's rows)."""
    day = day or timezone.localdate()
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cells = (
        StateCell.objects.filter(is_leaf=True)
        .exclude(status=Status.CANCELLED)
        .values_list("scope", "domain_id", "status", "rag", "n")
    )
    for scope, domain_id, status, rag, n in cells:
        cell = counts[(scope, domain_id)]
        if status == Status.CLOSED:
            cell["closed_items"] += n
            continue
        cell["open_items"] += n
        if rag in (Rag.RED, Rag.YELLOW, Rag.GREEN):
            cell[rag] += n
    due = (
        DueCell.objects.filter(deadline__lt=day)
        .values_list("scope", "domain_id")
        .annotate(total=models.Sum("n"))
        .order_by()
    )
    for scope, domain_id, total in due:
        counts[(scope, domain_id)]["overdue"] += total
    taken = timezone.now()
    rows = [
        LightSnapshot(day=day, scope=scope, domain_id=domain_id, taken_at=taken, **dict(cell))
        for (scope, domain_id), cell in counts.items()
    ]
    with transaction.atomic():
        LightSnapshot.objects.filter(day=day).delete()
        LightSnapshot.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# --- The sync -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    mode: str  # "current" | "delta" | "full"
    entries: int = 0
    tasks: int = 0


def head_seq() -> int:
    return TraceHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def _expand(ids: set[int], moved: set[int]) -> set[int]:
    """Add the ancestors (old and new places) of changed tasks, and the subtrees of moved ones."""
    programmes = dict(Task.objects.filter(pk__in=ids).values_list("pk", "programme_id"))
    codes = dict(Task.objects.filter(pk__in=ids).values_list("pk", "code"))
    old_codes = dict(TaskFact.objects.filter(task_id__in=ids).values_list("task_id", "code"))
    q = Q(pk__in=[])
    for task_id in ids:
        programme = programmes.get(task_id)
        if programme is None:
            continue  # deleted: its old ancestors are found through the mirror below
        for code in {codes.get(task_id), old_codes.get(task_id)} - {None}:
            q |= Q(programme_id=programme, code__in=tree.ancestor_codes(code))
            if task_id in moved:
                q |= Q(programme_id=programme, code__startswith=f"{code}.")
    extra = set(Task.objects.filter(q).values_list("pk", flat=True))
    gone = {old_codes[t] for t in ids if t not in programmes and t in old_codes}
    ancestors = {a for code in gone for a in tree.ancestor_codes(code)}
    extra |= set(TaskFact.objects.filter(code__in=ancestors).values_list("task_id", flat=True))
    return ids | extra


def _full(state: CockpitState, head: int, units: Units) -> SyncResult:
    changed = refresh_tasks(None, units)
    refresh_indicators(None, rescoped={t for t, c in changed.items() if _rescoped(c)})
    refresh_reports(None)
    state.ranking_seq = state.indicator_seq = state.report_seq = head
    return SyncResult("full", tasks=len(changed))


def sync(*, full: bool = False) -> SyncResult:
    """Bring every roll-up up to the trace head (and the current epoch); return what was done."""
    today = timezone.localdate()
    with transaction.atomic():
        state, _ = CockpitState.objects.select_for_update().get_or_create(pk=1)
        head = head_seq()
        current = state.built_epoch == state.epoch and state.seq >= head and not full
        if current and state.snapshot_day == today:
            return SyncResult("current")
        result = SyncResult("current")
        if not current:
            units = Units.load()
            if full or state.built_epoch != state.epoch:
                result = _full(state, head, units)
            else:
                entries = list(
                    TraceEntry.objects.filter(seq__gt=state.seq, seq__lte=head).values_list("seq", "task_id", "action")[
                        : MAX_DELTA_ENTRIES + 1
                    ]
                )
                if len(entries) > MAX_DELTA_ENTRIES or any(t is None and a in STRUCTURE_ACTIONS for _, t, a in entries):
                    result = _full(state, head, units)
                else:
                    result = _delta(state, entries, units)
            state.seq = head
            state.built_epoch = state.epoch
            state.synced_at = timezone.now()
        if state.snapshot_day != today:
            snapshot_take(today)
            state.snapshot_day = today
        state.save()
    return result


def _delta(state: CockpitState, entries: list[tuple[int, int | None, str]], units: Units) -> SyncResult:
    ids = {task_id for _, task_id, _ in entries if task_id is not None}
    actions = {action for _, _, action in entries}
    if not ids:
        return SyncResult("delta", entries=len(entries))
    moved = {task_id for _, task_id, action in entries if action == "task.move" and task_id is not None}
    affected = _expand(ids, moved)
    changed = refresh_tasks(affected, units)
    if actions & STRUCTURE_ACTIONS or any(a.startswith("indicator.") or a == "feedback.submit" for a in actions):
        rescoped = {t for t, c in changed.items() if _rescoped(c)}
        # The indicator block also shows task codes, titles and lead units: any structural change counts.
        if refresh_indicators(ids | rescoped, rescoped=rescoped) or actions & STRUCTURE_ACTIONS:
            state.indicator_seq = entries[-1][0]
    if actions & REPORT_ACTIONS:
        leads = set()
        for task_id in ids:
            c = changed.get(task_id)
            for side in ("old", "new"):
                if c and c[side]:
                    leads.add(c[side]["lead_unit_id"])
        leads |= set(Task.objects.filter(pk__in=ids).values_list("lead_unit_id", flat=True))
        refresh_reports(leads)
        state.report_seq = entries[-1][0]
    relevant = [seq for seq, _, action in entries if action in RANKING_ACTIONS]
    if relevant:
        state.ranking_seq = max(relevant)
    return SyncResult("delta", entries=len(entries), tasks=len(changed))


def _rescoped(change: dict[str, Any]) -> bool:
    old, new = change["old"], change["new"]
    if old is None or new is None:
        return True
    return old["scopes"] != new["scopes"] or old["domain_id"] != new["domain_id"]


def epoch_bump(reason: str) -> int:
    """Mark every roll-up stale: something changed that the trace does not record."""
    with transaction.atomic():
        state, _ = CockpitState.objects.select_for_update().get_or_create(pk=1)
        state.epoch += 1
        state.bumped_at = timezone.now()
        state.reason = reason[:100]
        state.save(update_fields=["epoch", "bumped_at", "reason"])
    return state.epoch
