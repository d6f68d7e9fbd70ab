"""The supervision office's pages: the work queue, bulk assignment, task-list import and export."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tasks_app import services
from tasks_app.models import Notice, Task
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.tasks_app.tasklist_helpers import TASK_HEADER, task_row, workbook_bytes
from tests.tasks_app.workflow_helpers import drive
from trail.models import TraceEntry

from .conftest import body

pytestmark = pytest.mark.django_db


def xlsx(*rows) -> SimpleUploadedFile:
    data = workbook_bytes({"任务清单": [TASK_HEADER, *rows]})
    return SimpleUploadedFile("清单.xlsx", data, content_type="application/octet-stream")


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader_user", "auditor_user", "dsj_handler"])
@pytest.mark.parametrize("url", ["/office/", "/office/assign/", "/office/import/", "/office/export/"])
def test_only_the_office_uses_the_office_pages(client, request, role, url):
    client.force_login(request.getfixturevalue(role))
    r = client.get(url)
    assert r.status_code == 403 and "只有督查室可以使用督办工作台" in body(r)


# --- Work queue ----------------------------------------------------------------------------------


def _populate(dsj, jxj, office_user, leader_user, dsj_handler, n: int, first: int = 1) -> None:
    """``n`` majors from code ``first``: one overdue in progress, one under review, one draft each."""
    for i in range(n):
        code = first + i
        late = make_task(
            f"{code}",
            lead_unit=dsj,
            cooperating_units=(jxj,),
            start_date=date.today() - timedelta(days=60),
            deadline=date.today() - timedelta(days=1 + i),
        )
        review = make_task(f"{code}.1", lead_unit=dsj)
        make_task(f"{code}.2", lead_unit=dsj)  # stays a draft
        drive(late, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
        drive(review, Status.UNDER_REVIEW, office=office_user, unit_user=dsj_handler)
        services.instruction_issue(
            actor=leader_user, task=late, text=f"批示{i}", due_date=timezone.localdate() + timedelta(days=2)
        )
        services.problem_report(actor=dsj_handler, task=review, text=f"问题{i}")
        services.notice_issue(actor=office_user, task=late, level=Notice.Level.LISTED, reason=f"挂牌{i}")
        services.extension_request(
            actor=dsj_handler, task=late, requested_deadline=date.today() + timedelta(days=30), reason="延期"
        )


def test_work_queue_counts_and_lists(client, dsj, jxj, office_user, leader_user, dsj_handler):
    _populate(dsj, jxj, office_user, leader_user, dsj_handler, 3)
    client.force_login(office_user)
    r = client.get("/office/")
    q = r.context["q"]
    assert q.counts == {
        "under_review": 3,
        "overdue": 3,
        "drafts": 3,
        "instructions": 3,
        "answered_instructions": 0,
        "extensions": 3,
        "problems": 3,
        "listed": 3,
        "returned": 0,
    }
    html = body(r)
    for text in ("待审核办结", "逾期未办结", "批示待回复", "延期待审批", "问题待答复", "挂牌督办", "批示0", "问题2"):
        assert text in html
    assert [t.code for t in q.overdue] == ["3", "2", "1"]  # most overdue first


def test_work_queue_queries_are_the_same_at_two_sizes(client, dsj, jxj, office_user, leader_user, dsj_handler):
    client.force_login(office_user)
    counts = []
    for first, n in ((1, 2), (101, 12)):
        _populate(dsj, jxj, office_user, leader_user, dsj_handler, n, first=first)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/office/").status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 24, counts  # 24: the items units returned (退回) list


# --- Bulk assignment -----------------------------------------------------------------------------


def test_bulk_assign_reports_each_task(client, dsj, office_user, dsj_handler):
    drafts = [make_task(str(i), lead_unit=dsj) for i in (1, 2, 3)]
    already = drive(drafts[2], Status.ASSIGNED, office=office_user, unit_user=dsj_handler)
    client.force_login(office_user)
    listing = body(client.get("/office/assign/"))
    assert f'value="{drafts[0].pk}"' in listing and f'value="{already.pk}"' not in listing
    r = client.post(
        "/office/assign/", {"task": [drafts[0].pk, drafts[1].pk, already.pk, 999999], "comment": "按清单推进"}
    )
    assert r.status_code == 200
    html = body(r)
    assert "成功 2 项，未成功 2 项" in html
    assert "任务已被他人处理，当前状态为“已交办”" in html  # the one assigned meanwhile
    assert "任务不存在" in html
    assert Task.objects.filter(status=Status.ASSIGNED).count() == 3
    assert TraceEntry.objects.filter(action="task.assign", payload__comment="按清单推进").count() == 2


def test_bulk_assign_with_nothing_ticked(client, office_user):
    client.force_login(office_user)
    r = client.post("/office/assign/", {"comment": ""}, follow=True)
    assert "请至少勾选一项任务" in body(r)


# --- Import --------------------------------------------------------------------------------------


def test_import_dry_run_then_confirm_the_same_file(client, dsj, office_user):
    client.force_login(office_user)
    upload = xlsx(
        task_row("1", "一体化智能化公共数据平台", "数字政府", "市大数据局", deadline="2027-06-30"),
        task_row("1.1", "公共数据归集", "", "市大数据局", deadline="2027-03-31"),
    )
    r = client.post("/office/import/", {"file": upload})
    html = body(r)
    assert r.status_code == 200 and "预检通过" in html and not Task.objects.exists()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', html).group(1)
    stored = Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx"
    assert stored.is_file() and not str(stored).startswith(str(settings.STATIC_ROOT))
    r = client.post("/office/import/", {"token": token})
    assert "导入成功：新增任务 2 项" in body(r)
    assert list(Task.objects.order_by("sort_key").values_list("code", "status")) == [
        ("1", "draft"),
        ("1.1", "draft"),
    ]
    assert not stored.exists()
    assert TraceEntry.objects.filter(action="task.create").count() == 2


def test_import_lists_every_row_error_and_saves_nothing(client, dsj, office_user):
    client.force_login(office_user)
    r = client.post(
        "/office/import/",
        {
            "file": xlsx(
                task_row("1", "重大任务", "不存在的领域", "市大数据局"),
                task_row("2", "", "数字政府", "市不存在局"),
            )
        },
    )
    html = body(r)
    assert r.status_code == 400
    assert "未保存任何数据" in html
    rows = re.findall(r"<tr><td data-label=\"工作表\">(.*?)</td><td data-label=\"行\">(.*?)</td>", html)
    assert ("任务清单", "2") in rows and ("任务清单", "3") in rows
    assert "未知的领域“不存在的领域”" in html and "单位“市不存在局”不存在" in html
    assert 'name="token"' not in html  # nothing to confirm
    assert not Task.objects.exists()


def test_import_refuses_a_non_xlsx_file(client, office_user):
    client.force_login(office_user)
    r = client.post("/office/import/", {"file": SimpleUploadedFile("清单.csv", b"a,b\n1,2\n")})
    assert r.status_code == 400 and "请上传 .xlsx 格式的 Excel 文件" in body(r)


def test_a_token_from_another_session_or_a_forged_path_is_refused(client, dsj, office_user):
    client.force_login(office_user)
    upload = xlsx(task_row("1", "重大任务", "数字政府", "市大数据局"))
    html = body(client.post("/office/import/", {"file": upload}))
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', html).group(1)
    client.logout()
    client.force_login(office_user)  # a new session does not own the upload
    r = client.post("/office/import/", {"token": token}, follow=True)
    assert "待导入的文件已失效，请重新上传" in body(r)
    r = client.post("/office/import/", {"token": "../../settings"}, follow=True)
    assert "待导入的文件已失效" in body(r)
    assert not Task.objects.exists()


def test_discarding_an_upload_deletes_it(client, dsj, office_user):
    client.force_login(office_user)
    html = body(client.post("/office/import/", {"file": xlsx(task_row("1", "重大任务", "数字政府", "市大数据局"))}))
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', html).group(1)
    client.post("/office/import/discard/", {"token": token})
    assert not (Path(settings.MEDIA_ROOT) / "imports" / f"{token}.xlsx").exists()


# --- Export --------------------------------------------------------------------------------------


def test_export_downloads_the_subtree_in_the_template(client, dsj, office_user):
    make_task("1", lead_unit=dsj, title="一体化平台")
    make_task("1.1", lead_unit=dsj, title="数据归集")
    make_task("2", lead_unit=dsj, title="数字经济")
    client.force_login(office_user)
    r = client.get("/office/export/?root=1")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in r["Content-Disposition"] and ".xlsx" in r["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content))["任务清单"]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == ["1", "1.1"]


def test_export_of_an_unknown_root_is_404(client, office_user):
    client.force_login(office_user)
    r = client.get("/office/export/?root=42")
    assert r.status_code == 404
