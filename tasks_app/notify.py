"""Who hears about what, and delivering it: in-app notifications (the bell) and email.

Each event type declares its audience and title (``tasks_app.events``, ``rhythm.events``). Services
call :func:`notify_on_commit`. Traced events need nothing queued: the trace entry written in the
same transaction *is* the outbox, and :func:`relay_trace` turns new entries into notifications; the
service only nudges the relay after commit. If the broker is down the nudge is dropped and the
periodic relay run delivers the backlog when it returns. Untraced events (reminders, warnings) are
delivered by their own deduplicated job.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import User
from reform.jobs import enqueue
from reform.roles import Role
from trail.events import Audience, EventType, event_type, notifying_actions
from trail.models import RelayCursor, TraceEntry

from . import tree
from .models import Instruction, Notification, Task, TaskShare

if TYPE_CHECKING:
    from django.db.models import QuerySet

logger = logging.getLogger(__name__)

UNIT_AUDIENCES = frozenset({Audience.LEAD_UNIT, Audience.RESPONSIBLE_UNITS, Audience.TARGET_UNITS, Audience.SHARE_UNIT})
DELIVER_JOB = "tasks_app.tasks.deliver_task_event"
RELAY_JOB = "tasks_app.tasks.relay_trace_notifications"


def notify_on_commit(event: str, *, task: Task, actor: User | None, key: str = "", body: str = "") -> None:
    """Make sure ``event`` about ``task`` is delivered once the surrounding transaction commits."""
    declared = event_type(event)
    if declared is None or not declared.notifies:
        return
    if declared.traced:
        transaction.on_commit(kick_relay, robust=True)
        return
    task_id = task.pk
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    transaction.on_commit(lambda: enqueue(DELIVER_JOB, event, task_id, actor_id, key, body), robust=True)


_last_kick = 0.0
KICK_INTERVAL_SECONDS = 0.2


def kick_relay() -> None:
    """Ask a worker to relay new trace entries; at most one nudge per interval per process."""
    global _last_kick
    now = time.monotonic()
    if not settings.CELERY_TASK_ALWAYS_EAGER and now - _last_kick < KICK_INTERVAL_SECONDS:
        return
    _last_kick = now
    enqueue(RELAY_JOB)


def _of_level(role: str, lead_path: str) -> Q:
    """Accounts of ``role`` at the level that supervises a unit: the nearest scope above it, else the city's."""
    scopes = [
        path
        for path in User.objects.filter(groups__name=role, is_active=True, scope__isnull=False)
        .values_list("scope__path", flat=True)
        .distinct()
        if lead_path.startswith(path)
    ]
    return Q(scope__path=max(scopes, key=len)) if scopes else Q(scope__isnull=True)


def supervising_offices(task: Task) -> QuerySet[User]:
    """The supervision office of the task's level, and the office that created the task.

    The office of the level holds the nearest scope above the lead unit (a district's office for a
    street's item; the city office, with no scope, for the city's own departments).
    """
    offices = User.objects.filter(groups__name=Role.OFFICE, is_active=True)
    wanted = _of_level(Role.OFFICE, task.lead_unit.path)
    creator = offices.filter(pk=task.created_by_id).values_list("scope_id", flat=True) if task.created_by_id else None
    if creator is not None and creator.exists():
        scope_id = creator.first()
        wanted |= Q(scope_id=scope_id) if scope_id is not None else Q(scope__isnull=True)
    return offices.filter(wanted)


def leaders_in_charge(task: Task) -> QuerySet[User]:
    """督办 goes to the task's 分管领导: its own, else the nearest ancestor's; with none named, the
    leaders of the task's level (the nearest leader scope above the lead unit, else the city's)."""
    leaders = User.objects.filter(groups__name=Role.LEADER, is_active=True)
    codes = [task.code, *reversed(tree.ancestor_codes(task.code))]
    named = dict(
        Task.objects.filter(programme_id=task.programme_id, code__in=codes, leader_in_charge__isnull=False).values_list(
            "code", "leader_in_charge_id"
        )
    )
    for code in codes:  # the item itself first, then upwards
        if code in named and leaders.filter(pk=named[code]).exists():
            return leaders.filter(pk=named[code])
    return leaders.filter(_of_level(Role.LEADER, task.lead_unit.path))


def _units_of(declared: EventType, task: Task, object_id: str) -> list[int]:
    if declared.audience == Audience.RESPONSIBLE_UNITS:
        return [task.lead_unit_id, *task.cooperating_units.values_list("pk", flat=True)]
    if declared.audience == Audience.TARGET_UNITS and object_id.isdigit():
        targets = list(
            Instruction.target_units.through.objects.filter(instruction_id=int(object_id)).values_list(
                "orgunit_id", flat=True
            )
        )
        return targets or [task.lead_unit_id]
    if declared.audience == Audience.SHARE_UNIT and object_id.isdigit():
        return list(TaskShare.objects.filter(pk=int(object_id)).values_list("unit_id", flat=True))
    return [task.lead_unit_id]


def recipients(declared: EventType, task: Task, actor_id: int | None, object_id: str = "") -> list[User]:
    """The accounts an event's audience names, less the person who acted."""
    qs: QuerySet[User]
    if declared.audience == Audience.OFFICE:
        qs = supervising_offices(task)
    elif declared.audience == Audience.LEAD_UNIT_ADMINS:
        qs = User.objects.filter(unit_id=task.lead_unit_id, groups__name=Role.UNIT_ADMIN, is_active=True)
    elif declared.audience in UNIT_AUDIENCES:
        qs = User.objects.filter(unit_id__in=_units_of(declared, task, object_id), is_active=True)
    else:
        return []
    return [u for u in qs.distinct().order_by("pk") if u.pk != actor_id]


def deliver_event(
    event: str, task_id: int, actor_id: int | None, key: str = "", body: str = "", object_id: str = ""
) -> int:
    """Create in-app notifications (deduplicated per recipient and event key) and send emails; return how many."""
    declared = event_type(event)
    task = Task.objects.select_related("lead_unit").filter(pk=task_id).first()
    if task is None or declared is None or not declared.notifies:
        return 0
    title = declared.title.format(task=f"{task.code} {task.title}")[:200]
    created = 0
    for user in recipients(declared, task, actor_id, object_id):
        dedupe = f"{event}:{task_id}:{key}:{user.pk}" if key else None
        try:
            with transaction.atomic():
                Notification.objects.create(
                    recipient=user,
                    task=task,
                    kind=event,
                    title=title,
                    body=body,
                    link=task.get_absolute_url(),
                    dedupe_key=dedupe,
                )
        except IntegrityError:
            continue  # already delivered by an earlier run of this job
        created += 1
        if user.email:
            send_mail(title, body or title, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
    return created


RELAY_BATCH = 500
RELAY_CURSOR = "notifications"
BODY_KEYS = ("text", "reason", "requirement", "comment", "response", "summary")


def relay_trace() -> int:
    """Turn trace entries past the relay cursor into notifications; safe to run twice or concurrently.

    The cursor row is locked for the batch, so concurrent runs queue behind each other, and
    notification dedupe keys (action:task:seq:user) make a re-run after a crash harmless.
    """
    actions = notifying_actions()
    delivered = 0
    while True:
        with transaction.atomic():
            RelayCursor.objects.get_or_create(name=RELAY_CURSOR)
            cursor = RelayCursor.objects.select_for_update().get(name=RELAY_CURSOR)
            entries = list(
                TraceEntry.objects.filter(seq__gt=cursor.seq, action__in=actions)
                .order_by("seq")
                .values("seq", "action", "task_id", "actor_id", "object_id", "payload")[:RELAY_BATCH]
            )
            last_seq = TraceEntry.objects.filter(seq__gt=cursor.seq).order_by("-seq").values_list("seq", flat=True)
            head = entries[-1]["seq"] if len(entries) == RELAY_BATCH else (last_seq.first() or cursor.seq)
            for entry in entries:
                if entry["task_id"] is None:
                    continue
                body = next((str(entry["payload"][k]) for k in BODY_KEYS if entry["payload"].get(k)), "")
                seq = str(entry["seq"])
                delivered += deliver_event(
                    entry["action"], entry["task_id"], entry["actor_id"], seq, body, entry["object_id"]
                )
            RelayCursor.objects.filter(pk=cursor.pk).update(seq=head)
        if len(entries) < RELAY_BATCH:
            return delivered
