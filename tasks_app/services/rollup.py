"""Roll-ups after a write: parents' weighted progress, and the lights of the task and its ancestors.

Both run inside the writing service's transaction, so a reader never sees a child's new state next
to its parent's old progress or light.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import F, Sum

from indicators import rag

from .. import tree
from ..models import Task
from ..workflow import Status


def rollup_progress(codes: Iterable[str]) -> None:
    """Recompute the weighted-mean progress of every ancestor of the tasks ``codes``, deepest first.

    One aggregate and one update per ancestor: the chain is short (tree depth), so reads never
    have to walk the tree. Cancelled children do not count.
    """
    ancestors: set[str] = set()
    for code in codes:
        ancestors.update(tree.ancestor_codes(code))
    _rollup(ancestors)


def rollup_from(parent_codes: Iterable[str | None]) -> None:
    """Recompute these parents and all their ancestors (after a child left or was deleted)."""
    nodes: set[str] = set()
    for code in parent_codes:
        if code:
            nodes.add(code)
            nodes.update(tree.ancestor_codes(code))
    _rollup(nodes)


def _rollup(ancestors: set[str]) -> None:
    for code in sorted(ancestors, key=tree.depth_of, reverse=True):
        agg = (
            Task.objects.filter(parent__code=code)
            .exclude(status=Status.CANCELLED)
            .aggregate(weighted=Sum(F("progress") * F("weight")), weights=Sum("weight"))
        )
        if agg["weights"]:
            value = (Decimal(agg["weighted"]) / Decimal(agg["weights"])).quantize(Decimal("0.01"))
            Task.objects.filter(code=code).update(progress=value)


def schedule_light_refresh(task_ids: Iterable[int]) -> None:
    """Recompute the lights of these tasks and their ancestors in the current transaction."""
    rag.refresh_lights(list(task_ids))
