"""What waits for the supervision office (督办工作台): counts and the first rows of each list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from ..access import sees_everything, supervised_tasks
from ..models import ExtensionRequest, Instruction, Notice, ProblemReport, Task
from ..workflow import FINAL_STATUSES, Status

if TYPE_CHECKING:
    from accounts.models import User

FINAL = [str(s) for s in FINAL_STATUSES]


QUEUE_SHOWN = 10


@dataclass(frozen=True)
class WorkQueue:
    counts: dict[str, int]
    under_review: list[Task]
    overdue: list[Task]
    instructions: list[Instruction]
    answered_instructions: list[Instruction]
    extensions: list[ExtensionRequest]
    problems: list[ProblemReport]
    listed: list[Notice]
    drafts: list[Task]
    returned: list[Task]


def work_queue(*, user: User, today: date | None = None, shown: int = QUEUE_SHOWN) -> WorkQueue:
    """What waits for the supervision office: counts and the first rows of each list (fixed queries).

    Only what the office supervises: a district office's desk holds its district's work, not the city's.
    """
    today = today or timezone.localdate()
    mine = supervised_tasks(user)
    task_counts = mine.aggregate(
        under_review=Count("pk", filter=Q(status=Status.UNDER_REVIEW)),
        overdue=Count("pk", filter=Q(deadline__lt=today) & ~Q(status__in=FINAL)),
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
        returned=Count("pk", filter=Q(status=Status.RETURNED)),
    )
    of_mine = {"task__in": mine.values("pk")} if not sees_everything(user) else {}
    waiting = [Instruction.State.ISSUED, Instruction.State.RETURNED]
    instructions = Instruction.objects.filter(state__in=waiting, **of_mine)
    answered = Instruction.objects.filter(state=Instruction.State.ANSWERED, **of_mine)
    extensions = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING, **of_mine)
    problems = ProblemReport.objects.filter(state=ProblemReport.State.OPEN, **of_mine)
    listed = Notice.objects.filter(state=Notice.State.OPEN, level=Notice.Level.LISTED, **of_mine)
    other_counts = {
        "instructions": instructions.count(),
        "answered_instructions": answered.count(),
        "extensions": extensions.count(),
        "problems": problems.count(),
        "listed": listed.count(),
    }
    tasks = mine.select_related("lead_unit")
    return WorkQueue(
        counts={**task_counts, **other_counts},
        under_review=list(tasks.filter(status=Status.UNDER_REVIEW).order_by("updated_at", "sort_key")[:shown]),
        overdue=list(
            tasks.filter(deadline__lt=today).exclude(status__in=FINAL).order_by("deadline", "sort_key")[:shown]
        ),
        instructions=list(
            instructions.select_related("task", "author").prefetch_related("target_units").order_by("due_date")[:shown]
        ),
        answered_instructions=list(answered.select_related("task", "responded_by").order_by("responded_at")[:shown]),
        extensions=list(extensions.select_related("task", "requested_by").order_by("created_at")[:shown]),
        problems=list(problems.select_related("task", "unit").order_by("created_at")[:shown]),
        listed=list(listed.select_related("task", "task__lead_unit").order_by("created_at")[:shown]),
        drafts=list(tasks.filter(status=Status.DRAFT).order_by("sort_key")[:shown]),
        returned=list(tasks.filter(status=Status.RETURNED).order_by("updated_at", "sort_key")[:shown]),
    )
