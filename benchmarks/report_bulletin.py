"""A ~50-page supervision bulletin (督查通报) from a bulk-generated programme (target ≤ 10 s), with the phases timed.

    .venv/bin/python benchmarks/report_bulletin.py [--items 1000] [--runs 3] [--db reform_bench_report]

Seeds items in bulk (benchmarks/seed.py), lights them (nightly recompute), adds notices, instructions,
ten-day reports and missed reports in bulk, then builds the programme bulletin through the same path as
the Celery task (``reports.services.report_build``) and prints where the time goes: data gathering,
template render, WeasyPrint layout, PDF write, file store.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import timedelta

from _setup import setup_django


def seed_supervision(task_ids: list[int], *, seed: int = 11) -> dict[str, int]:
    """Notices, instructions, ten-day reports and missed reports for a share of the items, in bulk."""
    from django.utils import timezone

    from accounts.models import User
    from reform.periods import due_date_for, period_of
    from reform.roles import Role
    from rhythm.models import MissedReport
    from tasks_app.models import Feedback, Instruction, Notice, Task
    from tests.factories import make_user

    rng = random.Random(seed)
    today = timezone.localdate()
    leader = User.objects.filter(groups__name=Role.LEADER).first() or make_user(Role.LEADER, username="bench_leader")
    items = list(
        Task.objects.filter(is_leaf=True).exclude(status__in=["closed", "cancelled"]).values("pk", "lead_unit_id")
    )
    handler = make_user(Role.UNIT_HANDLER, username=f"bench_handler_{rng.randint(0, 10**9)}")
    notices = [
        Notice(
            task_id=t["pk"],
            level=rng.choice([1, 1, 2, 2, 3, 4]),
            reason=f"事项逾期未办结，已逾期 {rng.randint(1, 60)} 天，予以督办。请于期限内办理，逾期将升级督办。",
            source=Notice.Source.OVERDUE,
        )
        for t in items
        if rng.random() < 0.25
    ]
    Notice.objects.bulk_create(notices, batch_size=2000)
    instructions = Instruction.objects.bulk_create(
        [
            Instruction(
                task_id=t["pk"],
                author=leader,
                text="请加快推进，确保按期完成并报送阶段性成果。",
                due_date=today + timedelta(days=rng.randint(-10, 10)),
            )
            for t in items
            if rng.random() < 0.05
        ],
        batch_size=2000,
    )
    period = period_of(today).previous()
    while due_date_for(period) >= today:
        period = period.previous()
    feedbacks, missed = [], []
    for t in items:
        if rng.random() < 0.8:
            feedbacks.append(
                Feedback(
                    task_id=t["pk"],
                    kind=Feedback.Kind.TENDAY,
                    period_end=period.end,
                    text="本旬按计划推进，完成阶段性任务。",
                    progress=rng.randint(10, 90),
                    unit_id=t["lead_unit_id"],
                    submitted_by=handler,
                    on_time=rng.random() < 0.85,
                )
            )
        else:
            missed.append(
                MissedReport(
                    task_id=t["pk"], period_end=period.end, due_date=due_date_for(period), unit_id=t["lead_unit_id"]
                )
            )
    Feedback.objects.bulk_create(feedbacks, batch_size=2000)
    MissedReport.objects.bulk_create(missed, batch_size=2000)
    return {
        "notices": len(notices),
        "instructions": len(instructions),
        "reports": len(feedbacks),
        "missed": len(missed),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="reform_bench_report")
    args = parser.parse_args()
    setup_django(args.db)
    from seed import seed_tasks

    from indicators import rag
    from reports import services
    from reports.models import Report

    started = time.perf_counter()
    ids = seed_tasks(args.items)
    lights = rag.recompute_all()
    extra = seed_supervision(ids)
    print(f"seeded {len(ids):,} tasks, lights {lights}, {extra} in {time.perf_counter() - started:.1f} s")

    results = []
    for run in range(1, args.runs + 1):
        report = services.queue_report(actor=None, kind="bulletin", scope="programme", schedule=False)
        started, cpu = time.perf_counter(), time.process_time()
        built = services.report_build(report.pk)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert built is not None and built.status == Report.Status.DONE, built and built.error
        phases = ", ".join(f"{k} {v:.2f}" for k, v in built.timings.items())
        print(
            f"run {run}: {built.page_count} pages, {built.file_size / 1e6:.2f} MB in {total:.2f} s wall, "
            f"{cpu:.2f} s CPU (target ≤ 10 s) — {phases}; load average {os.getloadavg()[0]:.1f}"
        )
        results.append((total, built))
    totals = [t for t, _ in results]
    print(f"median {statistics.median(totals):.2f} s, worst {max(totals):.2f} s over {len(totals)} runs")


if __name__ == "__main__":
    main()
