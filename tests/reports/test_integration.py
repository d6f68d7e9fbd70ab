"""Through the real Celery worker on Redis that .ci/run starts (it uses this same test database)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from reports import services
from reports.models import Report
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.integration.conftest import wait_for
from tests.tasks_app.workflow_helpers import drive

from .conftest import pdf_fonts, pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_builds_a_requested_bulletin(real_celery, dsj, office_user, dsj_handler):
    task = make_task("1", lead_unit=dsj, title="城市大脑数据中台", deadline=timezone.localdate() - timedelta(days=5))
    drive(task, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)

    report = services.report_request(actor=office_user, kind="bulletin", scope="programme")

    done = wait_for(
        lambda: Report.objects.filter(pk=report.pk, status__in=[Report.Status.DONE, Report.Status.FAILED]).first()
    )
    assert done is not None, f"still {Report.objects.get(pk=report.pk).status} after 90 s"
    assert done.status == Report.Status.DONE, done.error
    assert done.attempts == 1 and done.started_at is not None and done.timings["layout"] > 0
    with done.file.open("rb") as handle:
        data = handle.read()
    flat = re.sub(r"\s+", "", pdf_text(data))
    assert "数字化改革督查通报" in flat and "城市大脑数据中台" in flat
    assert pdf_fonts(data)
