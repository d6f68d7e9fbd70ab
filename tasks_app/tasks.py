"""Celery tasks: thin, idempotent adapters over the notification services."""

from __future__ import annotations

from celery import shared_task

from . import notify


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_task_event(event: str, task_id: int, actor_id: int | None, key: str = "", body: str = "") -> int:
    """Create in-app notifications (deduplicated per recipient and event key) and send emails."""
    return notify.deliver_event(event, task_id, actor_id, key, body)


@shared_task(acks_late=True)
def relay_trace_notifications() -> int:
    """Turn trace entries past the relay cursor into notifications; safe to run twice or concurrently."""
    return notify.relay_trace()
