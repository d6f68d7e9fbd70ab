"""Imported text carries no bidi or other invisible controls, and imported dates are real ones (2000–2099)."""

from __future__ import annotations

import pytest

from tasks_app.models import Task
from tasks_app.tasklist.importer import tasklist_import
from tests.tasks_app.tasklist_helpers import task_row, tasks_sheet, upload, workbook_bytes

pytestmark = pytest.mark.django_db


def test_bidi_controls_are_stripped_from_imported_titles(office_user, dsj):
    title = "数据\u202e共享\u2066平台\u200b建设"
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("1", title, "数字政府"))})

    report = tasklist_import(actor=office_user, file=upload(data))

    assert report.ok, report.errors
    assert Task.objects.get(code="1").title == "数据共享平台建设"


@pytest.mark.parametrize("deadline", ["0001-12-31", "1999-12-31", "2100-01-01"])
def test_a_deadline_that_cannot_be_real_is_a_cell_error(office_user, dsj, deadline):
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("1", "数据共享", "数字政府", deadline=deadline))})

    report = tasklist_import(actor=office_user, file=upload(data))

    assert [e["column"] for e in report.errors] == ["完成时限"], report.errors
    assert not Task.objects.exists()
