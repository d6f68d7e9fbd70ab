"""Concurrency on real PostgreSQL: row locks give one winner per transition and a linear trace chain."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from reform.errors import ConflictError, InvalidTransition
from tasks_app import services
from tasks_app.models import Task
from tasks_app.workflow import Status
from tests.factories import make_task
from trail.models import TraceEntry
from trail.verify import verify_chain

from .workflow_helpers import drive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_threads(target, count: int) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            result = target(i)
        except (InvalidTransition, ConflictError) as exc:
            result = f"conflict:{exc.message}"
        except Exception as exc:  # noqa: BLE001 - report any other failure to the assertion
            result = f"error:{exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_users_accepting_at_once_give_one_success_and_one_conflict(dsj, office_user, dsj_admin, dsj_handler):
    task = drive(make_task("1", lead_unit=dsj), Status.ASSIGNED, office=office_user, unit_user=dsj_handler)
    actors = [dsj_admin, dsj_handler]

    def accept(i: int) -> str:
        services.task_accept(actor=actors[i], task=task)
        return "ok"

    outcomes = _run_threads(accept, 2)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"], outcomes
    assert any("任务当前状态为“办理中”，不能签收" in o for o in outcomes)
    assert TraceEntry.objects.filter(task=task, action="task.accept").count() == 1
    assert Task.objects.get(pk=task.pk).status == Status.IN_PROGRESS


def test_concurrent_writers_keep_one_linear_chain(dsj, office_user, dsj_handler):
    tasks = [make_task(str(i), lead_unit=dsj) for i in range(1, 9)]
    before = TraceEntry.objects.count()

    def assign(i: int) -> str:
        services.task_assign(actor=office_user, task=tasks[i])
        services.task_accept(actor=dsj_handler, task=tasks[i])
        return "ok"

    outcomes = _run_threads(assign, 8)
    assert Counter(outcomes) == {"ok": 8}, outcomes
    assert TraceEntry.objects.count() == before + 16
    result = verify_chain()
    assert result.ok, result
    assert result.count == before + 16


def test_mixed_conflicting_transitions_lose_nothing(dsj, office_user, leader_user, dsj_handler):
    """Eight threads race assign/cancel on the same tasks: each task ends in exactly one of the outcomes."""
    tasks = [make_task(str(i), lead_unit=dsj) for i in range(1, 6)]

    def race(i: int) -> str:
        for task in tasks:
            try:
                if i % 2:
                    services.task_assign(actor=office_user, task=task)
                else:
                    services.task_cancel(actor=leader_user, task=task, reason="并发测试")
            except (InvalidTransition, ConflictError):
                pass
        return "ok"

    _run_threads(race, 8)
    for task in tasks:
        task.refresh_from_db()
        entries = list(TraceEntry.objects.filter(task=task).exclude(action="task.create").order_by("seq"))
        # assign then cancel (both legal in that order), or cancel alone — never duplicates.
        assert [e.action for e in entries] in (["task.assign", "task.cancel"], ["task.cancel"], ["task.assign"])
        assert entries[-1].to_state == task.status
    assert verify_chain().ok
