"""Writes of the cockpit's own tables: roll-up sync, the change epoch, snapshots and the figure cache.

Nothing here changes the programme itself; leader actions taken from the cockpit go through the
task services (``instruction_issue``, ``notice_issue``) in the views.

The one call the task services should make after a write is :func:`rollup_refresh_on_commit`; the
figures are correct without it (every read compares the roll-ups with the trace head first), it only
moves the catch-up out of the next reader's request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import rollup
from .models import FigureCache

_last_nudge = threading.local()
NUDGE_INTERVAL = 0.5  # seconds: at most one background catch-up per process per interval


def rollup_sync(*, full: bool = False) -> rollup.SyncResult:
    """Bring the roll-up tables up to the trace head (delta) or compare everything (``full``)."""
    return rollup.sync(full=full)


def rollup_refresh_now() -> int:
    """Catch the roll-ups up and recompute the figures leaders are likely to open next (the worker's job)."""
    rollup.sync()
    from .selectors import warm_payloads

    return warm_payloads()


def rollup_rebuild(reason: str = "rebuild") -> rollup.SyncResult:
    """Bump the epoch and compare every task, indicator and report with the roll-ups now."""
    rollup.epoch_bump(reason)
    return rollup.sync(full=True)


def epoch_bump(reason: str) -> int:
    """Mark the roll-ups stale after a change that wrote no trace entry (e.g. the nightly light recompute)."""
    return rollup.epoch_bump(reason)


def snapshot_take(day: date | None = None) -> int:
    """Record today's light counts per scope and domain (idempotent: replaces the day's rows)."""
    rollup.sync()
    return rollup.snapshot_take(day)


def rollup_refresh_on_commit(task_ids: Iterable[int]) -> None:
    """After the current transaction commits, catch the roll-ups up with it (in the background with a broker).

    Safe to call from inside any service transaction, any number of times: the catch-up reads the
    trace since the last sync, so one run covers every write before it, and runs are debounced.
    """
    if not list(task_ids):
        return
    transaction.on_commit(_nudge)


def _nudge() -> None:
    now = time.monotonic()
    if now - getattr(_last_nudge, "at", 0.0) < NUDGE_INTERVAL:
        return
    _last_nudge.at = now
    from .tasks import cockpit_sync

    try:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            rollup.sync()
        else:
            cockpit_sync.delay()
    except Exception:  # the next reader catches up anyway
        rollup.logger.warning("驾驶舱汇总后台同步未能启动，将在下次读取时同步", exc_info=True)


def cache_store(*, key: str, day: date, seq: int, epoch: int, payload: Any) -> None:
    """Keep computed figures for this key until its watermark moves (one upsert statement)."""
    table = FigureCache._meta.db_table
    value = FigureCache._meta.get_field("payload").get_db_prep_save(payload, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, day, seq, epoch, payload, computed_at) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET day = excluded.day, seq = excluded.seq, epoch = excluded.epoch, "
            "payload = excluded.payload, computed_at = excluded.computed_at",
            [key, day, seq, epoch, value, timezone.now()],
        )
