"""Celery adapters for the indicators app: thin, idempotent, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import rag


@shared_task(acks_late=True)
def recompute_lights_nightly() -> dict[str, int]:
    """Recompute every light for the passing of time; a second run changes nothing."""
    return rag.recompute_all()
