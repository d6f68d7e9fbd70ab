"""Inserting many tasks of one programme at once (imports, seeds): parents first, parents linked by code."""

from __future__ import annotations

from itertools import groupby

from . import tree
from .models import Task

CHUNK = 900  # codes per ``IN`` lookup (below SQLite's variable limit)


def bulk_insert_tree(rows: list[Task], *, batch_size: int = 5000) -> list[Task]:
    """Insert ``rows`` (new tasks of one programme, ``code`` set) level by level, each row's ``parent``
    set from its code (a new row of the batch or a task already in the programme), its depth and sort
    key from the code. Returns the rows, with their ids."""
    if not rows:
        return rows
    programmes = {row.programme_id for row in rows}
    if len(programmes) != 1:
        raise ValueError("bulk_insert_tree inserts the tasks of one programme at a time")
    programme_id = programmes.pop()
    new_codes = {row.code for row in rows}
    outside = sorted({code for row in rows if (code := tree.parent_code(row.code))} - new_codes)
    pk_of: dict[str, int] = {}
    for start in range(0, len(outside), CHUNK):
        found = Task.objects.filter(programme_id=programme_id, code__in=outside[start : start + CHUNK])
        pk_of.update(found.values_list("code", "pk"))
    by_depth = sorted(rows, key=lambda row: tree.depth_of(row.code))
    for _depth, level in groupby(by_depth, key=lambda row: tree.depth_of(row.code)):
        batch = list(level)
        for row in batch:
            parent = tree.parent_code(row.code)
            row.parent_id = pk_of[parent] if parent else None
            row.sort_key = tree.task_sort_key(programme_id, row.code)
            row.depth = tree.depth_of(row.code)
        Task.objects.bulk_create(batch, batch_size=batch_size)
        pk_of.update({row.code: row.pk for row in batch})
    return rows
