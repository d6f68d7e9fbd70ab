"""Every read of the task list and the closed loop that is more than a ``get``, by subject.

- ``task_list``: the one set of task filters and the one filtering query every list builds on;
- ``task_page``: the web task page; ``api``: the API's task rows and detail;
- ``timeline``: a task's trace as people read it; ``hierarchy``: subtrees and ancestors;
- ``work_queue``: what waits for the office; ``ranking``: 红黑榜; ``inbox``: the bell;
- ``supervision``: a task's supervision objects.

Selectors only read: they never write and never call a service.
"""

from .hierarchy import task_ancestors, task_subtree
from .ranking import UnitRankingRow, unit_ranking
from .task_list import TaskFilters, filter_units, task_list_page, task_queryset
from .timeline import TimelineItem, task_timeline_items

__all__ = [
    "TaskFilters",
    "TimelineItem",
    "UnitRankingRow",
    "filter_units",
    "task_ancestors",
    "task_list_page",
    "task_queryset",
    "task_subtree",
    "task_timeline_items",
    "unit_ranking",
]
