"""Reads of the trace: the head, the latest walk of the chain, a task's entries in order."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import TraceEntry, TraceHead, TraceVerification


def head_seq(*, using: str = "default") -> int | None:
    """The number of entries the head says the chain holds (None when the head row is missing)."""
    return TraceHead.objects.using(using).filter(pk=1).values_list("seq", flat=True).first()


def latest_verification(*, using: str = "default") -> TraceVerification | None:
    return TraceVerification.objects.using(using).order_by("-started_at", "-id").first()


def task_entries(task_id: int) -> QuerySet[TraceEntry]:
    """A task's entries in chain order (which is time order: the chain is appended as things happen)."""
    return TraceEntry.objects.filter(task_id=task_id).order_by("seq")
