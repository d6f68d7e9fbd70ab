"""Celery tasks: thin, idempotent adapters over services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from accounts.models import Role, User

from .models import Notification, Task
from .notify import EVENT_TITLES, TO_LEAD_UNIT


def _recipients(event: str, task: Task, actor_id: int | None) -> list[User]:
    if event in TO_LEAD_UNIT:
        qs = User.objects.filter(unit_id=task.lead_unit_id, is_active=True)
    else:
        qs = User.objects.filter(groups__name=Role.OFFICE, is_active=True)
    return [u for u in qs.distinct() if u.pk != actor_id]


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_task_event(event: str, task_id: int, actor_id: int | None, key: str = "", body: str = "") -> int:
    """Create in-app notifications (deduplicated per recipient and event key) and send emails."""
    task = Task.objects.select_related("lead_unit").filter(pk=task_id).first()
    if task is None:
        return 0
    title = EVENT_TITLES[event].format(task=f"{task.code} {task.title}")[:200]
    created = 0
    for user in _recipients(event, task, actor_id):
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
BODY_KEYS = ("text", "reason", "requirement", "comment", "response", "summary")


@shared_task(acks_late=True)
def relay_trace_notifications() -> int:
    """Turn trace entries past the relay cursor into notifications; safe to run twice or concurrently.

    The cursor row is locked for the batch, so concurrent runs queue behind each other, and
    notification dedupe keys (action:task:seq:user) make a re-run after a crash harmless.
    """
    from .models import RelayCursor, TraceEntry
    from .notify import TO_LEAD_UNIT, TO_OFFICE

    delivered = 0
    while True:
        with transaction.atomic():
            RelayCursor.objects.get_or_create(name="notifications")
            cursor = RelayCursor.objects.select_for_update().get(name="notifications")
            entries = list(
                TraceEntry.objects.filter(seq__gt=cursor.seq, action__in=sorted(TO_LEAD_UNIT | TO_OFFICE))
                .order_by("seq")
                .values("seq", "action", "task_id", "actor_id", "payload")[:RELAY_BATCH]
            )
            last_seq = TraceEntry.objects.filter(seq__gt=cursor.seq).order_by("-seq").values_list("seq", flat=True)
            head = entries[-1]["seq"] if len(entries) == RELAY_BATCH else (last_seq.first() or cursor.seq)
            for entry in entries:
                if entry["task_id"] is None:
                    continue
                body = next((str(entry["payload"][k]) for k in BODY_KEYS if entry["payload"].get(k)), "")
                delivered += deliver_task_event(
                    entry["action"], entry["task_id"], entry["actor_id"], str(entry["seq"]), body
                )
            RelayCursor.objects.filter(pk=cursor.pk).update(seq=head)
        if len(entries) < RELAY_BATCH:
            return delivered


@shared_task(acks_late=True)
def verify_trace_nightly() -> bool:
    """Walk the whole trace chain and record the outcome; the readiness report shows the latest one."""
    from .events import verify_and_record
    from .models import TraceVerification

    return verify_and_record(TraceVerification.Source.NIGHTLY).ok
