"""Celery adapters for the trace: thin and idempotent."""

from __future__ import annotations

from celery import shared_task

from .models import TraceVerification
from .verify import verify_and_record


@shared_task(acks_late=True)
def verify_trace_nightly() -> bool:
    """Walk the whole trace chain and record the outcome; the readiness report shows the latest one."""
    return verify_and_record(TraceVerification.Source.NIGHTLY).ok
