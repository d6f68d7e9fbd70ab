"""A Celery worker is killed (SIGKILL, whole process group) in the middle of a job: after a restart the job
completes exactly once, with no duplicate notice or notification.

Runs its own redis-server on a free loopback port (the machine's shared Redis is never touched) with a
short ``visibility_timeout``, so the message the dead worker held unacknowledged (``acks_late``) is
delivered again to the fresh worker within seconds instead of an hour. Workers run against the test
database; the data they read is committed (``transaction=True``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from reform.celery import app as celery_app
from reports import services as report_services
from reports.models import Report
from rhythm import tasks as jobs
from tasks_app.models import Notice, Notification, Task
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.faults.test_broker_outage import _free_port, _start_redis
from tests.tasks_app.workflow_helpers import drive
from trail.models import TraceEntry

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
TRANSPORT_OPTIONS = {"visibility_timeout": 4, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}


def _wait_for(predicate, timeout: float = 30.0, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


class Workers:
    """Start Celery workers (prefork, one child) on our own broker and queue; kill them like a power cut."""

    def __init__(self, broker: str, queue: str, logs: Path):
        self.broker, self.queue, self.logs = broker, queue, logs
        self.media = logs / "media"  # the workers' own MEDIA_ROOT: files of other tests never get counted
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        db = connection.settings_dict
        n = len(self.procs) + 1
        log = self.logs / f"worker-{n}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "reform.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": self.broker,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(TRANSPORT_OPTIONS),
            "MEDIA_ROOT": str(self.media),
        }
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "reform", "worker", "--pool=prefork", "--concurrency=1"]
                + ["--loglevel=INFO", "-Q", self.queue, "--hostname", f"{self.queue}-{n}@%h", "--without-mingle"]
                + ["--without-gossip"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the kill takes the pool child too
            )
        self.procs.append(proc)
        if not _wait_for(lambda: proc.poll() is not None or b" ready." in log.read_bytes(), timeout=40):
            raise AssertionError(f"worker {n} not ready after 40 s:\n{log.read_text()[-3000:]}")
        assert proc.poll() is None, f"worker {n} died on start:\n{log.read_text()[-3000:]}"
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


@pytest.fixture
def workers(tmp_path):
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis_proc = _start_redis(port)
    queue = f"worker-kill-{port}"
    old = (celery_app.conf.broker_write_url, celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    # Publish to our own broker and queue only (the settings-level broker_url is read-only here; the write URL wins).
    celery_app.conf.broker_write_url = broker
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    celery_app.amqp._producer_pool = None
    celery_app._pool = None
    pool = Workers(broker, queue, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        celery_app.conf.broker_write_url, celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = old
        celery_app.amqp._producer_pool = None
        celery_app._pool = None


def _status(report: Report) -> str:
    return Report.objects.values_list("status", flat=True).get(pk=report.pk)


def test_a_report_build_killed_midway_completes_once_after_restart(workers, dsj, office_user, dsj_handler):
    # Given a programme large enough for the bulletin to take a moment to lay out.
    overdue = timezone.localdate() - timedelta(days=5)
    for n in range(1, 61):
        make_task(str(n), lead_unit=dsj, title=f"数字化改革重点任务{n}", deadline=overdue)
    first = workers.start()

    # When the worker is killed while the report is being built ...
    report = report_services.report_request(actor=office_user, kind="bulletin", scope="programme")
    assert _wait_for(lambda: _status(report) == Report.Status.RUNNING, timeout=30, interval=0.05)
    time.sleep(0.3)  # into the gather / layout, not on the claim
    workers.kill(first)
    assert _status(report) == Report.Status.RUNNING, "the build finished before the kill: give it more data"

    # ... and a fresh worker starts, the unacknowledged message comes back to it and the build completes.
    started = time.monotonic()
    workers.start()
    done = _wait_for(lambda: _status(report) in (Report.Status.DONE, Report.Status.FAILED), timeout=45)
    assert done, f"report still {_status(report)} {time.monotonic() - started:.0f} s after the restart"

    # Then: one report, done, built twice (the lost attempt and the completed one), one file, one trace entry.
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    assert report.attempts == 2
    assert Report.objects.count() == 1
    folder = workers.media / "reports" / str(report.year)
    files = sorted(p.name for p in folder.glob(f"{report.kind}-{report.issue_no:03d}-{report.pk}*"))
    assert files == [Path(report.file.name).name]
    assert report.file_size == (folder / files[0]).stat().st_size and report.page_count
    entries = TraceEntry.objects.filter(object_type__icontains="report", object_id=str(report.pk))
    assert list(entries.values_list("action", flat=True)) == ["report.request"]
    # A message delivered once more (a late duplicate) leaves the finished report alone.
    assert report_services.report_build(report.pk).attempts == 2


def test_an_escalation_run_killed_midway_issues_each_notice_once_after_restart(
    workers, dsj, office_user, leader_user, dsj_admin, dsj_handler
):
    # Given many overdue items: most at 提醒 (day 1), a few at 督办 (day 8, the leadership is told too).
    today = timezone.localdate()
    leading = make_task("1", lead_unit=dsj, title="一网通办", deadline=today - timedelta(days=9))
    drive(leading, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
    late = [make_task(str(n), lead_unit=dsj, deadline=today - timedelta(days=2)) for n in range(2, 241)]
    supervised = [make_task(str(n), lead_unit=dsj, deadline=today - timedelta(days=9)) for n in range(241, 246)]
    # Fast setup: the rest are put straight into 办理中 (their assign/accept history is beside the point here).
    Task.objects.filter(pk__in=[t.pk for t in late + supervised]).update(status=Status.IN_PROGRESS.value)
    items = [leading, *late, *supervised]
    expected_keys = {f"overdue:{t.pk}@{t.deadline.isoformat()}:{1 if t in late else 3}" for t in items}
    overdue_notices = Notice.objects.filter(source=Notice.Source.OVERDUE)
    first = workers.start()

    # When the worker is killed partway through the escalation run ...
    jobs.record_missed_and_escalate.delay()
    assert _wait_for(lambda: overdue_notices.count() >= 20, timeout=40, interval=0.05), "escalation did not start"
    workers.kill(first)
    issued_before_kill = overdue_notices.count()
    assert issued_before_kill < len(items), "the run finished before the kill: give it more items"

    # ... and a fresh worker starts, the run is delivered again and finishes the ladder.
    workers.start()
    assert _wait_for(lambda: overdue_notices.count() == len(items), timeout=45), (
        f"{overdue_notices.count()} of {len(items)} notices 45 s after the restart ({issued_before_kill} before)"
    )
    unit_people = set(dsj.users.values_list("pk", flat=True))
    leadership = {leader_user.pk, dsj_admin.pk}
    notices = Notice.objects.all()  # the overdue ones, and those for ten-day reports the same run recorded as missed
    escalating = notices.filter(level__gte=Notice.Level.SUPERVISE)
    notified = Notification.objects.filter(kind="notice.issue")
    escalated = Notification.objects.filter(kind="notice.escalate")

    def heard() -> tuple[dict, dict]:
        """(notifications per task and person, what one per notice per person would be), read together."""
        per_task = dict(notices.values_list("task").annotate(n=Count("pk")))
        per_person = notified.values_list("task", "recipient").annotate(n=Count("pk"))
        actual = {(task, person): n for task, person, n in per_person}
        return actual, {(task, person): n for task, n in per_task.items() for person in unit_people}

    # The redelivered run goes on to the missed ten-day reports (more notices) after the overdue ladder is
    # complete, and the relay follows each commit: wait until no notice has appeared for a while and every
    # one has been told, then check.
    last_change = {"count": -1, "at": time.monotonic()}

    def settled() -> bool:
        """The run has stopped issuing notices (none for 5 s) and the relay has told everyone about them."""
        count = notices.count()
        if count != last_change["count"]:
            last_change.update(count=count, at=time.monotonic())
            return False
        if time.monotonic() - last_change["at"] < 5:
            return False
        actual, expected = heard()
        return actual == expected and escalated.count() >= escalating.count() * len(leadership)

    assert _wait_for(settled, timeout=90), (
        f"relay did not finish: {notified.count()} notice.issue, {escalated.count()} notice.escalate notifications"
    )
    time.sleep(2)  # anything still running (a late duplicate) would show now

    # Then: each item has its one overdue notice, each notice one trace entry, each person heard once per notice.
    assert sorted(overdue_notices.values_list("dedupe_key", flat=True)) == sorted(expected_keys)
    assert escalating.filter(source=Notice.Source.OVERDUE).count() == 6
    assert TraceEntry.objects.filter(action="notice.issue").count() == notices.count()
    actual, expected = heard()
    assert actual == expected
    assert notified.count() == notices.count() * len(unit_people)
    told = escalated.values_list("dedupe_key", flat=True)
    assert sorted(told) == sorted(f"notice.escalate:{n.pk}:{u}" for n in escalating for u in leadership)
