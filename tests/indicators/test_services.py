"""Indicator writes: measurements by form, trajectories, uploads with row errors."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from indicators import services
from indicators.models import Indicator, Measurement, TrajectoryPoint
from reform.errors import NotFound, PermissionDenied, ValidationError
from tasks_app.models import Attachment, Task
from tests.factories import Role, make_task, make_unit, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def task(dsj, jxj):
    return make_task("1", lead_unit=dsj, cooperating_units=(jxj,), start_date=date(2026, 1, 1))


@pytest.fixture
def indicator(task):
    return Indicator.objects.create(
        task=task,
        name="一网通办率",
        unit="%",
        baseline_value=40,
        baseline_date=date(2025, 12, 31),
        target_value=100,
        target_date=date(2026, 12, 31),
    )


@pytest.fixture
def tenday_indicator(task):
    return Indicator.objects.create(
        task=task, name="日均办件量", unit="件", baseline_value=100, target_value=500, period_kind="tenday"
    )


def trace(action):
    return list(TraceEntry.objects.filter(action=action).order_by("seq"))


# --- measurement_record -------------------------------------------------------------------------


def test_lead_and_cooperating_units_record_a_value_per_period_traced_with_old_and_new(
    indicator, dsj_handler, jxj_handler
):
    services.measurement_record(actor=dsj_handler, indicator=indicator, period_end=date(2026, 10, 15), value="62.5")
    services.measurement_record(
        actor=jxj_handler, indicator=indicator, period_end=date(2026, 10, 31), value=63, evidence="统计月报"
    )
    m = Measurement.objects.get()
    assert (m.period_end, m.value, m.reported_by, m.evidence) == (
        date(2026, 10, 31),
        Decimal("63"),
        jxj_handler,
        "统计月报",
    )
    payloads = [e.payload for e in trace("indicator.measure")]
    assert [(p["period"], p["old_value"], p["new_value"]) for p in payloads] == [
        ("2026年10月", None, "62.5"),
        ("2026年10月", "62.5", "63"),
    ]
    assert trace("indicator.measure")[0].task_id == indicator.task_id


def test_reporting_the_same_value_again_changes_nothing(indicator, dsj_handler):
    services.measurement_record(actor=dsj_handler, indicator=indicator, period_end=date(2026, 10, 31), value="62.50")
    services.measurement_record(actor=dsj_handler, indicator=indicator, period_end=date(2026, 10, 31), value="62.5")
    assert len(trace("indicator.measure")) == 1


def test_office_and_the_system_may_record(indicator, office_user, dsj_admin):
    services.measurement_record(actor=office_user, indicator=indicator, period_end=date(2026, 9, 30), value=50)
    services.measurement_record(actor=dsj_admin, indicator=indicator, period_end=date(2026, 8, 31), value=48)
    services.measurement_record(actor=None, indicator=indicator, period_end=date(2026, 7, 31), value=46)
    assert Measurement.objects.count() == 3
    assert trace("indicator.measure")[-1].actor_name == "系统"


def test_leader_and_auditor_are_refused_and_outsiders_see_nothing(indicator, leader_user, auditor_user, city):
    for user in (leader_user, auditor_user):
        with pytest.raises(PermissionDenied, match="您的角色无权填报指标"):
            services.measurement_record(actor=user, indicator=indicator, period_end=date(2026, 10, 31), value=1)
    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city))
    with pytest.raises(NotFound, match="任务不存在或无权访问"):
        services.measurement_record(actor=outsider, indicator=indicator, period_end=date(2026, 10, 31), value=1)
    assert not Measurement.objects.exists() and not trace("indicator.measure")


def test_a_unit_that_only_sees_the_task_by_grant_may_not_report(indicator, city):
    from guardian.shortcuts import assign_perm

    viewer = make_user(Role.UNIT_ADMIN, unit=make_unit("市财政局", parent=city))
    assign_perm("tasks_app.view_task", viewer, indicator.task)
    with pytest.raises(PermissionDenied, match="只有牵头单位、配合单位或督办该任务的督查室可以填报该任务的指标"):
        services.measurement_record(actor=viewer, indicator=indicator, period_end=date(2026, 10, 31), value=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value": "很高"}, "指标数值必须是数字"),
        ({"value": "NaN"}, "指标数值必须是数字"),
        ({"period_end": date(2026, 12, 1)}, "2026年12月尚未开始，不能填报"),
        ({"period_end": "2026-10"}, "请填写统计期间"),
    ],
)
def test_bad_values_and_periods_are_refused(indicator, dsj_handler, kwargs, message):
    arguments = {"period_end": date(2026, 10, 31), "value": 1, **kwargs}
    with pytest.raises(ValidationError, match=message):
        services.measurement_record(actor=dsj_handler, indicator=indicator, **arguments)
    assert not Measurement.objects.exists()


def test_evidence_attachment_must_belong_to_the_task(indicator, dsj, dsj_handler):
    other = make_task("2", lead_unit=dsj)
    attachment = Attachment.objects.create(
        task=other,
        file="x",
        original_name="证明.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        uploaded_by=dsj_handler,
    )
    with pytest.raises(ValidationError, match="佐证附件不属于该任务"):
        services.measurement_record(
            actor=dsj_handler, indicator=indicator, period_end=date(2026, 10, 31), value=1, attachment=attachment
        )
    Attachment.objects.filter(pk=attachment.pk).update(task=indicator.task)
    attachment.refresh_from_db()
    m = services.measurement_record(
        actor=dsj_handler, indicator=indicator, period_end=date(2026, 10, 31), value=1, attachment=attachment
    )
    assert m.attachment == attachment and trace("indicator.measure")[0].payload["attachment"] == attachment.pk


def test_a_ten_day_indicator_is_recorded_per_ten_day_period(tenday_indicator, dsj_handler):
    services.measurement_record(actor=dsj_handler, indicator=tenday_indicator, period_end=date(2026, 11, 5), value=300)
    assert Measurement.objects.get().period_end == date(2026, 11, 10)
    assert trace("indicator.measure")[0].payload["period"] == "2026年11月上旬"


# --- Trajectories -------------------------------------------------------------------------------


def test_trajectory_generated_linearly_from_baseline_to_target(indicator, office_user):
    assert services.trajectory_generate(actor=office_user, indicator=indicator) == 12
    points = dict(TrajectoryPoint.objects.values_list("period_end", "expected_value"))
    assert sorted(points)[0] == date(2026, 1, 31) and sorted(points)[-1] == date(2026, 12, 31)
    assert points[date(2026, 12, 31)] == 100
    assert points[date(2026, 6, 30)] == Decimal("69.7534")  # 40 + 60 × 181/365
    assert [e.payload["mode"] for e in trace("indicator.trajectory")] == ["linear"]
    # Regenerating the same line changes nothing and leaves no second trace entry.
    assert services.trajectory_generate(actor=office_user, indicator=indicator) == 0
    assert len(trace("indicator.trajectory")) == 1


def test_trajectory_for_a_ten_day_indicator_has_a_point_per_ten_day_period(tenday_indicator, office_user):
    Indicator.objects.filter(pk=tenday_indicator.pk).update(
        baseline_date=date(2026, 9, 30), target_date=date(2026, 12, 31)
    )
    tenday_indicator.refresh_from_db()
    assert services.trajectory_generate(actor=office_user, indicator=tenday_indicator) == 9
    assert TrajectoryPoint.objects.order_by("period_end").last().expected_value == 500


def test_trajectory_generation_needs_both_dates(tenday_indicator, office_user):
    with pytest.raises(ValidationError, match="指标“日均办件量”缺少基线日期或目标日期，无法生成轨迹"):
        services.trajectory_generate(actor=office_user, indicator=tenday_indicator)


def test_trajectory_entered_by_hand(indicator, office_user, dsj_handler):
    with pytest.raises(PermissionDenied, match="您的角色无权设置指标轨迹"):
        services.trajectory_set(actor=dsj_handler, indicator=indicator, points={date(2026, 10, 31): 70})
    changed = services.trajectory_set(
        actor=office_user, indicator=indicator, points={date(2026, 10, 15): "70", date(2026, 11, 30): "75%"}
    )
    assert changed == 2
    assert dict(TrajectoryPoint.objects.values_list("period_end", "expected_value")) == {
        date(2026, 10, 31): Decimal("70"),
        date(2026, 11, 30): Decimal("75"),
    }
    services.trajectory_set(actor=office_user, indicator=indicator, points={date(2026, 11, 30): 80}, replace=True)
    assert dict(TrajectoryPoint.objects.values_list("period_end", "expected_value")) == {
        date(2026, 11, 30): Decimal("80")
    }


def test_trajectory_points_are_checked(indicator, office_user):
    with pytest.raises(ValidationError, match="2026-10-31 的目标值必须是数字"):
        services.trajectory_set(actor=office_user, indicator=indicator, points={date(2026, 10, 31): "七十"})
    with pytest.raises(ValidationError, match="与同一期间的另一目标值冲突"):
        services.trajectory_set(
            actor=office_user, indicator=indicator, points={date(2026, 10, 1): 70, date(2026, 10, 31): 71}
        )
    with pytest.raises(ValidationError, match="指标轨迹至少需要一个期间的目标值"):
        services.trajectory_set(actor=office_user, indicator=indicator, points={})
    assert not TrajectoryPoint.objects.exists()


# --- Uploads ------------------------------------------------------------------------------------


def csv_bytes(*rows: str, header: str = "任务编号,指标名称,期间,数值") -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode("utf-8-sig")


def upload(content: bytes, name: str = "指标数据.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_upload_saves_every_row_in_every_period_format(indicator, tenday_indicator, office_user):
    content = csv_bytes(
        "1,一网通办率,2026-07,52",
        "1,一网通办率,2026年8月,55%",
        "1,一网通办率,2026/09/15,58",
        "1,日均办件量,2026年10月中旬,320",
        "1,日均办件量,2026-11-05,330",
        "1,日均办件量,2026年9月,300",
    )
    report = services.measurements_import(actor=office_user, file=upload(content))
    assert report == {
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "warnings": [
            {"sheet": "指标数据", "row": 7, "column": "期间", "message": "该指标按旬统计，“2026年9月”按2026年9月下旬计"}
        ],
    }
    assert sorted(Measurement.objects.values_list("period_end", "value")) == [
        (date(2026, 7, 31), Decimal("52")),
        (date(2026, 8, 31), Decimal("55")),
        (date(2026, 9, 30), Decimal("58")),
        (date(2026, 9, 30), Decimal("300")),
        (date(2026, 10, 20), Decimal("320")),
        (date(2026, 11, 10), Decimal("330")),
    ]
    (entry,) = trace("indicator.import")
    assert entry.task_id == indicator.task_id and len(entry.payload["values"]) == 6


def test_upload_reports_every_bad_row_at_once_and_saves_nothing(indicator, tenday_indicator, office_user):
    content = csv_bytes(
        "1,一网通办率,2026-09,55",
        "1,不存在的指标,2026-09,1",
        "1,一网通办率,明年,1",
        "1,一网通办率,2026-10,很多",
        ",一网通办率,2026-10,1",
        "1,一网通办率,2026-12,90",
        "1,一网通办率,2026年9月,56",
        "1,一网通办率,2026年10月上旬,60",
        "1,日均办件量,2026年13月中旬,1",
        "1,一网通办率,2026-08,",
    )
    report = services.measurements_import(actor=office_user, file=upload(content))
    assert report["errors"] == [
        {"sheet": "指标数据", "row": 3, "column": "指标名称", "message": "任务“1”下没有指标“不存在的指标”"},
        {
            "sheet": "指标数据",
            "row": 4,
            "column": "期间",
            "message": "无法识别的期间“明年”，应如 2026-10、2026年10月、2026年10月中旬 或 2026-10-15",
        },
        {"sheet": "指标数据", "row": 5, "column": "数值", "message": "数值“很多”不是数字"},
        {"sheet": "指标数据", "row": 6, "column": "任务编号", "message": "任务编号不能为空"},
        {"sheet": "指标数据", "row": 7, "column": "期间", "message": "2026年12月尚未开始，不能填报"},
        {"sheet": "指标数据", "row": 8, "column": "期间", "message": "与第 2 行是同一指标的同一期间"},
        {
            "sheet": "指标数据",
            "row": 9,
            "column": "期间",
            "message": "该指标按月统计，期间应填月份，如 2026年10月，而不是“2026年10月上旬”",
        },
        {
            "sheet": "指标数据",
            "row": 10,
            "column": "期间",
            "message": "无法识别的期间“2026年13月中旬”，应如 2026-10、2026年10月、2026年10月中旬 或 2026-10-15",
        },
        {"sheet": "指标数据", "row": 11, "column": "数值", "message": "数值不能为空"},
    ]
    assert report["created"] == 0
    assert not Measurement.objects.exists() and not trace("indicator.import")


def test_upload_counts_updates_and_unchanged_values(indicator, office_user):
    services.measurements_import(actor=office_user, file=upload(csv_bytes("1,一网通办率,2026-09,55")))
    report = services.measurements_import(
        actor=office_user, file=upload(csv_bytes("1,一网通办率,2026-09,56", "1,一网通办率,2026-10,60"))
    )
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 0)
    assert trace("indicator.import")[-1].payload["values"][0] == {
        "indicator": "一网通办率",
        "period_end": "2026-09-30",
        "old_value": "55",
        "new_value": "56",
    }
    again = services.measurements_import(
        actor=office_user, file=upload(csv_bytes("1,一网通办率,2026-09,56", "1,一网通办率,2026-10,60"))
    )
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert len(trace("indicator.import")) == 2  # the identical upload left no entry


def test_dry_run_checks_and_saves_nothing(indicator, office_user):
    report = services.measurements_import(
        actor=office_user, file=upload(csv_bytes("1,一网通办率,2026-09,55")), dry_run=True
    )
    assert (report["created"], report["errors"]) == (1, [])
    assert not Measurement.objects.exists() and not trace("indicator.import")


def test_upload_rows_of_tasks_the_unit_may_not_report_are_errors(indicator, dsj, jxj, city, jxj_handler):
    other = make_task("2", lead_unit=make_unit("市卫健委", parent=city))
    Indicator.objects.create(task=other, name="电子健康档案开放率", baseline_value=0, target_value=100)
    report = services.measurements_import(
        actor=jxj_handler, file=upload(csv_bytes("1,一网通办率,2026-09,55", "2,电子健康档案开放率,2026-09,20"))
    )
    assert report["errors"] == [
        {"sheet": "指标数据", "row": 3, "column": "任务编号", "message": "无权填报任务“2”的指标"}
    ]
    assert not Measurement.objects.exists()


def test_leaders_may_not_upload(indicator, leader_user):
    with pytest.raises(PermissionDenied, match="您的角色无权导入指标数据"):
        services.measurements_import(actor=leader_user, file=upload(csv_bytes("1,一网通办率,2026-09,55")))


def test_upload_missing_columns_and_unreadable_files(indicator, office_user):
    report = services.measurements_import(actor=office_user, file=upload("任务编号,数值\n1,2\n".encode()))
    assert report["errors"] == [
        {"sheet": "指标数据", "row": 1, "column": "指标名称", "message": "缺少必需的列“指标名称”"},
        {"sheet": "指标数据", "row": 1, "column": "期间", "message": "缺少必需的列“期间”"},
    ]
    broken = services.measurements_import(actor=office_user, file=upload(b"PK\x03\x04 not a zip", "数据.xlsx"))
    assert broken["errors"][0]["message"] == "文件“数据.xlsx”不是有效的 xlsx 表格"
    empty = services.measurements_import(actor=office_user, file=upload(csv_bytes()))
    assert empty["errors"][0]["message"] == "文件中没有数据"
    pdf = services.measurements_import(actor=office_user, file=upload(b"%PDF", "数据.pdf"))
    assert pdf["errors"][0]["message"] == "只支持 CSV 或 xlsx 文件，“数据.pdf”不是"


def test_upload_of_gb18030_csv_with_evidence_column(indicator, office_user):
    content = "任务编号,指标名称,期间,数值,佐证材料\n1,一网通办率,2026年10月,61,政务服务网统计\n".encode("gb18030")
    report = services.measurements_import(actor=office_user, file=upload(content))
    assert report["created"] == 1 and Measurement.objects.get().evidence == "政务服务网统计"


def test_xlsx_upload_with_dates_numbers_and_a_path(indicator, tenday_indicator, office_user, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "指标数据"
    sheet.append(["任务编号", "指标名称", "期间", "数值"])
    sheet.append([1, "一网通办率", datetime(2026, 8, 15), 50])
    sheet.append(["1", "日均办件量", "2026年11月上旬", 280.5])
    sheet.append(["1", "一网通办率", 2026.1, 51])
    path = tmp_path / "指标.xlsx"
    book.save(path)
    report = services.measurements_import(actor=office_user, file=path)
    assert report["errors"] == [
        {"sheet": "指标数据", "row": 4, "column": "期间", "message": "期间“2026.1”被识别为数字，请将该列设为文本格式"}
    ]
    sheet.delete_rows(4)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.name = "指标.xlsx"
    report = services.measurements_import(actor=office_user, file=buffer)
    assert report["created"] == 2
    assert sorted(Measurement.objects.values_list("period_end", "value")) == [
        (date(2026, 8, 31), Decimal("50")),
        (date(2026, 11, 10), Decimal("280.5")),
    ]


def test_an_upload_refreshes_the_lights_of_the_tasks_it_touches(indicator, office_user):
    TrajectoryPoint.objects.create(indicator=indicator, period_end=date(2026, 10, 31), expected_value=90)
    services.measurements_import(actor=office_user, file=upload(csv_bytes("1,一网通办率,2026-10,50")))
    task = Task.objects.get(pk=indicator.task_id)
    assert (task.rag, task.rag_reason) == (
        "red",
        "指标“一网通办率”实际 50%，低于本期目标 90%（完成度落后 66.7 个百分点）",
    )
