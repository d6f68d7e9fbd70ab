"""Reads behind the task API, in a fixed number of queries whatever the page size.

The task list is built from ``.values()`` rows and plain dicts: a 500-row page is one query for the
rows, one for the cooperating units and nothing per row. ``allowed_transitions`` comes from the real
``services.allowed_transitions``, asked once per distinct (state, lead unit) on the page.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from indicators.achievement import indicator_achievement
from indicators.models import Indicator, Measurement
from orgs.models import OrgUnit

from ..access import (
    REDACTED_TITLE,
    access_task,
    allowed_transitions,
    children_with_visibility,
    redacted_reasons,
    visible_reason,
    visible_tasks,
)
from ..models import (
    CorrectionOrder,
    EvaluationCriterion,
    ExtensionRequest,
    Instruction,
    Notice,
    ProblemReport,
    Rag,
    Task,
)
from ..workflow import FINAL_STATUSES, Status
from .hierarchy import task_ancestors

if TYPE_CHECKING:
    from accounts.models import User

TASK_VALUES = (
    "id",
    "programme_id",
    "code",
    "sort_key",
    "title",
    "parent__code",
    "programme__name",
    "domain__code",
    "domain__name",
    "is_governance",
    "is_service",
    "lead_unit_id",
    "lead_unit__name",
    "lead_unit__path",
    "created_by_id",
    "leader_in_charge_id",
    "owner_name",
    "owner__full_name",
    "owner__username",
    "start_date",
    "deadline",
    "weight",
    "progress",
    "status",
    "rag",
    "rag_reason",
    "open_children",
    "assigned_at",
)
# Whether a task has a child that is neither closed nor cancelled (the evaluation guard).
OPEN_CHILDREN = Exists(
    Task.objects.filter(parent_id=OuterRef("pk")).exclude(status__in=[str(s) for s in FINAL_STATUSES])
)
STATUS_LABELS = dict(Status.choices)


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


class TransitionOracle:
    """``allowed_transitions`` for many rows of one request without a query per row.

    What the transition rules read of a task is its state, its lead unit's path, whether it has open
    children, when it was assigned (the return period) and whether the user created it or is its
    分管领导 (supervision); the user's role and unit are fixed for the request. So the answer is asked
    once per distinct combination, of a stand-in task carrying exactly those. ``tests/api`` checks it
    against real tasks for every role.
    """

    def __init__(self, user: User) -> None:
        self.user = user
        self.cache: dict[tuple[str, str, bool, datetime | None, bool], list[str]] = {}

    def __call__(self, row: dict[str, Any]) -> list[str]:
        own = self.user.pk in (row["created_by_id"], row["leader_in_charge_id"])
        key = (row["status"], row["lead_unit__path"], row["open_children"], row["assigned_at"], own)
        if key not in self.cache:
            probe = Task(
                status=row["status"],
                lead_unit=OrgUnit(path=row["lead_unit__path"]),
                assigned_at=row["assigned_at"],
                created_by_id=self.user.pk if own else None,
            )
            probe.__dict__["open_children"] = row["open_children"]
            self.cache[key] = allowed_transitions(self.user, probe)
        return self.cache[key]


def task_list_queryset(user: User) -> QuerySet[Task]:
    """The tasks ``user`` may see (filters and keyset pages are applied on top)."""
    return visible_tasks(user).annotate(open_children=OPEN_CHILDREN)


def task_rows(*, user: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn ``.values(*TASK_VALUES)`` rows into API dicts: one query for the cooperating units."""
    ids = [r["id"] for r in rows]
    cooperating: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        links = (
            Task.cooperating_units.through.objects.filter(task_id__in=ids)
            .order_by("orgunit__path")
            .values_list("task_id", "orgunit_id", "orgunit__name")
        )
        for task_id, unit_id, unit_name in links:
            cooperating[task_id].append({"id": unit_id, "name": unit_name})
    oracle = TransitionOracle(user)
    labels = {k: str(v) for k, v in STATUS_LABELS.items()}
    lights = {k: str(v) for k, v in Rag.choices}
    hidden = redacted_reasons(
        user, {r["id"]: (r["rag_reason"], lights.get(r["rag"], ""), r["programme_id"]) for r in rows}
    )
    return [
        {
            "id": r["id"],
            "code": r["code"],
            "title": r["title"],
            "programme": {"id": r["programme_id"], "name": r["programme__name"]},
            "parent": r["parent__code"],
            "domain": {"code": r["domain__code"], "name": r["domain__name"]},
            "dimensions": [d for d, on in (("governance", r["is_governance"]), ("service", r["is_service"])) if on],
            "lead_unit": {"id": r["lead_unit_id"], "name": r["lead_unit__name"]},
            "cooperating_units": cooperating.get(r["id"], []),
            "owner": r["owner_name"] or r["owner__full_name"] or r["owner__username"] or "",
            "start_date": iso(r["start_date"]),
            "deadline": iso(r["deadline"]),
            "weight": float(r["weight"]),
            "progress": float(r["progress"]),
            "status": r["status"],
            "status_label": labels[r["status"]],
            "rag": r["rag"],
            "rag_reason": hidden.get(r["id"], r["rag_reason"]),
            "allowed_transitions": oracle(r),
        }
        for r in rows
    ]


# --- Detail -------------------------------------------------------------------------------------


def _children(user: Any, task: Task) -> list[dict[str, Any]]:
    """The task's children: in full when visible, else the code and progress only (one query)."""
    rows = []
    for child in children_with_visibility(user, task).order_by("sort_key"):
        if child.seen:  # type: ignore[attr-defined]
            rows.append({**_ref(child), "progress": float(child.progress), "visible": True})
        else:
            rows.append(
                {
                    "id": child.pk,
                    "code": child.code,
                    "title": str(REDACTED_TITLE),
                    "status": None,
                    "status_label": "",
                    "rag": None,
                    "progress": float(child.progress),
                    "visible": False,
                }
            )
    return rows


def _ref(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "code": task.code,
        "title": task.title,
        "status": task.status,
        "status_label": task.status_label,
        "rag": task.rag,
    }


def indicator_dicts(indicators: list[Any]) -> list[dict[str, Any]]:
    """Indicators with their latest value and achievement; ``measurements`` must be prefetched in period order."""
    result = []
    for ind in indicators:
        measurements = list(ind.measurements.all())
        latest = measurements[-1] if measurements else None
        result.append(
            {
                "id": ind.pk,
                "task": ind.task_id,
                "name": ind.name,
                "unit": ind.unit,
                "direction": ind.direction,
                "direction_label": ind.get_direction_display(),
                "baseline_value": float(ind.baseline_value),
                "baseline_date": iso(ind.baseline_date),
                "target_value": float(ind.target_value),
                "target_date": iso(ind.target_date),
                "data_source": ind.data_source,
                "period_kind": ind.period_kind,
                "latest": None
                if latest is None
                else {
                    "period_end": iso(latest.period_end),
                    "value": float(latest.value),
                    "source": latest.source,
                    "reported_at": iso(latest.reported_at),
                },
                "achievement": None if latest is None else round(float(indicator_achievement(ind, latest.value)), 2),
            }
        )
    return result


def task_indicators(task: Task) -> list[dict[str, Any]]:
    """The task's indicators with latest values (two queries)."""
    indicators = Indicator.objects.filter(task=task).order_by("id")
    indicators = indicators.prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("period_end"))
    )
    return indicator_dicts(list(indicators))


def open_supervision(task: Task) -> dict[str, Any]:
    """Open supervision objects of one task: model lists for the serializers (eight queries)."""
    return {
        "instructions": list(
            task.instructions.exclude(state=Instruction.State.APPROVED)
            .select_related("task", "author", "responded_by")
            .prefetch_related(Prefetch("target_units", queryset=OrgUnit.objects.order_by("path")))
            .order_by("-created_at", "-id")
        ),
        "notices": list(
            task.notices.filter(state=Notice.State.OPEN)
            .select_related("task", "issued_by", "lifted_by")
            .order_by("-level", "-created_at")
        ),
        "corrections": list(
            task.corrections.filter(state=CorrectionOrder.State.OPEN)
            .select_related("task", "issued_by", "answered_by")
            .order_by("-created_at", "-id")
        ),
        "extensions": list(
            task.extensions.filter(state=ExtensionRequest.State.PENDING)
            .select_related("task", "requested_by", "decided_by")
            .order_by("-created_at", "-id")
        ),
        "problems": list(
            task.problems.exclude(state=ProblemReport.State.RESOLVED)
            .select_related("task", "unit", "reported_by", "responded_by")
            .order_by("-created_at", "-id")
        ),
    }


def task_detail(*, user: User, task_id: int | str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The detail dict of a visible task (NotFound otherwise) and its open supervision objects."""
    task = access_task(
        user,
        task_id,
        queryset=Task.objects.select_related("domain", "lead_unit", "owner", "parent", "programme").prefetch_related(
            Prefetch("cooperating_units", queryset=OrgUnit.objects.order_by("path"))
        ),
    )
    criteria = list(task.criteria.order_by("id"))
    scope = "task"
    if not criteria:
        scope = "domain"
        criteria = list(EvaluationCriterion.objects.filter(domain_id=task.domain_id, task__isnull=True).order_by("id"))
    owner = task.owner_name or (task.owner.display_name if task.owner else "")
    data = {
        "id": task.pk,
        "code": task.code,
        "title": task.title,
        "programme": {"id": task.programme_id, "name": task.programme.name},
        "parent": task.parent.code if task.parent is not None else None,
        "domain": {"code": task.domain.code, "name": task.domain.name},
        "dimensions": task.dimensions,
        "lead_unit": {"id": task.lead_unit_id, "name": task.lead_unit.name},
        "cooperating_units": [{"id": u.pk, "name": u.name} for u in task.cooperating_units.all()],
        "owner": owner,
        "start_date": iso(task.start_date),
        "deadline": iso(task.deadline),
        "weight": float(task.weight),
        "progress": float(task.progress),
        "status": task.status,
        "status_label": task.status_label,
        "rag": task.rag,
        "rag_reason": visible_reason(user, task),
        "allowed_transitions": allowed_transitions(user, task),
        "description": task.description,
        "depth": task.depth,
        "is_leaf": task.is_leaf,
        "closed_at": iso(task.closed_at),
        "updated_at": iso(task.updated_at),
        "ancestors": [_ref(t) for t in task_ancestors(task)],
        "children": _children(user, task),
        "indicators": task_indicators(task),
        "milestones": [
            {"id": m.pk, "title": m.title, "due_date": iso(m.due_date), "done_at": iso(m.done_at)}
            for m in task.milestones.order_by("due_date", "id")
        ],
        "measures": [{"id": m.pk, "text": m.text} for m in task.measures.order_by("order", "id")],
        "task_forces": [
            {
                "id": f.pk,
                "name": f.name,
                "members": [u.display_name for u in f.members.all()],
                "members_text": f.members_text,
            }
            for f in task.task_forces.prefetch_related("members").order_by("id")
        ],
        "policies": [
            {
                "id": p.pk,
                "title": p.title,
                "doc_number": p.doc_number,
                "issuer": p.issuer,
                "issued_on": iso(p.issued_on),
                "url": p.url,
            }
            for p in task.policies.order_by("issued_on", "id")
        ],
        "criteria": [
            {
                "id": c.pk,
                "name": c.name,
                "weight": float(c.weight),
                "max_score": float(c.max_score),
                "method": c.method,
                "scope": scope,
            }
            for c in criteria
        ],
    }
    return data, open_supervision(task)
