"""RAG lights on a 100,000-task programme on PostgreSQL: the nightly full recompute (target ≤ 30 s) and one refresh.

.venv/bin/python benchmarks/rag_recompute.py [--items 100000] [--db reform_bench_rag]

Creates (drops and re-creates) its own database, then bulk-creates a three-level task tree
(8 major tasks × 25 sub-tasks × items) in a realistic mix of states, deadlines and progress, with
an indicator on every fifth item (12 monthly trajectory points and 12 measurements each), ten-day
reports for most items in progress, a listed supervision on 1% and an overdue instruction on 2%.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from _setup import setup_django

MAJORS, SUBS = 8, 25


def seed(n_items: int, today: date, *, rng: random.Random) -> list[int]:
    """Bulk-create the programme; return the ids of the items (leaves)."""
    from accounts.models import User
    from indicators.models import Indicator, Measurement, TrajectoryPoint
    from orgs.models import OrgUnit
    from reform.periods import last_periods, period_of
    from tasks_app import tree
    from tasks_app.bulk import bulk_insert_tree
    from tasks_app.models import Domain, Feedback, Instruction, Notice, Task
    from tasks_app.selectors.programmes import default_programme

    city = OrgUnit.objects.create(name="基准市", short_code="BENCH", level="city", path="/1/", depth=0)
    city.path = f"/{city.pk}/"
    city.save()
    units = [
        OrgUnit(name=f"基准局{i}", short_code=f"BU{i}", level="city", parent=city, path=f"{city.path}x{i}/", depth=1)
        for i in range(30)
    ]
    OrgUnit.objects.bulk_create(units)
    units = list(OrgUnit.objects.filter(parent=city))
    user = User.objects.create(username="bench", full_name="基准用户", unit=city)
    domains = list(Domain.objects.all())
    per_sub = max(1, n_items // (MAJORS * SUBS))
    statuses = ["draft", "assigned", "in_progress", "in_progress", "in_progress", "in_progress", "under_review"]
    statuses += ["correcting", "evaluating", "closed", "closed", "cancelled"]
    rows: list[Task] = []
    programme = default_programme()
    for major in range(1, MAJORS + 1):
        codes = [str(major)]
        for sub in range(1, SUBS + 1):
            codes.append(f"{major}.{sub}")
            codes += [f"{major}.{sub}.{item}" for item in range(1, per_sub + 1)]
        for code in codes:
            depth = tree.depth_of(code)
            start = today - timedelta(days=rng.randint(20, 300))
            task = Task(
                programme=programme,
                code=code,
                depth=depth,
                is_leaf=depth == 3,
                title=f"基准事项{code}",
                domain=domains[major % len(domains)],
                lead_unit=rng.choice(units),
                start_date=start,
                deadline=start + timedelta(days=rng.randint(30, 420)),
                progress=Decimal(rng.randint(0, 100)),
                is_governance=True,
            )
            task.__dict__["status"] = rng.choice(statuses) if depth == 3 else "in_progress"  # FSM field: set raw
            rows.append(task)
    bulk_insert_tree(rows, batch_size=5000)
    items = list(Task.objects.filter(depth=3).values_list("id", "status"))
    item_ids = [i for i, _ in items]
    due = period_of(today).previous().previous()
    Feedback.objects.bulk_create(
        [
            Feedback(task_id=i, period_end=due.end, text="旬报", progress=50, unit=city, submitted_by=user)
            for i, status in items
            if status in ("in_progress", "correcting") and rng.random() < 0.8
        ],
        batch_size=5000,
    )
    Notice.objects.bulk_create(
        [Notice(task_id=i, level=Notice.Level.LISTED, reason="基准挂牌督办", issued_by=user) for i in item_ids[::100]],
        batch_size=5000,
    )
    instructions = Instruction.objects.bulk_create(
        [
            Instruction(task_id=i, author=user, text="请加快推进并报送进展", due_date=today - timedelta(days=3))
            for i in item_ids[7::50]
        ],
        batch_size=5000,
    )
    assert instructions
    months = [p.end for p in last_periods(today, 13, "month")[:-1]]
    indicators = Indicator.objects.bulk_create(
        [
            Indicator(
                task_id=i,
                name=f"指标{i}",
                unit="%",
                baseline_value=40,
                baseline_date=months[0] - timedelta(days=31),
                target_value=90,
                target_date=months[-1] + timedelta(days=60),
            )
            for i in item_ids[::5]
        ],
        batch_size=5000,
    )
    points, values = [], []
    for ind in indicators:
        drift = Decimal(rng.randint(-30, 10))
        for k, end in enumerate(months, start=1):
            expected = Decimal(40) + Decimal(50) * k / 14
            points.append(
                TrajectoryPoint(indicator=ind, period_end=end, expected_value=expected.quantize(Decimal("0.01")))
            )
            values.append(
                Measurement(indicator=ind, period_end=end, value=(expected + drift * k / 12).quantize(Decimal("0.01")))
            )
    TrajectoryPoint.objects.bulk_create(points, batch_size=10000)
    Measurement.objects.bulk_create(values, batch_size=10000)
    return item_ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--db", default="reform_bench_rag")
    parser.add_argument("--refreshes", type=int, default=200)
    args = parser.parse_args()
    setup_django(args.db)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from indicators import rag
    from tasks_app.models import Task

    rng = random.Random(7)
    started = time.perf_counter()
    item_ids = seed(args.items, timezone.localdate(), rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {Task.objects.count():,} tasks in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    first = rag.recompute_all()
    print(f"recompute_all, every light new: {first} in {time.perf_counter() - started:.1f} s (target ≤ 30 s)")
    started = time.perf_counter()
    second = rag.recompute_all()
    print(f"recompute_all again, nothing to change: {second} in {time.perf_counter() - started:.1f} s")

    timings, queries = [], []
    for task_id in rng.sample(item_ids, args.refreshes):
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            rag.refresh_lights([task_id])
            timings.append((time.perf_counter() - began) * 1000)
        queries.append(len(captured))
    print(
        f"refresh_lights of one item and its ancestors ({len(item_ids) // (MAJORS * SUBS)} siblings): "
        f"median {statistics.median(timings):.1f} ms, p95 {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms, "
        f"queries max {max(queries)}"
    )


if __name__ == "__main__":
    main()
