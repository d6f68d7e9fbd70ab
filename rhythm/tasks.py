"""Celery adapters for the supervision rhythm: thin, idempotent, ``acks_late`` and safe to retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from . import channels, services
from .models import WebhookDelivery

# A job that hits a database hiccup runs again; every write it makes is deduplicated, so that is safe.
JOB_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "max_retries": 3,
}


@shared_task(**JOB_OPTIONS)
def remind_tenday_reports() -> int:
    return services.remind_tenday_reports()


@shared_task(**JOB_OPTIONS)
def record_missed_and_escalate() -> dict[str, Any]:
    """Record yesterday's missed ten-day reports, then climb the ladder (the missed reports included)."""
    missed = services.record_missed_reports()
    issued = services.escalate()
    return {"missed": missed, "issued": issued}


@shared_task(**JOB_OPTIONS)
def warn_deadlines() -> int:
    return services.warn_deadlines()


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self: Any, delivery_id: int) -> str:
    """Send one webhook delivery; on failure retry with exponential backoff up to ``WEBHOOK_MAX_ATTEMPTS``."""
    status, attempts = channels.attempt_delivery(delivery_id)
    if self.request.is_eager:
        # Eager Celery (demo, tests) cannot schedule a countdown: retry in-process right away instead.
        while status == WebhookDelivery.Status.RETRYING:
            status, attempts = channels.attempt_delivery(delivery_id)
    elif status == WebhookDelivery.Status.RETRYING:
        raise self.retry(countdown=channels.backoff_seconds(attempts))
    return str(status)


@shared_task(acks_late=True)
def sweep_webhooks() -> int:
    """Re-send deliveries whose Celery message was lost (broker outage, worker crash) once their backoff passed."""
    now = timezone.now()
    requeued = 0
    for delivery_id, attempts, updated_at in WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING]
    ).values_list("pk", "attempts", "updated_at"):
        wait = channels.backoff_seconds(attempts) if attempts else settings.WEBHOOK_BACKOFF_SECONDS
        if updated_at + timedelta(seconds=wait * 2) <= now:
            channels._enqueue([delivery_id])
            requeued += 1
    return requeued
