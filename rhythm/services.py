"""The supervision rhythm (月清单、旬报告、专班推): reminders, missed reports, the escalation ladder, warnings.

The jobs act on items (leaf tasks, 事项) — parents roll up from them — and are run by Celery beat
(rows in django-celery-beat, editable in the admin). Each takes "today" from
``timezone.localdate()`` and is idempotent: a second run, or two workers at once, creates no
duplicate record, notice or notification, because every write carries a unique key (MissedReport
task+period, Notice.dedupe_key, Notification.dedupe_key, WebhookDelivery.dedupe_key) and is made
inside a savepoint that swallows the IntegrityError of a lost race.

Timing:

- ten-day reports are due on ``TENDAY_DUE_DAYS`` (1st, 11th, 21st: the day after each 旬 ends);
  handlers of items that have not reported are reminded from ``TENDAY_REMIND_DAYS`` days before;
- the day after the due date an unfiled report is recorded as a ``MissedReport`` (traced once,
  ``report.missed``), which the unit hears about and the punctuality figure counts;
- an overdue item, an unanswered instruction or a missed report climbs the ladder
  提醒 → 催办 → 督办 → 挂牌督办: "day 0" is the first day it is overdue (the day after its deadline,
  due date or report due date), and each level applies from ``ESCALATION_GRACE_DAYS`` (0, 3, 7, 15)
  days on. A run issues only the highest level reached, so a job that was down for a week does not
  send three notices at once. The ladder stops when the item closes, the instruction is answered or
  the late report arrives; listed supervision stays open until the office lifts it;
- deadline warnings go out from ``DEADLINE_WARNING_DAYS`` days before an item's deadline, once per
  item and deadline (a moved deadline warns again).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from reform.errors import DomainError
from reform.periods import Period, due_date_for, last_missed_period, period_of, periods_due_soon
from reform.roles import Role
from tasks_app import services
from tasks_app.models import Feedback, Instruction, Notice, Task
from tasks_app.notify import deliver_event, leaders_in_charge, notify_on_commit
from tasks_app.workflow import REPORTING_STATUSES, Status

from . import events
from .channels import notify_users, queue_webhooks
from .models import MissedReport

logger = logging.getLogger(__name__)

LADDER = (Notice.Level.REMIND, Notice.Level.URGE, Notice.Level.SUPERVISE, Notice.Level.LISTED)
# Items whose next step is the unit's: not drafts (not handed over yet), not finished, and not waiting
# for the office's review or evaluation (then the office, not the unit, is holding the item).
ACTIVE_STATUSES = [Status.ASSIGNED.value, Status.IN_PROGRESS.value, Status.CORRECTING.value]


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1')).normalize():f}%"


# --- Ten-day reports ----------------------------------------------------------------------------


def items_owing_report(period: Period) -> QuerySet[Task]:
    """Items being worked on (办理中/整改中) that started by the period and filed no ten-day report for it."""
    reported = Feedback.objects.filter(task_id=OuterRef("pk"), kind=Feedback.Kind.TENDAY, period_end=period.end)
    return (
        Task.objects.filter(is_leaf=True, status__in=list(REPORTING_STATUSES))
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=period.start))
        .exclude(Exists(reported))
        .select_related("lead_unit")
        .order_by("sort_key")
    )


def remind_tenday_reports(*, today: date | None = None) -> int:
    """提醒报送旬报: tell the lead units of items that have not reported yet (in-app + email, once per period)."""
    today = _today(today)
    notified = 0
    for period, due in periods_due_soon(today):
        days = (due - today).days
        when = "今天" if days == 0 else f"{days} 天后（{_cn(due)}）"
        body = f"{period.label}旬报将于{when}到期，截至{_cn(today)}尚未报送，请及时报送工作进展。"
        for task in items_owing_report(period):
            # The job already runs in a worker: deliver in-process, deduplicated per task, period and user.
            notified += deliver_event("report.due", task.pk, None, period.end.isoformat(), body)
    return notified


def record_missed_reports(*, today: date | None = None) -> int:
    """Record each item's missed ten-day report for the last period that fell due (traced once); return how many."""
    today = _today(today)
    period = last_missed_period(today)
    due = due_date_for(period)
    recorded = 0
    for task in items_owing_report(period):
        if _record_missed(task, period, due):
            recorded += 1
    return recorded


def _record_missed(task: Task, period: Period, due: date) -> bool:
    reason = f"{period.label}旬报应于{_cn(due)}前报送，逾期未报送"
    try:
        with transaction.atomic():
            missed = MissedReport.objects.create(
                task=task, period_end=period.end, due_date=due, unit_id=task.lead_unit_id
            )
            events.REPORT_MISSED(
                actor=None,
                obj=missed,
                task=task,
                payload={
                    "period_end": period.end,
                    "period": period.label,
                    "due_date": due,
                    "unit": task.lead_unit.name,
                    "reason": reason,
                },
            )
            notify_on_commit("report.missed", task=task, actor=None, key=period.end.isoformat(), body=reason)
            queue_webhooks("report.missed", _task_payload(task, reason=reason), key=f"missed:{missed.pk}")
    except IntegrityError:
        return False  # recorded by an earlier or concurrent run
    return True


# --- The escalation ladder ----------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """Something late that climbs the ladder: ``due`` is its deadline, its first overdue day is ``due + 1``."""

    kind: str  # "overdue" | "instruction" | "report"
    object_id: str
    task: Task
    due: date
    source: str
    what: str  # the Chinese description of what is late

    def key(self, level: int) -> str:
        return f"{self.kind}:{self.object_id}:{level}"


def ladder_level(days_overdue: int) -> int | None:
    """The highest ladder level reached ``days_overdue`` days after the item became overdue (day 0)."""
    level = None
    for step, grace in zip(LADDER, settings.ESCALATION_GRACE_DAYS, strict=False):
        if days_overdue >= grace:
            level = step
    return level


def next_step_date(item: Overdue, level: int) -> date | None:
    """When the next level would apply (the notice's 办理时限); none after 挂牌督办."""
    index = LADDER.index(level)
    grace = settings.ESCALATION_GRACE_DAYS
    if index + 1 >= min(len(LADDER), len(grace)):
        return None
    return item.due + timedelta(days=1 + grace[index + 1])


def overdue_items(today: date) -> Iterator[Overdue]:
    """Every overdue item, unanswered instruction and unfiled missed report, read in three queries."""
    for task in (
        Task.objects.filter(is_leaf=True, status__in=ACTIVE_STATUSES, deadline__lt=today)
        .select_related("lead_unit")
        .order_by("sort_key")
    ):
        assert task.deadline is not None
        yield Overdue(
            "overdue",
            f"{task.pk}@{task.deadline.isoformat()}",
            task,
            task.deadline,
            Notice.Source.OVERDUE,
            f"“{task.code} {task.title}”完成时限为{_cn(task.deadline)}，当前进度 {_pct(task.progress)}，尚未办结",
        )
    for instruction in (
        Instruction.objects.filter(
            state__in=[Instruction.State.ISSUED, Instruction.State.RETURNED],
            due_date__lt=today,
            task__status__in=ACTIVE_STATUSES,
        )
        .select_related("task__lead_unit")
        .order_by("due_date", "pk")
    ):
        text = instruction.text if len(instruction.text) <= 20 else instruction.text[:20] + "…"
        yield Overdue(
            "instruction",
            str(instruction.pk),
            instruction.task,
            instruction.due_date,
            Notice.Source.INSTRUCTION,
            f"领导批示“{text}”要求于{_cn(instruction.due_date)}前回复，尚未回复",
        )
    late = Feedback.objects.filter(
        task_id=OuterRef("task_id"), kind=Feedback.Kind.TENDAY, period_end=OuterRef("period_end")
    )
    for missed in (
        MissedReport.objects.filter(task__status__in=ACTIVE_STATUSES, due_date__lt=today)
        .exclude(Exists(late))
        .select_related("task__lead_unit")
        .order_by("due_date", "pk")
    ):
        label = period_of(missed.period_end).label
        yield Overdue(
            "report",
            str(missed.pk),
            missed.task,
            missed.due_date,
            Notice.Source.REPORT,
            f"“{missed.task.code} {missed.task.title}”{label}旬报应于{_cn(missed.due_date)}前报送，尚未报送",
        )


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        rows = Notice.objects.filter(dedupe_key__in=keys[start : start + 500]).values_list("dedupe_key", flat=True)
        found.update(key for key in rows if key is not None)
    return found


def escalate(*, today: date | None = None) -> dict[str, int]:
    """Climb the ladder for everything overdue; return how many notices were issued per level (Chinese label)."""
    today = _today(today)
    due: list[tuple[Overdue, int]] = []
    for item in overdue_items(today):
        level = ladder_level((today - item.due).days - 1)
        if level is not None:
            due.append((item, level))
    existing = _existing_keys([item.key(level) for item, level in due])
    issued: Counter[str] = Counter()
    for item, level in due:
        if item.key(level) in existing:
            continue
        if _issue(item, level, today):
            issued[str(Notice.Level(level).label)] += 1
    return dict(issued)


def _issue(item: Overdue, level: int, today: date) -> bool:
    label = str(Notice.Level(level).label)
    days = (today - item.due).days
    deadline = next_step_date(item, level)
    reason = f"{item.what}，已逾期 {days} 天，予以{label}。"
    if deadline is not None:
        reason += f"请于{_cn(deadline)}前办理，逾期将升级督办。"
    elif level == Notice.Level.LISTED:
        reason += "挂牌督办须经督查室销号。"
    key = item.key(level)
    try:
        with transaction.atomic():
            if Notice.objects.filter(dedupe_key=key).exists():
                return False
            notice = services.notice_issue(
                actor=None,
                task=item.task,
                level=level,
                reason=reason,
                deadline=deadline,
                source=item.source,
                dedupe_key=key,
            )
            queue_webhooks(
                "notice.issue",
                _task_payload(item.task, reason=reason, level=label, notice_id=notice.pk),
                key=f"notice:{notice.pk}",
            )
            if level >= Notice.Level.SUPERVISE:
                # In the notice's own transaction: a worker killed after the commit cannot leave a 督办
                # that the leadership never heard of (the redelivered run skips notices that exist).
                notify_leaders(notice.pk)
    except IntegrityError:
        return False  # issued by a concurrent run
    except DomainError as exc:  # e.g. the item closed between the read and the write
        logger.info("escalation of %s skipped: %s", key, exc.message)
        return False
    return True


def leader_recipients(notice: Notice) -> list[User]:
    """From 督办 on, the leadership hears too: the lead unit's admins and the task's 分管领导 (or, with
    none named, the leaders of the task's level)."""
    task = notice.task
    in_charge = leaders_in_charge(task).values("pk")
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=in_charge) | Q(groups__name=Role.UNIT_ADMIN, unit_id=task.lead_unit_id))
        .distinct()
        .order_by("pk")
    )


def notify_leaders(notice_id: int) -> int:
    """Tell the unit's admins and the leaders about a 督办 or 挂牌督办 (in-app + email, once per notice)."""
    notice = Notice.objects.select_related("task__lead_unit").filter(pk=notice_id).first()
    if notice is None:
        return 0
    task = notice.task
    title = f"{notice.get_level_display()}：{task.lead_unit.name} · {task.code} {task.title}"
    recipients = leader_recipients(notice)
    body = notice.reason
    return notify_users(recipients, event="notice.escalate", task=task, title=title, body=body, key=str(notice.pk))


# --- Deadline warnings --------------------------------------------------------------------------


def warn_deadlines(*, today: date | None = None) -> int:
    """临近时限预警: items due within ``DEADLINE_WARNING_DAYS`` days and not finished; once per item and deadline."""
    today = _today(today)
    horizon = today + timedelta(days=settings.DEADLINE_WARNING_DAYS)
    notified = 0
    for task in Task.objects.filter(
        is_leaf=True, status__in=ACTIVE_STATUSES, deadline__gte=today, deadline__lte=horizon, progress__lt=100
    ).order_by("deadline", "sort_key"):
        assert task.deadline is not None
        days = (task.deadline - today).days
        when = "今天到期" if days == 0 else f"距完成时限（{_cn(task.deadline)}）还有 {days} 天"
        body = f"“{task.code} {task.title}”{when}，当前进度 {_pct(task.progress)}，请抓紧推进。"
        notified += deliver_event("deadline.warning", task.pk, None, task.deadline.isoformat(), body)
    return notified


def _task_payload(task: Task, **extra: Any) -> dict[str, Any]:
    return {
        "task_code": task.code,
        "task_title": task.title,
        "unit": task.lead_unit.name,
        "link": task.get_absolute_url(),
        **extra,
    }
