"""Indicators and measurements; task-list import and export (office only)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from indicators.models import Indicator, Measurement
from tasks_app.models import Attachment, Task
from tests.tasks_app.tasklist_helpers import workbook_bytes
from trail.models import TraceEntry

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicator(item):
    return Indicator.objects.create(
        task=item,
        name="一网通办率",
        unit="%",
        baseline_value=40,
        baseline_date=date(2026, 1, 1),
        target_value=90,
        target_date=date(2026, 12, 31),
    )


def last_month_end() -> date:
    return timezone.localdate().replace(day=1) - timedelta(days=1)


# --- Indicators and measurements -----------------------------------------------------------------


def test_indicators_of_a_task_with_latest_value_and_achievement(api, item, indicator):
    Measurement.objects.create(indicator=indicator, period_end=last_month_end() - timedelta(days=40), value=50)
    Measurement.objects.create(indicator=indicator, period_end=last_month_end(), value=80)

    (row,) = api["jxj_handler"].get(f"/api/tasks/{item.pk}/indicators/").json()

    assert row["name"] == "一网通办率"
    assert (row["direction"], row["direction_label"]) == ("higher", "正向（越高越好）")
    assert row["latest"]["value"] == 80.0
    assert row["latest"]["period_end"] == last_month_end().isoformat()
    assert row["achievement"] == 80.0  # (80 − 40) / (90 − 40)


def test_record_a_measurement_and_list_them(api, indicator):
    response = api["dsj_handler"].post(
        f"/api/indicators/{indicator.pk}/measurements/",
        {"period_end": last_month_end().isoformat(), "value": "66.5", "evidence": "统计报表"},
        format="json",
    )

    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert (data["value"], data["source"], data["source_label"], data["evidence"]) == (66.5, "api", "接口", "统计报表")
    assert TraceEntry.objects.filter(action="indicator.measure").count() == 1
    again = api["dsj_handler"].post(
        f"/api/indicators/{indicator.pk}/measurements/",
        {"period_end": last_month_end().isoformat(), "value": "70"},
        format="json",
    )
    assert again.json()["value"] == 70.0  # a second report for the period corrects it
    listed = api["office"].get(f"/api/indicators/{indicator.pk}/measurements/").json()
    assert [(m["period_end"], m["value"]) for m in listed] == [(last_month_end().isoformat(), 70.0)]


def test_measurement_errors(api, indicator, foreign, item):
    future = (timezone.localdate() + timedelta(days=70)).isoformat()
    body = assert_error(
        api["dsj_handler"].post(
            f"/api/indicators/{indicator.pk}/measurements/", {"period_end": future, "value": 1}, format="json"
        ),
        400,
        "invalid",
    )
    assert "尚未开始，不能填报" in body["message"]
    assert (
        "value"
        in assert_error(
            api["dsj_handler"].post(
                f"/api/indicators/{indicator.pk}/measurements/",
                {"period_end": "2026-01-31", "value": "abc"},
                format="json",
            ),
            400,
            "invalid",
        )["fields"]
    )
    assert_error(
        api["leader"].post(
            f"/api/indicators/{indicator.pk}/measurements/", {"period_end": "2026-01-31", "value": 1}, format="json"
        ),
        403,
        "permission_denied",
        "您的角色无权填报指标",
    )
    other = Indicator.objects.create(task=foreign, name="警情处置率", baseline_value=1, target_value=2)
    assert_error(
        api["dsj_handler"].get(f"/api/indicators/{other.pk}/measurements/"), 404, "not_found", "指标不存在或无权访问"
    )
    stray = Attachment.objects.create(
        task=foreign,
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=foreign.lead_unit.users.first(),
    )
    assert_error(
        api["office"].post(
            f"/api/indicators/{indicator.pk}/measurements/",
            {"period_end": last_month_end().isoformat(), "value": 1, "attachment": stray.pk},
            format="json",
        ),
        400,
        "invalid",
        "佐证附件不属于该任务",
    )


def test_measurements_import_csv(api, indicator):
    period = last_month_end().strftime("%Y-%m")
    content = f"任务编号,指标名称,期间,数值\n1.1,一网通办率,{period},61\n".encode()

    dry = api["office"].post(
        "/api/measurements/import/",
        {"file": SimpleUploadedFile("指标.csv", content, "text/csv"), "dry_run": "true"},
        format="multipart",
    )
    assert dry.status_code == 200, dry.content.decode()
    assert dry.json()["created"] == 1
    assert Measurement.objects.count() == 0

    done = api["dsj_handler"].post(
        "/api/measurements/import/", {"file": SimpleUploadedFile("指标.csv", content, "text/csv")}, format="multipart"
    )
    assert done.json()["created"] == 1
    assert Measurement.objects.get().value == Decimal(61)


def test_measurements_import_with_errors_is_400_with_the_report(api, indicator):
    content = "任务编号,指标名称,期间,数值\n1.1,一网通办率,2026-01,abc\n9.9,不存在,2026-01,1\n".encode()

    response = api["office"].post(
        "/api/measurements/import/", {"file": SimpleUploadedFile("指标.csv", content, "text/csv")}, format="multipart"
    )

    body = assert_error(response, 400, "invalid", "导入失败：发现 2 处错误，未保存任何数据")
    assert [(e["row"], e["column"]) for e in body["report"]["errors"]] == [(2, "数值"), (3, "指标名称")]
    assert Measurement.objects.count() == 0
    assert_error(
        api["leader"].post(
            "/api/measurements/import/", {"file": SimpleUploadedFile("a.csv", content)}, format="multipart"
        ),
        403,
        "permission_denied",
    )


# --- Task-list import / export -------------------------------------------------------------------

TASK_HEADER = ["编号", "任务名称", "领域", "维度", "牵头单位", "配合单位", "责任人", "开始日期", "完成时限", "权重"]


def tasklist(*rows: list) -> SimpleUploadedFile:
    data = workbook_bytes({"任务清单": [TASK_HEADER, *rows]})
    return SimpleUploadedFile("清单.xlsx", data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_tasklist_import_dry_run_then_for_real(api, dsj):
    rows = [
        ["7", "数字经济重大任务", "数字经济", "治理", "市大数据局", "", "", "", "2026年底", 1],
        ["7.1", "新设单位牵头的事项", "", "服务", "市数据集团", "", "", "", "2026年底", 1],
    ]

    dry = api["office"].post(
        "/api/tasklist/import/", {"file": tasklist(*rows), "dry_run": True, "create_units": True}, format="multipart"
    )
    assert dry.status_code == 200, dry.content.decode()
    assert dry.json()["dry_run"] is True
    assert dry.json()["created"] == {"tasks": 2, "indicators": 0, "policies": 0, "units": 1}
    assert not Task.objects.filter(code="7").exists()

    done = api["office"].post(
        "/api/tasklist/import/", {"file": tasklist(*rows), "create_units": "true"}, format="multipart"
    )
    assert done.status_code == 200, done.content.decode()
    assert len(done.json()["sha256"]) == 64
    assert Task.objects.get(code="7.1").lead_unit.name == "市数据集团"


def test_tasklist_import_with_errors_is_400_and_saves_nothing(api, dsj):
    response = api["office"].post(
        "/api/tasklist/import/",
        {"file": tasklist(["7", "任务", "数字经济", "", "不存在的单位", "", "", "", "明年", 1])},
        format="multipart",
    )

    body = assert_error(response, 400, "invalid")
    assert body["message"].startswith("导入失败：发现 ")
    assert {e["column"] for e in body["report"]["errors"]} >= {"牵头单位", "完成时限"}
    assert not Task.objects.filter(code="7").exists()


def test_tasklist_import_and_export_are_office_only(api, item):
    assert_error(
        api["leader"].post("/api/tasklist/import/", {"file": tasklist()}, format="multipart"),
        403,
        "permission_denied",
        "您的角色无权导入任务清单",
    )
    assert_error(api["dsj_admin"].get("/api/tasklist/export/"), 403, "permission_denied", "您的角色无权导出任务清单")
    assert (
        "file"
        in assert_error(api["office"].post("/api/tasklist/import/", {}, format="multipart"), 400, "invalid")["fields"]
    )


def test_tasklist_export_downloads_the_subtree(api, item, foreign):
    response = api["office"].get("/api/tasklist/export/", {"root": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="tasklist-1-')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["任务清单"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]] == ["1", "1.1"]
    whole = openpyxl.load_workbook(io.BytesIO(api["office"].get("/api/tasklist/export/").content))["任务清单"]
    assert [row[0] for row in whole.iter_rows(min_row=2, values_only=True) if row[0]] == ["1", "1.1", "2"]
    assert_error(api["office"].get("/api/tasklist/export/", {"root": "99"}), 404, "not_found", "任务“99”不存在")
