"""The escalation job through the real Celery worker on Redis that .ci/run starts (same test database)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from rhythm import tasks as jobs
from rhythm.models import MissedReport
from tasks_app.models import Notice, Notification
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.integration.conftest import wait_for
from tests.tasks_app.workflow_helpers import drive

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_climbs_the_ladder_once_and_tells_the_leadership(
    real_celery, dsj, office_user, leader_user, dsj_admin, dsj_handler
):
    today = timezone.localdate()
    task = make_task("1", lead_unit=dsj, title="一网通办", deadline=today - timedelta(days=8))  # ladder day 7: 督办
    drive(task, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)

    jobs.record_missed_and_escalate.delay()
    jobs.record_missed_and_escalate.delay()  # a second run, possibly concurrent on the other worker process

    notice = wait_for(lambda: Notice.objects.filter(task=task, level=Notice.Level.SUPERVISE).first())
    assert notice is not None, "no 督办 notice after 90 s"
    escalated = Notification.objects.filter(dedupe_key__startswith=f"notice.escalate:{notice.pk}:")
    told = wait_for(lambda: set(escalated.values_list("recipient__username", flat=True)) == {"leader", "dsj_admin"})
    assert told, list(Notification.objects.values_list("kind", "recipient__username"))
    unit_told = wait_for(lambda: Notification.objects.filter(kind="notice.issue", recipient=dsj_handler).exists())
    assert unit_told
    time.sleep(2)  # let both runs finish
    overdue = Notice.objects.filter(task=task, source=Notice.Source.OVERDUE)
    assert list(overdue.values_list("dedupe_key", flat=True)) == [f"overdue:{task.pk}@{task.deadline.isoformat()}:3"]
    # The item also owes its last ten-day report (depending on today's date): whatever was issued, once only.
    keys = list(Notice.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys))
    assert MissedReport.objects.count() <= 1
    assert escalated.count() == 2
