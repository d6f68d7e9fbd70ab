"""The task list: one set of filters and one filtering query, which every list of tasks builds on.

``task_queryset(user=…, filters=…)`` is what the /tasks/ page, the API's ``/api/tasks/`` filters and
the cockpit's drill-down links all answer with: the tasks the user may see (``access.visible_tasks``)
narrowed by a :class:`TaskFilters`. Each caller only parses its own input into that one shape (the
page's form, the API's FilterSet, the cockpit's query string). Pages of the list are keyset pages
over a total order, so a page boundary never drops or repeats a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from orgs.models import OrgUnit
from reform.roles import UNIT_ROLES

from ..access import responsible_q, unit_of, visible_tasks
from ..models import SEVERITY, Instruction, Notice, Programme, Task
from ..workflow import FINAL_STATUSES, Status

if TYPE_CHECKING:
    from accounts.models import User

PAGE_SIZE = 50
FINAL = [str(s) for s in FINAL_STATUSES]
SORTS = ("code", "deadline", "progress", "light")
INSTRUCTED = ("issued", "on_time", "late", "overdue", "pending")
CLOSED = ("on_time", "late")


@dataclass(frozen=True)
class TaskFilters:
    """Every way a list of tasks is narrowed, by the people who read it.

    - ``programme``: the programme's tasks (codes, and so ``text``/``subtree``/``parent``, are per programme);
    - ``statuses``, ``lights``: any of these states / lights;
    - ``domain``: a domain's code;
    - ``unit``: its subtree leads or cooperates; ``mine``: the user's own unit leads or cooperates;
    - ``lead``: its subtree leads (``lead_exact``: it leads itself);
    - ``overdue``: past the deadline and not finished (False: the others); ``open_only``: not finished;
      ``exclude_cancelled``: not cancelled;
    - ``deadline_after`` / ``deadline_before``: the deadline within (inclusive);
    - ``text``: a code (and its subtree) or words of the title; ``subtree``: a code and its subtree;
      ``parent``: a code's direct children;
    - ``dimension``: ``governance`` or ``service``; ``leaf``: items only;
    - ``notice_level``: an open notice of that level; ``instruction_open``: an unanswered instruction;
    - ``closed`` (``on_time`` / ``late``) with ``closed_after`` / ``closed_before``: closed on/before the
      deadline (or without one) / after it, on a local day within the window;
    - ``instructed`` (``issued``, ``on_time``, ``late``, ``overdue``, ``pending``) with
      ``instruction_after`` / ``instruction_before``: an instruction issued in the window, answered by
      its due date / after it / unanswered past due / unanswered and not yet due.
    """

    programme: Programme | None = None
    statuses: tuple[str, ...] = ()
    lights: tuple[str, ...] = ()
    domain: str = ""
    unit: OrgUnit | None = None
    mine: OrgUnit | None = None
    lead: OrgUnit | None = None
    lead_exact: bool = False
    overdue: bool | None = None
    open_only: bool = False
    exclude_cancelled: bool = False
    deadline_after: date | None = None
    deadline_before: date | None = None
    text: str = ""
    subtree: str = ""
    parent: str = ""
    dimension: str = ""
    leaf: bool = False
    notice_level: int | None = None
    instruction_open: bool = False
    closed: str = ""
    closed_after: date | None = None
    closed_before: date | None = None
    instructed: str = ""
    instruction_after: date | None = None
    instruction_before: date | None = None


def code_or_title_q(text: str) -> Q:
    """A code (and the tasks under it) or words of the title."""
    return Q(code=text) | Q(code__startswith=text + ".") | Q(title__icontains=text)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=timezone.get_current_timezone())


def filter_tasks(qs: QuerySet[Task], f: TaskFilters, *, today: date | None = None) -> QuerySet[Task]:
    """Narrow a task queryset (already scoped to the user) by ``f``; unordered."""
    today = today or timezone.localdate()
    if f.programme is not None:
        qs = qs.filter(programme=f.programme)
    if f.statuses:
        qs = qs.filter(status__in=list(f.statuses))
    if f.lights:
        qs = qs.filter(rag__in=list(f.lights))
    if f.domain:
        qs = qs.filter(domain__code=f.domain)
    if f.unit is not None:
        qs = qs.filter(responsible_q(f.unit))
    if f.mine is not None:
        cooperating = Task.cooperating_units.through.objects.filter(task_id=OuterRef("pk"), orgunit_id=f.mine.pk)
        qs = qs.filter(Q(lead_unit_id=f.mine.pk) | Q(Exists(cooperating)))
    if f.lead is not None:
        qs = qs.filter(lead_unit=f.lead) if f.lead_exact else qs.filter(lead_unit__path__startswith=f.lead.path)
    if f.overdue is not None:
        overdue = Q(deadline__lt=today) & ~Q(status__in=FINAL)
        qs = qs.filter(overdue if f.overdue else ~overdue)
    if f.open_only:
        qs = qs.exclude(status__in=FINAL)
    if f.exclude_cancelled:
        qs = qs.exclude(status=Status.CANCELLED)
    if f.deadline_after:
        qs = qs.filter(deadline__gte=f.deadline_after)
    if f.deadline_before:
        qs = qs.filter(deadline__lte=f.deadline_before)
    if f.text:
        qs = qs.filter(code_or_title_q(f.text))
    if f.subtree:
        qs = qs.filter(Q(code=f.subtree) | Q(code__startswith=f.subtree + "."))
    if f.parent:
        qs = qs.filter(parent__code=f.parent)
    if f.dimension in ("governance", "service"):
        qs = qs.filter(**{f"is_{f.dimension}": True})
    if f.leaf:
        qs = qs.filter(is_leaf=True)
    if f.notice_level is not None:
        qs = qs.filter(
            Exists(Notice.objects.filter(task_id=OuterRef("pk"), level=f.notice_level, state=Notice.State.OPEN))
        )
    if f.instruction_open:
        waiting = [Instruction.State.ISSUED, Instruction.State.RETURNED]
        qs = qs.filter(Exists(Instruction.objects.filter(task_id=OuterRef("pk"), state__in=waiting)))
    qs = _closed(qs, f)
    return _instructed(qs, f, today)


def _closed(qs: QuerySet[Task], f: TaskFilters) -> QuerySet[Task]:
    if not (f.closed or f.closed_after or f.closed_before):
        return qs
    tz = timezone.get_current_timezone()
    qs = qs.filter(closed_at__isnull=False).annotate(closed_on=TruncDate("closed_at", tzinfo=tz))
    if f.closed == "on_time":
        qs = qs.filter(Q(deadline__isnull=True) | Q(closed_on__lte=F("deadline")))
    elif f.closed == "late":
        qs = qs.filter(deadline__isnull=False, closed_on__gt=F("deadline"))
    if f.closed_after:
        qs = qs.filter(closed_on__gte=f.closed_after)
    if f.closed_before:
        qs = qs.filter(closed_on__lte=f.closed_before)
    return qs


def _instructed(qs: QuerySet[Task], f: TaskFilters, today: date) -> QuerySet[Task]:
    if not f.instructed:
        return qs
    inst = Instruction.objects.filter(task_id=OuterRef("pk"))
    if f.instruction_after:
        inst = inst.filter(created_at__gte=_day_start(f.instruction_after))
    if f.instruction_before:
        inst = inst.filter(created_at__lte=_day_end(f.instruction_before))
    inst = inst.annotate(answered_day=TruncDate("responded_at", tzinfo=timezone.get_current_timezone()))
    inst = {
        "issued": inst,
        "on_time": inst.filter(responded_at__isnull=False, answered_day__lte=F("due_date")),
        "late": inst.filter(responded_at__isnull=False, answered_day__gt=F("due_date")),
        "overdue": inst.filter(responded_at__isnull=True, due_date__lt=today),
        "pending": inst.filter(responded_at__isnull=True, due_date__gte=today),
    }[f.instructed]
    return qs.filter(Exists(inst))


def task_queryset(*, user: User, filters: TaskFilters, today: date | None = None) -> QuerySet[Task]:
    """The tasks ``user`` may see that match ``filters`` (unordered; one query when evaluated)."""
    return filter_tasks(visible_tasks(user), filters, today=today)


# --- Pages of the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskListPage:
    rows: list[Task]
    next_cursor: str | None


def task_list_page(
    *,
    tasks: QuerySet[Task],
    sort: str = "code",
    after: str = "",
    page_size: int = PAGE_SIZE,
) -> TaskListPage:
    """One keyset page of ``tasks`` in the ``sort`` order; the cursor names the page's last row.

    Every sort ends with ``sort_key`` (unique, like the code), so the order is total.
    """
    qs = tasks.select_related("domain", "lead_unit", "programme")
    qs, order = _sorted(qs, sort)
    if after:
        qs = _after(qs, sort, after)
    rows = list(qs.order_by(*order)[: page_size + 1])
    cursor = _cursor(rows[page_size - 1], sort) if len(rows) > page_size else None
    return TaskListPage(rows=rows[:page_size], next_cursor=cursor)


def _sorted(qs: QuerySet[Task], sort: str) -> tuple[QuerySet[Task], list[Any]]:
    if sort == "deadline":
        return qs, [F("deadline").asc(nulls_last=True), "sort_key"]
    if sort == "progress":
        return qs, ["progress", "sort_key"]
    if sort == "light":
        return qs.annotate(severity=SEVERITY), ["-severity", "sort_key"]
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
    if sort not in SORTS or sort == "code":
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


DRAFTS_PAGE = 200


def draft_tasks(*, user: User, after: str = "", q: str = "", page_size: int = DRAFTS_PAGE) -> TaskListPage:
    """Drafted tasks awaiting assignment, in code order, one keyset page."""
    tasks = task_queryset(user=user, filters=TaskFilters(statuses=(Status.DRAFT,), text=q))
    return task_list_page(tasks=tasks, after=after, page_size=page_size)


def task_search(*, user: User, text: str) -> QuerySet[Task]:
    """Search the tasks the user may see by code prefix or words of the title, in code order."""
    text = text.strip()
    qs = visible_tasks(user).select_related("domain", "lead_unit").order_by("sort_key")
    return qs.filter(code_or_title_q(text)) if text else qs


def units_governed_by(user: Any) -> QuerySet[OrgUnit]:
    """The units an account may hand work to: every unit for the city's roles, else its jurisdiction's subtree."""
    units = OrgUnit.objects.order_by("path")
    if user is None or not user.is_authenticated:
        return units.none()
    if user.governs_all:
        return units
    jurisdiction = user.jurisdiction
    return units.filter(path__startswith=jurisdiction.path) if jurisdiction is not None else units.none()


def filter_units(user: User) -> list[OrgUnit]:
    """Units offered in a unit filter: every unit for the global roles, the user's subtree for unit users."""
    qs = OrgUnit.objects.only("pk", "name", "depth", "path").order_by("path")
    if user.role in UNIT_ROLES:
        unit = unit_of(user)
        return list(qs.filter(path__startswith=unit.path)) if unit is not None else []
    return list(qs)
