"""Roll-ups after a write: parents' weighted progress, and the lights of the task and its ancestors.

Both run inside the writing service's transaction, so a reader never sees a child's new state next
to its parent's old progress or light.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import F, Sum

from indicators import rag

from .. import tree
from ..models import Task
from ..workflow import Status


def rollup_progress(tasks: Iterable[Task]) -> None:
    """Recompute the weighted-mean progress of every ancestor of ``tasks``, deepest first.

    One aggregate and one update per ancestor: the chain is short (tree depth), so reads never
    have to walk the tree. Cancelled children do not count.
    """
    ancestors: dict[int, set[str]] = defaultdict(set)
    for task in tasks:
        ancestors[task.programme_id].update(tree.ancestor_codes(task.code))
    _rollup(ancestors)


def rollup_from(parent_ids: Iterable[int | None]) -> None:
    """Recompute these parents and all their ancestors (after a child left, changed or was deleted)."""
    ids = {pk for pk in parent_ids if pk}
    nodes: dict[int, set[str]] = defaultdict(set)
    for programme_id, code in Task.objects.filter(pk__in=ids).values_list("programme_id", "code"):
        nodes[programme_id].add(code)
        nodes[programme_id].update(tree.ancestor_codes(code))
    _rollup(nodes)


def _rollup(codes_by_programme: dict[int, set[str]]) -> None:
    for programme_id, codes in codes_by_programme.items():
        if not codes:
            continue
        ids = dict(Task.objects.filter(programme_id=programme_id, code__in=codes).values_list("code", "pk"))
        for code in sorted(ids, key=tree.depth_of, reverse=True):
            agg = (
                Task.objects.filter(parent_id=ids[code])
                .exclude(status=Status.CANCELLED)
                .aggregate(weighted=Sum(F("progress") * F("weight")), weights=Sum("weight"))
            )
            if agg["weights"]:
                value = (Decimal(agg["weighted"]) / Decimal(agg["weights"])).quantize(Decimal("0.01"))
                Task.objects.filter(pk=ids[code]).update(progress=value)


def schedule_light_refresh(task_ids: Iterable[int]) -> None:
    """Recompute the lights of these tasks and their ancestors in the current transaction."""
    rag.refresh_lights(list(task_ids))
