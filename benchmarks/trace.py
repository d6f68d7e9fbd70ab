"""Trace benchmarks: verify a 1,000,000-entry chain, and traced transitions per second from one process.

    .venv/bin/python benchmarks/trace.py [--entries 1000000] [--transitions 1500]

Targets (issue "closed loop"): verify 1,000,000 entries ≤ 60 s; ≥ 300 traced transitions/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import timedelta

from _setup import setup_django


def build_chain(count: int) -> float:
    """Append ``count`` valid entries with the same hashing as trail.chain.append, in bulk."""
    from django.db import transaction
    from django.utils import timezone

    from trail import chain
    from trail.models import TraceEntry, TraceHead

    started = time.perf_counter()
    head = TraceHead.objects.get(pk=1)
    seq, prev = head.seq, head.hash
    base = timezone.now() - timedelta(days=365)
    batch: list[TraceEntry] = []
    for i in range(count):
        seq += 1
        created = base + timedelta(seconds=i)
        payload = {"progress": [str(i % 100), str((i + 7) % 100)], "text": "旬报：按计划推进"}
        fields = {
            "seq": seq,
            "created_at": created,
            "actor_id": None,
            "actor_name": "系统",
            "task_id": 1 + i % 5000,
            "object_type": "tasks_app.feedback",
            "object_id": str(i),
            "action": "feedback.submit",
            "from_state": "",
            "to_state": "",
            "payload": payload,
            "prev_hash": prev,
        }
        digest = chain.compute_hash(**{**fields, "created_at": chain.timestamp(created)})
        batch.append(TraceEntry(**fields, hash=digest))
        prev = digest
        if len(batch) == 20_000:
            TraceEntry.objects.bulk_create(batch)
            batch.clear()
    if batch:
        TraceEntry.objects.bulk_create(batch)
    with transaction.atomic():
        TraceHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return time.perf_counter() - started


def transitions_per_second(count: int, threads: int = 1, tag: str = "A") -> tuple[float, int]:
    from django.contrib.auth.models import Group

    from accounts.models import User
    from orgs.services import orgunit_create
    from reform.roles import Role
    from tasks_app import services
    from tasks_app.models import Domain

    city = orgunit_create(actor=None, name=f"基准市{tag}", short_code=f"BENCH{tag}", level="city")
    unit = orgunit_create(actor=None, name=f"基准局{tag}", short_code=f"BENCH-U{tag}", level="city", parent=city)
    office = User.objects.create(username=f"bench_office{tag}", unit=city)
    office.groups.add(Group.objects.get(name=Role.OFFICE))
    handler = User.objects.create(username=f"bench_handler{tag}", unit=unit)
    handler.groups.add(Group.objects.get(name=Role.UNIT_HANDLER))
    domain = Domain.objects.first()
    services.task_create(actor=None, code=tag, title="基准任务", domain=domain, lead_unit=unit)
    tasks = [
        services.task_create(actor=None, code=f"{tag}.{i}", title=f"事项{i}", lead_unit=unit)
        for i in range(1, count // 2 + 1)
    ]
    office, handler = User.objects.get(pk=office.pk), User.objects.get(pk=handler.pk)
    _ = office.role, handler.role, handler.unit  # warm the per-user caches, as a request would

    def drive(chunk: list) -> None:
        from django.db import connection

        for task in chunk:
            services.task_assign(actor=office, task=task)
            services.task_accept(actor=handler, task=task)
        connection.close()

    started = time.perf_counter()
    if threads == 1:
        drive(tasks)
        return 2 * len(tasks) / (time.perf_counter() - started), 2 * len(tasks)
    workers = [threading.Thread(target=drive, args=(tasks[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return 2 * len(tasks) / elapsed, 2 * len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--transitions", type=int, default=1500)
    parser.add_argument("--db", default="reform_bench_trace")
    parser.add_argument("--threads", type=int, default=4, help="request threads in the one process (gthread)")
    args = parser.parse_args()
    setup_django(args.db)
    from trail.verify import verify_chain

    rate, done = transitions_per_second(args.transitions, threads=1, tag="1")
    print(f"traced transitions, 1 thread: {done} → {rate:.0f} transitions/s")
    rate, done = transitions_per_second(args.transitions, threads=args.threads, tag="2")
    print(f"traced transitions, one process × {args.threads} threads: {done} → {rate:.0f} transitions/s (target ≥ 300)")
    build_seconds = build_chain(args.entries)
    print(f"built {args.entries:,} chained entries in {build_seconds:.1f} s (bulk, benchmark set-up only)")
    started = time.perf_counter()
    result = verify_chain()
    seconds = time.perf_counter() - started
    assert result.ok, result
    print(f"verify_trace: {result.count:,} entries intact in {seconds:.1f} s (target ≤ 60 s)")


if __name__ == "__main__":
    main()
