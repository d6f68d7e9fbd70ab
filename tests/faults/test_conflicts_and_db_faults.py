"""Fault tests on real PostgreSQL: conflicting transitions under load, and connections killed mid-write."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connection

from reform.errors import ConflictError, InvalidTransition
from tasks_app import services
from tasks_app.actions import ACTIONS
from tasks_app.models import Task
from tests.factories import make_task
from trail import events as trail_events
from trail.models import TraceEntry
from trail.verify import verify_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Transitions the office and the lead unit fight over; many are illegal in the state they meet.
MOVES = ["assign", "accept", "submit_completion", "request_correction", "approve", "cancel"]


def test_ten_thousand_conflicting_transitions_from_eight_threads(dsj, office_user, leader_user, dsj_handler):
    """Every success writes exactly one trace entry, every failure none, and no update is lost."""
    tasks = [make_task(str(i), lead_unit=dsj) for i in range(1, 41)]
    ids = [t.pk for t in tasks]
    before = TraceEntry.objects.exclude(action="task.create").count()
    successes: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    attempts_per_thread = 1250  # 8 × 1250 = 10,000

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        actors = {"office": office_user, "handler": dsj_handler, "leader": leader_user}
        try:
            for _ in range(attempts_per_thread):
                task = Task(pk=rng.choice(ids))
                move = rng.choice(MOVES)
                actor = actors["handler"] if move in ("accept", "submit_completion") else actors["office"]
                kwargs = {
                    "submit_completion": {"summary": "完成", "correction_answer": "已整改"},
                    "request_correction": {
                        "requirement": "补充材料",
                        "due_date": date(2099, 1, 1),
                    },
                    "cancel": {"reason": "压力测试"},
                }.get(move, {})
                try:
                    ACTIONS[move].service(actor=actor, task=task, **kwargs)
                    with lock:
                        successes[move] += 1
                except (InvalidTransition, ConflictError):
                    with lock:
                        failures[move] += 1
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    assert not errors, errors[:3]
    assert sum(successes.values()) + sum(failures.values()) == 8 * attempts_per_thread
    traced = TraceEntry.objects.exclude(action="task.create").count() - before
    assert traced == sum(successes.values()), (traced, successes)
    # No lost update: each task's state is the to_state of its last trace entry.
    for task in Task.objects.filter(pk__in=ids):
        last = TraceEntry.objects.filter(task_id=task.pk).order_by("-seq").first()
        assert last.to_state == task.status
    assert verify_chain().ok


def test_connection_killed_mid_transition_saves_nothing(dsj, office_user):
    """The backend is terminated between the state update and the trace write: nothing is half-saved."""
    task = make_task("1", lead_unit=dsj)
    trace_before = TraceEntry.objects.count()
    original_append = trail_events.append
    killed = {}

    def record_after_kill(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        # Another session kills ours, exactly as a DBA or a failover would.
        from psycopg import connect

        settings = connection.settings_dict
        with connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            dbname=settings["NAME"],
            autocommit=True,
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        killed["pid"] = pid
        return original_append(**kwargs)

    trail_events.append = record_after_kill
    try:
        with pytest.raises((OperationalError, InterfaceError, DatabaseError)):
            services.task_assign(actor=office_user, task=task)
    finally:
        trail_events.append = original_append
        connection.close()
    assert killed
    task.refresh_from_db()
    assert task.status == "draft"
    assert TraceEntry.objects.count() == trace_before
    assert verify_chain().ok
    services.task_assign(actor=office_user, task=task)  # the next request works on a fresh connection
    task.refresh_from_db()
    assert task.status == "assigned"
