"""The cockpit's reads: the watermark and the cached figures, the payload computed from the roll-ups, task search.

Nothing here writes. ``cockpit.services.cockpit_figures`` is what the page and ``/api/cockpit/`` call:
it answers from ``FigureCache`` when the watermark (trace head ``seq``, local date,
``CockpitState.epoch``) has not moved since the figures were computed (``watermark``: one query), and
otherwise catches the roll-ups up with the trace, computes the payload here (``compute``: a fixed
number of queries) and stores it with the blocks ``compute`` had to build afresh.

``cockpit.drilldown.drilldown_queryset(user=…, params=…)`` is the other half of the contract: given
the query string of any link in the payload it returns the tasks behind the figure, as /tasks/ does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reform.periods import period_of
from tasks_app.models import Domain
from tasks_app.selectors.programmes import default_programme
from tasks_app.selectors.task_list import task_search as search_tasks
from tasks_app.workflow import FINAL_STATUSES
from trail.models import TraceHead

from .figures import (
    indicator_figures,
    instruction_figures,
    listed_figures,
    ranking_figures,
    ranking_rows,
    report_figures,
    state_figures,
    trend_figures,
)
from .filters import PAYLOAD_VERSION, CockpitFilters, filters_from_key, load_units, period_value, scope_meta
from .models import CockpitState, FigureCache

if TYPE_CHECKING:
    from accounts.models import User

# Blocks whose inputs change less often than the trace head moves: each is cached under its own
# watermark (the seq of the last trace entry that could change it, kept by the roll-up sync).
BLOCK_SEQS = {"ranking": "ranking_seq", "indicators": "indicator_seq", "reports": "report_seq"}
RECENT_MINUTES = 15
RECENT_KEYS = 20


# --- The watermark and the cache ----------------------------------------------------------------


def watermark(cache_key: str = "", day: date | None = None) -> dict[str, Any]:
    """The trace head, the cockpit state and (given a key) the figures cached for it at that watermark: one query."""
    head = TraceHead._meta.db_table
    state = CockpitState._meta.db_table
    cache = FigureCache._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.seq, s.epoch, s.built_epoch, s.seq, s.ranking_seq, s.indicator_seq, s.report_seq, "
            f"s.snapshot_day, f.payload, f.seq, f.computed_at "
            f"FROM {head} h LEFT JOIN {state} s ON s.id = 1 "
            f"LEFT JOIN {cache} f ON f.key = %s AND f.day = %s AND f.epoch = COALESCE(s.epoch, 0) "
            f"WHERE h.id = 1",
            [cache_key, day or timezone.localdate()],
        )
        row = cursor.fetchone()
    if row is None:
        return {
            "head": 0,
            "epoch": 0,
            "current": False,
            "ranking_seq": 0,
            "indicator_seq": 0,
            "report_seq": 0,
            "snapshot_day": None,
            "payload": None,
            "stale_payload": None,
            "stale_seconds": None,
        }
    (
        head_seq,
        epoch,
        built_epoch,
        synced_seq,
        ranking_seq,
        indicator_seq,
        report_seq,
        snapshot_day,
        payload,
        cached_seq,
        computed_at,
    ) = row
    if isinstance(snapshot_day, str):
        snapshot_day = date.fromisoformat(snapshot_day)
    if isinstance(payload, (str, bytes)):
        payload = json.loads(payload)
    if isinstance(computed_at, str):
        computed_at = parse_datetime(computed_at)
    if computed_at is not None and timezone.is_naive(computed_at):
        computed_at = timezone.make_aware(computed_at, UTC)
    current_payload = payload if payload is not None and cached_seq == head_seq else None
    stale_payload = payload if payload is not None and cached_seq != head_seq else None
    return {
        "head": head_seq,
        "epoch": epoch or 0,
        "current": epoch is not None and built_epoch == epoch and synced_seq >= head_seq,
        "ranking_seq": ranking_seq or 0,
        "indicator_seq": indicator_seq or 0,
        "report_seq": report_seq or 0,
        "snapshot_day": snapshot_day,
        "payload": current_payload,
        "stale_payload": stale_payload,
        "stale_seconds": (timezone.now() - computed_at).total_seconds() if stale_payload is not None else None,
    }


def block_keys(f: CockpitFilters) -> dict[str, str]:
    domain = f"{f.programme.pk}/{f.domain.code if f.domain else '*'}"
    return {
        "ranking": f"v{PAYLOAD_VERSION}:ranking:{domain}:{f.period_value}",  # every lead unit: shared by all scopes
        "indicators": f"v{PAYLOAD_VERSION}:indicators:{f.scope}:{domain}",
        "reports": f"v{PAYLOAD_VERSION}:reports:{f.scope}:{domain}:{f.period_value}",
    }


def recent_filters(today: date) -> list[CockpitFilters]:
    """The filter sets worth computing ahead of the readers: the default view and those read in the last minutes."""
    month = period_of(today, "month")
    wanted = [
        CockpitFilters(
            unit=None, domain=None, period=month, period_value=period_value(month), programme=default_programme()
        )
    ]
    since = timezone.now() - timedelta(minutes=RECENT_MINUTES)
    recent = (
        FigureCache.objects.filter(computed_at__gte=since, key__regex=r"^v[0-9]+:[0-9]+:")
        .order_by("-computed_at")
        .values_list("key", flat=True)[:RECENT_KEYS]
    )
    for key in recent:
        f = filters_from_key(key, today)
        if f is not None and f.cache_key not in {w.cache_key for w in wanted}:
            wanted.append(f)
    return wanted


# --- The payload, computed from the roll-ups ----------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A block computed afresh because its cached copy was missing or behind its own watermark."""

    key: str
    seq: int
    value: Any


@dataclass(frozen=True)
class Computed:
    """A payload and the blocks built for it that the caller should cache (under the payload's epoch)."""

    payload: dict[str, Any]
    blocks: list[Block]


def compute(f: CockpitFilters, *, today: date, state: dict[str, Any]) -> Computed:
    """Every figure for these filters at the ``state`` watermark, from the roll-ups (a fixed number of queries).

    The ranking, indicator and report blocks come from ``FigureCache`` when cached at their own
    watermark; the ones computed instead are returned in ``Computed.blocks`` for the caller to store.
    """
    now = timezone.localtime()
    units = load_units()
    domains = list(Domain.objects.filter(programme=f.programme).order_by("order"))
    keys = block_keys(f)
    stored = {
        key: (seq, payload)
        for key, seq, payload in FigureCache.objects.filter(
            key__in=list(keys.values()), day=today, epoch=state["epoch"]
        ).values_list("key", "seq", "payload")
    }
    fresh: list[Block] = []

    def block(name: str, build: Any) -> Any:
        seq = state[BLOCK_SEQS[name]]
        hit = stored.get(keys[name])
        if hit is not None and hit[0] == seq:
            return hit[1]
        value = build()
        fresh.append(Block(key=keys[name], seq=seq, value=value))
        return value

    figures = state_figures(f, units, today, domains)
    live_red = figures.pop("live_red")
    rows = block("ranking", lambda: ranking_rows(f, today))
    payload = {
        "version": PAYLOAD_VERSION,
        "as_of": now.isoformat(timespec="seconds"),
        "as_of_label": now.strftime("%H:%M"),
        "as_of_date": now.date().isoformat(),
        "seq": state["head"],
        "filters": f.query(),
        **figures,
        "trend": trend_figures(f, today, live_red),
        "indicators": block("indicators", lambda: indicator_figures(f, domains)),
        "instructions": instruction_figures(f, today),
        "reports": block("reports", lambda: report_figures(f, units)),
        "ranking": ranking_figures(f, units, today, rows),
        "listed": listed_figures(f, today),
        "scope": scope_meta(f, units, domains, today),
    }
    return Computed(payload=payload, blocks=fresh)


# --- Task search for the leader's forms ---------------------------------------------------------


def task_search(*, user: User, text: str, limit: int = 12) -> list[dict[str, Any]]:
    """Open tasks for the leader's action forms, by code or title, among those the user may see (two queries)."""
    rows = (
        search_tasks(user=user, text=text)
        .exclude(status__in=[str(s) for s in FINAL_STATUSES])
        .prefetch_related("cooperating_units")[:limit]
    )
    return [
        {
            "id": t.pk,
            "code": t.code,
            "title": t.title,
            "label": f"{t.code} {t.title}",
            "unit": t.lead_unit.name,
            "rag": t.rag,
            "cooperating": [{"id": u.pk, "name": u.name} for u in t.cooperating_units.all()],
        }
        for t in rows
    ]
