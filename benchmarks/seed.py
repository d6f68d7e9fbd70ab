"""Bulk-generate a synthetic programme for benchmarks: a consistent task tree with units and indicators."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal


def seed_tasks(n_items: int, *, seed: int = 7) -> list[int]:
    """Create ~``n_items`` tasks (8 major tasks → sub-tasks → items) plus indicators, bulk; return task ids."""
    from orgs.models import OrgUnit
    from orgs.services import orgunit_create
    from tasks_app import tree
    from tasks_app.bulk import bulk_insert_tree
    from tasks_app.models import Domain, Task
    from tasks_app.selectors.programmes import default_programme

    rng = random.Random(seed)
    city = OrgUnit.objects.filter(depth=0).first() or orgunit_create(
        actor=None, name="基准市", short_code="BENCH", level="city"
    )
    units = list(OrgUnit.objects.filter(parent=city)) or [
        orgunit_create(actor=None, name=f"基准局{i}", short_code=f"BU{i}", level="city", parent=city) for i in range(30)
    ]
    domains = list(Domain.objects.all())
    statuses = ["assigned", "in_progress", "in_progress", "in_progress", "under_review", "correcting", "closed"]
    today = date.today()
    per_sub = max(1, n_items // (8 * 25))
    rows: list[Task] = []
    for major in range(1, 9):
        rows.append(Task(code=str(major), title=f"重大任务{major}", domain=domains[major % 5]))
        for sub in range(1, 26):
            rows.append(Task(code=f"{major}.{sub}", title=f"子任务{major}.{sub}", domain=domains[major % 5]))
            for item in range(1, per_sub + 1):
                rows.append(
                    Task(code=f"{major}.{sub}.{item}", title=f"事项{major}.{sub}.{item}", domain=domains[major % 5])
                )
    programme = default_programme()
    for task in rows:
        depth = tree.depth_of(task.code)
        task.programme = programme
        task.depth = depth
        task.is_leaf = depth == 3
        task.lead_unit = rng.choice(units)
        start = today - timedelta(days=rng.randint(30, 300))
        task.start_date = start
        task.deadline = start + timedelta(days=rng.randint(60, 400))
        task.progress = Decimal(rng.randint(0, 100))
        task.is_governance = rng.random() < 0.6
        task.is_service = not task.is_governance or rng.random() < 0.3
        task.__dict__["status"] = rng.choice(statuses) if depth == 3 else "in_progress"
    bulk_insert_tree(rows, batch_size=5000)
    return list(Task.objects.values_list("pk", flat=True))


def seed_indicators(task_ids: list[int], share: float = 0.2, *, seed: int = 7) -> None:
    from indicators.models import Indicator, Measurement, TrajectoryPoint

    rng = random.Random(seed)
    today = date.today()
    period = date(today.year, today.month, 1) - timedelta(days=1)
    chosen = [t for t in task_ids if rng.random() < share]
    inds = Indicator.objects.bulk_create(
        [Indicator(task_id=t, name=f"指标{t}", unit="%", baseline_value=40, target_value=90) for t in chosen],
        batch_size=5000,
    )
    TrajectoryPoint.objects.bulk_create(
        [TrajectoryPoint(indicator=i, period_end=period, expected_value=70) for i in inds], batch_size=5000
    )
    Measurement.objects.bulk_create(
        [Measurement(indicator=i, period_end=period, value=rng.randint(45, 80)) for i in inds], batch_size=5000
    )
