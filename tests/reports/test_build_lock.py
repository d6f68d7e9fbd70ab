"""A redelivered build message (its worker was killed) takes over a lost build at once, never a live one."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from reports import services
from reports.models import Report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _running(programme) -> Report:
    report = services.queue_report(actor=None, kind="bulletin", scope="programme", period="2026-11-3", schedule=False)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, started_at=timezone.now(), attempts=1)
    return report


def test_a_build_lost_with_its_worker_is_taken_over_and_completed(programme):
    report = _running(programme)  # the worker that claimed it was killed: no one holds its build lock

    built = services.report_build(report.pk)

    assert built.status == Report.Status.DONE and built.attempts == 2 and built.file


def test_a_build_still_running_in_a_live_worker_is_left_to_it(programme):
    report = _running(programme)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as live_worker:
        live_worker.execute("SELECT pg_advisory_lock(%s, %s)", [services.BUILD_LOCK_NAMESPACE, report.pk])

        again = services.report_build(report.pk)

    assert again.status == Report.Status.RUNNING and again.attempts == 1
