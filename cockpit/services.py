"""Writes of the cockpit's own tables: roll-up sync, the change epoch, snapshots and the figure cache.

Nothing here changes the programme itself; leader actions taken from the cockpit go through the
task services (``instruction_issue``, ``notice_issue``) in the views.

``cockpit_figures(user=…, params=…)`` is what the page and ``/api/cockpit/`` show: the cached figures
when the watermark has not moved, else it catches the roll-ups up with the trace, computes the
figures with the read-only ``cockpit.selectors.compute`` and stores them (and any block it rebuilt).

The one call the task services should make after a write is :func:`rollup_refresh_on_commit`; the
figures are correct without it (every read compares the roll-ups with the trace head first), it only
moves the catch-up out of the next reader's request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reform.jobs import enqueue

from . import rollup, selectors
from .filters import CockpitFilters, parse_filters
from .models import FigureCache

if TYPE_CHECKING:
    from accounts.models import User

_last_nudge = threading.local()
NUDGE_INTERVAL = 0.5  # seconds: at most one background catch-up per process per interval


# --- The figures, computed when the watermark moved ---------------------------------------------


def cockpit_figures(*, user: User, params: Any) -> dict[str, Any]:
    """The cockpit figures for the user and filters: from the cache when nothing moved, else recomputed."""
    return figures_for(parse_filters(user, params))


def figures_for(f: CockpitFilters) -> dict[str, Any]:
    """The figures for these (already authorised) filters: one query when cached at the current watermark."""
    today = timezone.localdate()
    mark = selectors.watermark(f.cache_key, today)
    if mark["payload"] is not None:
        return mark["payload"]
    max_stale = max_stale_seconds()
    if mark["stale_payload"] is not None and max_stale > 0 and mark["stale_seconds"] <= max_stale:
        return mark["stale_payload"]  # the worker is already recomputing it; its "as of" time says how old
    if not mark["current"] or mark["snapshot_day"] != today:
        rollup.sync()
        mark = selectors.watermark()
    computed = selectors.compute(f, today=today, state=mark)
    for block in computed.blocks:
        cache_store(key=block.key, day=today, seq=block.seq, epoch=mark["epoch"], payload=block.value)
    cache_store(key=f.cache_key, day=today, seq=mark["head"], epoch=mark["epoch"], payload=computed.payload)
    return computed.payload


def figures_warm() -> int:
    """Recompute, ahead of the readers, the default view and the filter sets read in the last minutes."""
    wanted = selectors.recent_filters(timezone.localdate())
    for f in wanted:
        figures_for(f)
    return len(wanted)


def max_stale_seconds() -> float:
    """How old cached figures may be served while the trace has moved on (0: always recompute first).

    With a real worker, every write triggers ``cockpit_sync``, which recomputes the figures leaders
    have open; under a steady stream of writes a request that recomputed itself would do the worker's
    job again on every poll. So, with a worker, figures up to ``COCKPIT_MAX_STALE_SECONDS`` old are
    served (the page shows their "as of" time). Without one (the embedded demo, tests) nothing would
    refresh them, so the request recomputes.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0.0
    return float(settings.COCKPIT_MAX_STALE_SECONDS)


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


# --- The roll-ups -------------------------------------------------------------------------------


def rollup_sync(*, full: bool = False) -> rollup.SyncResult:
    """Bring the roll-up tables up to the trace head (delta) or compare everything (``full``)."""
    return rollup.sync(full=full)


def rollup_refresh_now() -> int:
    """Catch the roll-ups up and recompute the figures leaders are likely to open next (the worker's job)."""
    rollup.sync()
    return figures_warm()


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
    try:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            rollup.sync()
        else:
            enqueue("cockpit.tasks.cockpit_sync")  # a broker outage is logged there; the next reader catches up
    except Exception:  # the next reader catches up anyway
        rollup.logger.warning("驾驶舱汇总后台同步未能启动，将在下次读取时同步", exc_info=True)
