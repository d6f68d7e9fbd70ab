"""Celery adapters for the cockpit: thin, idempotent, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def cockpit_sync() -> int:
    """Catch the roll-ups up with the trace and recompute the figures leaders open (cheap when current)."""
    return services.rollup_refresh_now()


@shared_task(acks_late=True)
def cockpit_snapshot() -> int:
    """End of day: record the day's light counts for the trend (replaces the day's earlier snapshot)."""
    return services.snapshot_take()


@shared_task(acks_late=True)
def cockpit_after_lights() -> str:
    """After the nightly light recompute (which writes no trace entries): compare every task again."""
    return services.rollup_rebuild("nightly light recompute").mode
