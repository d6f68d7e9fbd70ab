"""Every job is idempotent: run twice, or on two workers at once, it creates nothing twice."""

from __future__ import annotations

import importlib
import threading
from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django_celery_beat.models import PeriodicTask

from rhythm import tasks as jobs
from rhythm.models import MissedReport, WebhookDelivery
from tasks_app import services
from tasks_app.models import Instruction, Notice, Notification
from trail.models import TraceEntry

from .conftest import on_day

JOBS = (jobs.remind_tenday_reports, jobs.record_missed_and_escalate, jobs.warn_deadlines)


def _snapshot() -> dict[str, int]:
    return {
        "missed": MissedReport.objects.count(),
        "notices": Notice.objects.count(),
        "notifications": Notification.objects.count(),
        "trace": TraceEntry.objects.count(),
        "webhooks": WebhookDelivery.objects.count(),
        "mails": len(mail.outbox),
    }


@pytest.fixture
def busy_day(item, leader_user, handler, dsj_admin, settings):
    """On 12 November: the item is overdue, an instruction is unanswered and the 上旬 report was missed."""
    settings.WEBHOOK_URLS = ["http://127.0.0.1:9/unreachable"]
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    item.start_date = date(2026, 11, 1)
    item.save(update_fields=["start_date"])
    with on_day(date(2026, 11, 1)):
        services.instruction_issue(actor=leader_user, task=item, text="抓紧推进", due_date=date(2026, 11, 3))
    return date(2026, 11, 19)


@pytest.mark.django_db
def test_each_job_run_twice_creates_nothing_the_second_time(busy_day, django_capture_on_commit_callbacks):
    with on_day(busy_day):
        with django_capture_on_commit_callbacks(execute=True):
            for job in JOBS:
                job.delay()
        first = _snapshot()
        with django_capture_on_commit_callbacks(execute=True):
            for job in JOBS:
                job.delay()
        assert _snapshot() == first
    assert first["missed"] == 1
    instruction = Instruction.objects.get()
    assert sorted(Notice.objects.values_list("dedupe_key", "level")) == [
        (f"instruction:{instruction.pk}:4", 4),  # due 3 Nov: day 15
        (f"overdue:{instruction.task_id}@2026-11-10:3", 3),  # due 10 Nov: day 8
        (f"report:{MissedReport.objects.get().pk}:3", 3),  # 上旬 report due 11 Nov: day 7
    ]
    assert first["webhooks"] == 4  # three notices and one missed report, each pushed once
    assert first["notifications"] > 0 and first["mails"] > 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_jobs_at_once_create_nothing_twice(busy_day):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            for job in JOBS:
                result = job.apply()
                if result.failed():
                    raise result.result
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
        finally:
            connection.close()

    with on_day(busy_day):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        once = _snapshot()
        for job in JOBS:
            assert job.apply().successful()
        assert _snapshot() == once
    assert once["missed"] == 1 and once["notices"] == 3 and once["webhooks"] == 4
    assert TraceEntry.objects.filter(action="report.missed").count() == 1
    assert TraceEntry.objects.filter(action="notice.issue").count() == 3
    recipients = list(Notification.objects.values_list("recipient_id", "kind", "task_id", "body"))
    assert len(recipients) == len(set(recipients))


@pytest.mark.django_db
def test_the_beat_schedule_is_in_the_database_in_shanghai_time():
    # Transactional tests flush migration-made rows, so run the data migration again (it is idempotent).
    from django.apps import apps

    for migration in ("rhythm.migrations.0002_periodic_tasks", "rhythm.migrations.0003_verify_trace_job"):
        importlib.import_module(migration).create(apps, None)
        importlib.import_module(migration).create(apps, None)
    assert PeriodicTask.objects.filter(task="rhythm.tasks.warn_deadlines").count() == 1
    rows = {p.task: p for p in PeriodicTask.objects.select_related("crontab")}
    for task, hour in (
        ("rhythm.tasks.record_missed_and_escalate", "8"),
        ("rhythm.tasks.warn_deadlines", "8"),
        ("rhythm.tasks.remind_tenday_reports", "9"),
        ("indicators.tasks.recompute_lights_nightly", "1"),
        ("trail.tasks.verify_trace_nightly", "2"),
    ):
        assert rows[task].enabled and rows[task].crontab.hour == hour
        assert str(rows[task].crontab.timezone) == "Asia/Shanghai"
    assert rows["rhythm.tasks.sweep_webhooks"].interval.every == 10
    for task in rows:  # each row names a real Celery task
        module, name = task.rsplit(".", 1)
        assert getattr(importlib.import_module(module), name).name == task
