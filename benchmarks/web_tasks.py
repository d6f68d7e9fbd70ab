"""Benchmark: server time of the /tasks/ page over 100,000 tasks on PostgreSQL.

Drops and re-creates its own database (``reform_bench_web``), bulk-creates the programme
(benchmarks/seed.py: 8 major tasks × 25 sub-tasks × items, 30 lead units) and gives a third of the
items a cooperating unit and a random light. Then it times full requests through Django's test client
(middleware, session, the selector, template rendering; no network) for the office, which sees every
task, and for a unit handler, whose list is scoped by the unit rule — default page, next page, each
filter the cockpit links with and each sort — and for a district's office scoped to one unit's subtree
(issue 16), on the page and on ``/api/tasks/``.

    .venv/bin/python benchmarks/web_tasks.py --items 100000 --requests 200
"""

from __future__ import annotations

import argparse
import html
import random
import re
import statistics
import time

from _setup import percentile, setup_django


def prepare(n_items: int) -> dict[str, object]:
    from seed import seed_tasks

    from orgs.models import OrgUnit
    from reform.roles import Role
    from tasks_app.models import Rag, Task
    from tests.factories import make_user

    started = time.perf_counter()
    ids = seed_tasks(n_items)
    rng = random.Random(11)
    units = list(OrgUnit.objects.filter(depth=1))
    through = Task.cooperating_units.through
    links = [through(task_id=i, orgunit_id=rng.choice(units).pk) for i in ids if rng.random() < 0.33]
    through.objects.bulk_create(links, batch_size=10_000, ignore_conflicts=True)
    for rag in (Rag.RED, Rag.YELLOW, Rag.NONE):
        chosen = [i for i in ids if rng.random() < 0.15]
        for k in range(0, len(chosen), 10_000):
            Task.objects.filter(pk__in=chosen[k : k + 10_000]).update(rag=rag, rag_reason="基准亮灯原因")
    office = make_user(Role.OFFICE, unit=units[0].parent, username="bench_office")
    handler = make_user(Role.UNIT_HANDLER, unit=units[3], username="bench_handler")
    # A district's office (issue 16): scoped to one unit's subtree, it sees what is led or shared there.
    district = make_user(Role.OFFICE, unit=units[7], scope=units[7], username="bench_district_office")
    seconds = time.perf_counter() - started
    return {
        "tasks": Task.objects.count(),
        "seed_seconds": round(seconds, 1),
        "office": office,
        "handler": handler,
        "district": district,
        "unit": units[5].pk,
        "handler_visible": Task.objects.filter(lead_unit=units[3]).count(),
    }


def visible_to(user) -> int:
    from tasks_app.access import visible_tasks

    return visible_tasks(user).count()


def time_requests(client, url: str, n: int) -> tuple[float, float, int]:
    for _ in range(5):  # warm the caches and the connection
        assert client.get(url).status_code == 200, url
    samples = []
    rows = 0
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, url
        rows = response.content.decode().count('class="c-code"')  # one per listed task
    return statistics.median(samples), percentile(samples, 95), rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", default="reform_bench_web")
    args = parser.parse_args()
    setup_django(args.db)

    from django.db import connection
    from django.test import Client

    # No setup_test_environment(): its instrumented template rendering (a context copy per template,
    # per row include) doubles the p95 and is not what production runs.
    data = prepare(args.items)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{data['tasks']:,} tasks seeded in {data['seed_seconds']} s on {connection.vendor}")

    office, handler, district = Client(), Client(), Client()
    office.force_login(data["office"])
    handler.force_login(data["handler"])
    district.force_login(data["district"])
    first = office.get("/tasks/").content.decode()
    cursor_url = html.unescape(re.search(r'href="(\?[^"]*after=[^"]*)" rel="next"', first).group(1))
    scenarios = [
        ("office", office, "/tasks/"),
        ("office", office, "/tasks/" + cursor_url),
        ("office", office, "/tasks/?rag=red&domain=digital_gov"),
        ("office", office, "/tasks/?status=in_progress&leaf=1&overdue=1"),
        ("office", office, f"/tasks/?unit={data['unit']}"),
        ("office", office, "/tasks/?deadline_after=2026-12-01&deadline_before=2027-03-31&dimension=service"),
        ("office", office, "/tasks/?q=事项3.7"),
        ("office", office, "/tasks/?sort=deadline"),
        ("office", office, "/tasks/?sort=progress"),
        ("office", office, "/tasks/?sort=light"),
        ("office", office, "/tasks/?sort=light&rag=yellow"),
        ("handler", handler, "/tasks/"),
        ("handler", handler, "/tasks/?mine=0"),
        ("handler", handler, "/tasks/?mine=0&overdue=1&sort=deadline"),
        ("district", district, "/tasks/"),
        ("district", district, "/tasks/?rag=red&sort=deadline"),
        ("district", district, "/tasks/?status=in_progress&leaf=1&overdue=1"),
        ("district", district, "/api/tasks/?page_size=50"),
        ("office", office, "/api/tasks/?page_size=50"),
    ]
    print(f"district office sees {visible_to(data['district']):,} tasks")
    print(f"{'user':8} {'p50 ms':>7} {'p95 ms':>7} {'rows':>5}  url")
    worst = 0.0
    for who, client, url in scenarios:
        p50, p95, rows = time_requests(client, url, args.requests)
        worst = max(worst, p95)
        print(f"{who:8} {p50:7.1f} {p95:7.1f} {rows:5d}  {url}")
    print(f"worst p95: {worst:.1f} ms (target ≤ 100 ms)")


if __name__ == "__main__":
    main()
