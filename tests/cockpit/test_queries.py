"""The cockpit reads a fixed number of queries whatever the size of the programme: cold and warm."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cockpit.services import cockpit_figures
from tasks_app import services
from tasks_app.models import Task

from .conftest import build_programme

pytestmark = pytest.mark.django_db

# Cold = a write happened since the last read: catch the roll-ups up with the trace, recompute every
# figure from them, store the result. The bound is the same at both sizes.
COLD_MAX = 46
COLD_WITH_RANKING_MAX = 56  # a write that can move the ranking also reruns unit_ranking (7 queries)
COLD_FIRST_MAX = 60  # first read of a filter set: its ranking, indicator and report blocks are built too
WARM_MAX = 3  # the user's role, the programme they work in, then the watermark joined with the cached figures


def read(user, **params):
    user.__dict__.pop("_role_cache", None)
    return cockpit_figures(user=user, params={k: str(v) for k, v in params.items()})


def open_item() -> Task:
    """An item in progress with a green light, so that a listed supervision turns it red (the same kind of change)."""
    return Task.objects.filter(is_leaf=True, status="in_progress", rag="green").order_by("pk").first()


@pytest.mark.parametrize("items", [40, 200])
def test_cold_and_warm_reads_take_the_same_number_of_queries_at_two_sizes(items, django_assert_max_num_queries):
    p = build_programme(items, seed=4)
    read(p.leader)
    services.notice_issue(actor=p.office, task=open_item(), level=4, reason="挂牌督办")
    with django_assert_max_num_queries(COLD_MAX):
        payload = read(p.leader)
    assert payload["listed"]["count"]["value"] >= 1
    with django_assert_max_num_queries(WARM_MAX):
        assert read(p.leader) == payload
    # a unit scope and a domain: the same bounds
    services.notice_issue(actor=p.office, task=open_item(), level=1, reason="提醒")
    # + the unit and the domain looked up from the URL; the ranking of a domain is computed on first use
    with django_assert_max_num_queries(COLD_FIRST_MAX + 2):
        read(p.leader, unit=p.city.pk, domain="digital_gov")
    with django_assert_max_num_queries(WARM_MAX + 2):
        read(p.leader, unit=p.city.pk, domain="digital_gov")


@pytest.mark.parametrize("items", [40, 200])
def test_a_write_that_moves_the_ranking_reruns_it_in_a_fixed_number_of_queries(items, django_assert_max_num_queries):
    p = build_programme(items, seed=8)
    read(p.leader)
    task = Task.objects.filter(is_leaf=True, status="evaluating").order_by("pk").first()
    services.task_evaluate(actor=p.office, task=task, scores={"overall": 95})
    with django_assert_max_num_queries(COLD_WITH_RANKING_MAX):
        read(p.leader)


def inflate(extra: int) -> None:
    """Add ``extra`` items (copies of existing ones, under the same parents) and rebuild the roll-ups."""
    from cockpit.services import rollup_rebuild
    from tasks_app import tree

    source = list(Task.objects.filter(is_leaf=True).select_related("parent").order_by("pk"))
    copies = []
    for index in range(extra):
        task = source[index % len(source)]
        code = f"{task.parent.code}.{900 + index}"
        copies.append(
            Task(
                programme_id=task.programme_id,
                code=code,
                sort_key=tree.task_sort_key(task.programme_id, code),
                parent_id=task.parent_id,
                depth=task.depth,
                is_leaf=True,
                title=task.title,
                domain_id=task.domain_id,
                lead_unit_id=task.lead_unit_id,
                is_governance=task.is_governance,
                is_service=task.is_service,
                deadline=task.deadline,
                start_date=task.start_date,
                status=task.status,
                rag=task.rag,
                closed_at=task.closed_at,
            )
        )
    Task.objects.bulk_create(copies)
    rollup_rebuild("test: inflate")


def test_the_count_is_exactly_the_same_after_the_programme_grows_fivefold():
    p = build_programme(40, seed=9)
    counts = []
    for extra in (0, 160):
        if extra:
            inflate(extra)
        read(p.leader)
        services.notice_issue(actor=p.office, task=open_item(), level=4, reason="挂牌督办")
        with CaptureQueriesContext(connection) as ctx:
            read(p.leader)
        counts.append(len(ctx.captured_queries))
    assert Task.objects.filter(is_leaf=True).count() == 200
    assert counts[0] == counts[1]


def test_with_a_worker_figures_up_to_the_set_age_are_served_meanwhile(settings, django_assert_max_num_queries):
    """Under a stream of writes a poll serves the worker's last figures (≤ 30 s old) instead of recomputing."""
    p = build_programme(40, seed=5)
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: a worker runs cockpit_sync after each write
    settings.COCKPIT_MAX_STALE_SECONDS = 30
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        before = read(p.leader)
        services.notice_issue(actor=p.office, task=open_item(), level=4, reason="挂牌督办")

    with time_machine.travel(now + timedelta(seconds=20), tick=False), django_assert_max_num_queries(WARM_MAX):
        assert read(p.leader) == before  # 20 s old: served as it is, its "as of" time says so
    with time_machine.travel(now + timedelta(seconds=31), tick=False):
        fresh = read(p.leader)  # older than the setting: the request recomputes
    assert fresh["listed"]["count"]["value"] == before["listed"]["count"]["value"] + 1
    assert fresh["as_of"] != before["as_of"]

    settings.CELERY_TASK_ALWAYS_EAGER = True  # no worker (the demo, tests): always recomputed at once
    services.notice_issue(actor=p.office, task=open_item(), level=4, reason="挂牌督办")
    assert read(p.leader)["listed"]["count"]["value"] == fresh["listed"]["count"]["value"] + 1
