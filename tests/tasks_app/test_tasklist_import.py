import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import Indicator
from orgs.models import OrgUnit
from reform.errors import PermissionDenied
from tasks_app.models import Policy, Task
from tasks_app.tasklist.cells import CellError, parse_criteria, parse_date, parse_dimensions, parse_number
from tasks_app.tasklist.importer import tasklist_import
from tests.factories import Role, make_task, make_user
from tests.tasks_app.tasklist_helpers import (
    INDICATOR_HEADER,
    POLICY_HEADER,
    TASK_HEADER,
    generated_rows,
    task_row,
    tasks_sheet,
    upload,
    workbook_bytes,
)
from trail.models import TraceEntry
from trail.verify import verify_chain

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = "党政机关整体智治、数字政府、数字经济、数字社会、数字法治"


def write(tmp_path: Path, sheets: dict, name: str = "清单.xlsx", **kwargs) -> Path:
    path = tmp_path / name
    path.write_bytes(workbook_bytes(sheets, **kwargs))
    return path


def nothing_saved() -> None:
    assert not Task.objects.exists()
    assert not Indicator.objects.exists()
    assert not Policy.objects.exists()
    assert not TraceEntry.objects.exists()


# --- Cell parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2021, 12, 31, 0, 0), date(2021, 12, 31)),  # an Excel date cell
        (date(2021, 12, 31), date(2021, 12, 31)),
        ("2021-12-31", date(2021, 12, 31)),
        ("2021/12/31", date(2021, 12, 31)),
        ("2021/3/5", date(2021, 3, 5)),
        ("2021.12.31", date(2021, 12, 31)),
        ("2021-12-31 00:00:00", date(2021, 12, 31)),
        ("２０２１／１２／３１", date(2021, 12, 31)),  # full-width, as Chinese input methods type it
        ("2021年12月31日", date(2021, 12, 31)),
        ("2021年3月5日", date(2021, 3, 5)),
        ("2021年12月", date(2021, 12, 31)),  # a month means its last day
        ("2021年2月", date(2021, 2, 28)),
        ("2024年2月", date(2024, 2, 29)),
        ("2021年6月底", date(2021, 6, 30)),
        ("2021年底", date(2021, 12, 31)),
        ("2021年末", date(2021, 12, 31)),
        ("2021年", date(2021, 12, 31)),
        (None, None),
        ("", None),
        ("持续推进", None),
        ("长期", None),
        (44561, date(2021, 12, 31)),  # an Excel serial number whose date format was lost
    ],
)
def test_every_date_form(raw, expected):
    assert parse_date(raw) == expected


def test_deadline_may_say_before():
    assert parse_date("2026年6月底前", deadline=True) == date(2026, 6, 30)


@pytest.mark.parametrize("raw", ["明年", "2021-13-01", "2021年2月30日", "12/31"])
def test_unreadable_dates_are_cell_errors(raw):
    with pytest.raises(CellError):
        parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("100%", (Decimal(100), "%")),
        ("≥85%", (Decimal(85), "%")),
        ("≤ 3", (Decimal(3), "")),
        ("1,200", (Decimal(1200), "")),
        (42, (Decimal(42), "")),
        (2.5, (Decimal("2.5"), "")),
        ("", (None, "")),
        ("—", (None, "")),
    ],
)
def test_numbers_as_written_in_spreadsheets(raw, expected):
    assert parse_number(raw) == expected


def test_percent_formatted_cell_reads_as_percent():
    assert parse_number(0.85, percent_format=True) == (Decimal(85), "%")


def test_dimensions_and_criteria():
    assert parse_dimensions("治理、服务") == (True, True)
    assert parse_dimensions("治理+服务") == (True, True)
    assert parse_dimensions("服务") == (False, True)
    assert parse_dimensions(None) == (False, False)
    with pytest.raises(CellError):
        parse_dimensions("监管")
    assert parse_criteria("按期完成率（40%）\n群众满意度(60)；创新亮点") == [
        ("按期完成率", Decimal(40)),
        ("群众满意度", Decimal(60)),
        ("创新亮点", Decimal(1)),
    ]


# --- A clean import ----------------------------------------------------------------------------


def test_import_builds_the_tree_with_every_system(dsj, jxj, office_user):
    # given an existing parent "9" and a file whose rows come in any order, parents after children
    existing = make_task("9", lead_unit=dsj, title="已有任务")
    fzw = OrgUnit.objects.create(name="市发展改革委", short_code="FZW", level="city", path="/fzw/")
    tasks = tasks_sheet(
        task_row(
            "1.1.1",
            "推进“一件事”集成改革",
            "",
            "市大数据局",
            coop="市经信局、 市发展改革委\n市经信局",
            owner="张三",
            start=datetime(2026, 2, 1),
            deadline="2026年底",
            measures="梳理高频事项\n再造业务流程",
            criteria="按期完成率（40%）；群众满意度（60%）",
        ),
        task_row("1", "数字政府建设", "数字政府", "市大数据局", dims="治理+服务", weight=2),
        task_row("1.1", "政务服务增值化改革", "", "市经信局", dims="服务", start="2026/1/15", deadline="2026年12月"),
        task_row("9.1", "已有任务的新下级", "", "市大数据局", deadline="持续推进"),
    )
    indicators = [
        INDICATOR_HEADER,
        ["1.1.1", "一网通办率", "", "正向", "60%", "2025-12-31", "≥85%", "2026年12月31日", "市大数据局"],
        ["9", "平均办理时长", "天", "反向", 10, "2025-12-31", 5, "2026-12-31", ""],
    ]
    policies = [
        POLICY_HEADER,
        ["1", "关于深化数字政府建设的实施意见", "市政发〔2026〕12号", "市人民政府", "2026年3月1日"],
        ["1.1、1.1.1", "关于深化数字政府建设的实施意见", "市政发〔2026〕12号", "市人民政府", "2026年3月1日"],
        ["9", "政务数据管理办法", "", "市人民政府", ""],
    ]

    # when the office imports it
    report = tasklist_import(
        actor=office_user,
        file=upload(workbook_bytes({"任务清单": tasks, "指标体系": indicators, "政策体系": policies})),
    )

    # then everything is created, in the right place
    assert report.ok, report.errors
    assert report.as_dict() == {
        "created": {"tasks": 4, "indicators": 2, "policies": 2, "units": 0},
        "errors": [],
        "warnings": [],
    }
    item = Task.objects.get(code="1.1.1")
    assert (item.parent.code, item.depth, item.is_leaf, item.sort_key) == ("1.1", 3, True, "00001/000001.000001.000001")
    assert item.domain.name == "数字政府"  # inherited through 1.1 from 1
    assert item.lead_unit == dsj
    assert sorted(u.name for u in item.cooperating_units.all()) == ["市发展改革委", "市经信局"]
    assert fzw in item.cooperating_units.all()
    assert item.owner_name == "张三"
    assert (item.start_date, item.deadline, item.weight) == (date(2026, 2, 1), date(2026, 12, 31), Decimal(1))
    assert list(item.measures.values_list("text", flat=True)) == ["梳理高频事项", "再造业务流程"]
    assert list(item.criteria.values_list("name", "weight")) == [
        ("按期完成率", Decimal(40)),
        ("群众满意度", Decimal(60)),
    ]
    assert item.status == "draft"
    major = Task.objects.get(code="1")
    assert (major.is_governance, major.is_service, major.is_leaf, major.weight) == (True, True, False, Decimal(2))
    sub = Task.objects.get(code="1.1")
    assert (sub.lead_unit, sub.start_date, sub.deadline, sub.is_service, sub.is_governance) == (
        jxj,
        date(2026, 1, 15),
        date(2026, 12, 31),
        True,
        False,
    )
    assert Task.objects.get(code="9.1").deadline is None
    existing.refresh_from_db()
    assert not existing.is_leaf  # the existing parent is no longer an item
    rate = Indicator.objects.get(name="一网通办率")
    assert (rate.unit, rate.direction, rate.baseline_value, rate.target_value) == ("%", "higher", 60, 85)
    assert (rate.baseline_date, rate.target_date, rate.data_source) == (
        date(2025, 12, 31),
        date(2026, 12, 31),
        "市大数据局",
    )
    assert Indicator.objects.get(name="平均办理时长").direction == "lower"
    policy = Policy.objects.get(doc_number="市政发〔2026〕12号")
    assert sorted(policy.tasks.values_list("code", flat=True)) == ["1", "1.1", "1.1.1"]
    assert policy.issued_on == date(2026, 3, 1)


def test_import_is_traced_per_task_and_once_as_a_whole(dsj, office_user):
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("1", "甲", "数字经济"), task_row("1.1", "乙"))})
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.ok
    creates = TraceEntry.objects.filter(action="task.create").order_by("seq")
    assert [(e.task.code, e.actor_id, e.to_state) for e in creates] == [
        ("1", office_user.pk, "draft"),
        ("1.1", office_user.pk, "draft"),
    ]
    summary = TraceEntry.objects.get(action="task.import")
    assert summary.payload["sha256"] == report.sha256 and len(report.sha256) == 64
    assert summary.payload["created"] == {"tasks": 2, "indicators": 0, "policies": 0, "units": 0}
    assert verify_chain().ok


def test_progress_of_an_existing_parent_is_rolled_up(dsj, office_user):
    parent = make_task("3", lead_unit=dsj)
    child = make_task("3.1", lead_unit=dsj)
    Task.objects.filter(pk=child.pk).update(progress=80)
    Task.objects.filter(pk=parent.pk).update(progress=80)
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("3.2", "新事项"))})
    assert tasklist_import(actor=office_user, file=upload(data)).ok
    assert Task.objects.get(code="3").progress == Decimal("40.00")  # (80 + 0) / 2


def test_percent_formatted_cells_and_excel_date_cells(dsj, office_user):
    # given a sheet as Excel saves it: "85%" typed into a cell is 0.85 with a percent format
    data = workbook_bytes(
        {
            "任务清单": tasks_sheet(
                task_row("1", "甲", "数字经济", start=date(2026, 3, 1), deadline=date(2026, 9, 30))
            ),
            "指标体系": [INDICATOR_HEADER, ["1", "覆盖率", "", "正向", 0.6, date(2025, 12, 31), 0.85, "2026年", ""]],
        },
        formats={("指标体系", "E2"): "0%", ("指标体系", "G2"): "0.0%"},
    )
    assert tasklist_import(actor=office_user, file=upload(data)).ok
    indicator = Indicator.objects.get()
    assert (indicator.baseline_value, indicator.target_value, indicator.unit) == (60, 85, "%")
    assert (indicator.baseline_date, indicator.target_date) == (date(2025, 12, 31), date(2026, 12, 31))
    assert Task.objects.get().deadline == date(2026, 9, 30)


def test_a_child_under_a_finished_parent_is_imported_with_a_warning(dsj, office_user):
    from tasks_app import services

    parent = make_task("6", lead_unit=dsj)
    services.task_cancel(actor=office_user, task=parent, reason="并入其他任务")
    report = tasklist_import(
        actor=office_user, file=upload(workbook_bytes({"任务清单": tasks_sheet(task_row("6.1", "补充事项"))}))
    )
    assert report.ok
    assert report.warnings == [
        {
            "sheet": "任务清单",
            "row": 2,
            "column": "编号",
            "message": "上级任务“6”当前为“已撤销”状态，仍将在其下新增下级任务",
        }
    ]
    assert Task.objects.get(code="6.1").parent.code == "6"


def test_policy_named_twice_is_stored_once_and_an_existing_one_is_reused(dsj, office_user):
    old = Policy.objects.create(title="数据安全管理办法", doc_number="市政办〔2025〕3号")
    rows = tasks_sheet(
        task_row("1", "甲", "数字法治"), task_row("2", "乙", "数字法治"), task_row("3", "丙", "数字法治")
    )
    policies = [
        POLICY_HEADER,
        ["1", "公共数据开放条例", "市人大〔2026〕1号", "市人大常委会", "2026-01-10"],
        ["2", "公共数据开放条例", "市人大〔2026〕1号", "市人大常委会", "2026-01-10"],
        ["3", "公共数据开放条例", "市人大〔2026〕1号", "市人大常委会", "2026-01-10"],
        ["1、2", "数据安全管理办法", "市政办〔2025〕3号", "", ""],
    ]
    report = tasklist_import(actor=office_user, file=upload(workbook_bytes({"任务清单": rows, "政策体系": policies})))
    assert report.created["policies"] == 1
    assert Policy.objects.count() == 2
    assert Policy.objects.get(title="公共数据开放条例").tasks.count() == 3
    assert sorted(old.tasks.values_list("code", flat=True)) == ["1", "2"]


# --- Bad input: every error at once, nothing saved ---------------------------------------------


def test_every_error_is_reported_at_once_and_nothing_is_saved(dsj, office_user):
    # given a task "9" already in the database and a file with one mistake of every kind
    make_task("9", lead_unit=dsj)
    before = TraceEntry.objects.count()
    tasks = tasks_sheet(
        task_row("1", "数字政府建设", "数字政府"),  # row 2: fine
        task_row("1.1", "子任务"),  # row 3: fine
        task_row("1.1", "重复的子任务"),  # row 4
        task_row("9", "已存在的任务", "数字政府"),  # row 5
        task_row("5.1", "缺少上级"),  # row 6
        task_row("2", "数字农业", "数字农业"),  # row 7
        task_row("1.2", "时限早于开始", start="2026-06-01", deadline="2026-03-01"),  # row 8
        task_row("1.3", "权重不是数字", weight="很重要"),  # row 9
        task_row("1.4", "未知单位", lead="市农业农村局"),  # row 10
        task_row("1.5", "日期无法识别", deadline="明年"),  # row 11
        task_row("3", "顶层缺领域"),  # row 12
    )
    indicators = [
        INDICATOR_HEADER,
        ["1.1", "数据共享率", "%", "正向", 50, "", "很多", "", ""],  # row 2
        ["8.8", "不存在的任务的指标", "", "正向", 1, "", 2, "", ""],  # row 3
    ]
    policies = [["任务编号", "文号"], ["1", "市政发〔2026〕1号"]]

    # when it is imported
    report = tasklist_import(
        actor=office_user,
        file=upload(workbook_bytes({"任务清单": tasks, "指标体系": indicators, "政策体系": policies})),
    )

    # then every error is named by sheet, row and column, in Chinese, and nothing is saved
    assert not report.ok
    assert report.errors == [
        {"sheet": "任务清单", "row": 4, "column": "编号", "message": "编号“1.1”与第 3 行重复"},
        {"sheet": "任务清单", "row": 5, "column": "编号", "message": "编号“9”已存在于系统中"},
        {"sheet": "任务清单", "row": 6, "column": "编号", "message": "上级任务“5”不存在：既不在本文件中，也不在系统中"},
        {"sheet": "任务清单", "row": 7, "column": "领域", "message": f"未知的领域“数字农业”，应为：{DOMAINS}"},
        {
            "sheet": "任务清单",
            "row": 8,
            "column": "完成时限",
            "message": "完成时限（2026-03-01）不能早于开始日期（2026-06-01）",
        },
        {"sheet": "任务清单", "row": 9, "column": "权重", "message": "权重“很重要”不是数字"},
        {
            "sheet": "任务清单",
            "row": 10,
            "column": "牵头单位",
            "message": "单位“市农业农村局”不存在；请先在系统中建立该单位，或选择自动新建单位（--create-units）",
        },
        {
            "sheet": "任务清单",
            "row": 11,
            "column": "完成时限",
            "message": "完成时限：无法识别的日期“明年”，"
            "应为 2026-12-31、2026/12/31、2026年12月31日、2026年12月、2026年底 或 持续推进",
        },
        {"sheet": "任务清单", "row": 12, "column": "领域", "message": f"顶层任务必须填写领域，应为：{DOMAINS}"},
        {"sheet": "指标体系", "row": 2, "column": "目标值", "message": "目标值：“很多”不是数字"},
        {"sheet": "指标体系", "row": 3, "column": "任务编号", "message": "任务编号“8.8”不存在"},
        {"sheet": "政策体系", "row": 1, "column": "政策名称", "message": "缺少必填列“政策名称”"},
    ]
    assert report.created == {"tasks": 0, "indicators": 0, "policies": 0, "units": 0}
    assert list(Task.objects.values_list("code", flat=True)) == ["9"]
    assert not Indicator.objects.exists() and not Policy.objects.exists()
    assert TraceEntry.objects.count() == before


def test_policy_row_pointing_to_a_missing_task(dsj, office_user):
    data = workbook_bytes(
        {
            "任务清单": tasks_sheet(task_row("1", "甲", "数字社会")),
            "政策体系": [POLICY_HEADER, ["1、7.7", "关于推进数字社会建设的意见", "", "", ""]],
        }
    )
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.errors == [{"sheet": "政策体系", "row": 2, "column": "任务编号", "message": "任务编号“7.7”不存在"}]
    nothing_saved()


def test_duplicate_indicator_and_existing_indicator_are_errors(dsj, office_user):
    task = make_task("4", lead_unit=dsj)
    Indicator.objects.create(task=task, name="上云率", baseline_value=0, target_value=1)
    data = workbook_bytes(
        {
            "任务清单": tasks_sheet(task_row("4.1", "乙")),
            "指标体系": [
                INDICATOR_HEADER,
                ["4", "上云率", "%", "", 0, "", 90, "", ""],
                ["4.1", "覆盖率", "%", "", 0, "", 90, "", ""],
                ["4.1", "覆盖率", "%", "", 0, "", 95, "", ""],
            ],
        }
    )
    report = tasklist_import(actor=office_user, file=upload(data))
    assert [e["message"] for e in report.errors] == ["任务“4”已有指标“上云率”", "任务“4.1”的指标“覆盖率”与第 3 行重复"]
    assert [e["row"] for e in report.errors] == [2, 4]


def test_missing_required_task_columns(dsj, office_user):
    data = workbook_bytes({"任务清单": [["编号", "领域"], ["1", "数字政府"]]})
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.errors == [
        {"sheet": "任务清单", "row": 1, "column": "任务名称", "message": "缺少必填列“任务名称”"},
        {"sheet": "任务清单", "row": 1, "column": "牵头单位", "message": "缺少必填列“牵头单位”"},
    ]
    nothing_saved()


def test_missing_task_sheet(office_user):
    report = tasklist_import(actor=office_user, file=upload(workbook_bytes({"Sheet1": [["a"], [1]]})))
    assert {"sheet": "任务清单", "row": None, "column": "", "message": "缺少工作表“任务清单”"} in report.errors


def test_unknown_columns_and_sheets_are_warnings(dsj, office_user):
    header = ["备注", *TASK_HEADER]
    data = workbook_bytes(
        {"任务清单": [header, ["仅供参考", *task_row("1", "甲", "数字政府")]], "说明": [["填表说明"]]}
    )
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.ok
    assert report.warnings == [
        {"sheet": "任务清单", "row": 1, "column": "备注", "message": "未知的列“备注”，已忽略"},
        {"sheet": "说明", "row": None, "column": "", "message": "未知的工作表“说明”，已忽略"},
    ]
    assert Task.objects.get(code="1").title == "甲"


def test_columns_may_come_in_any_order(dsj, office_user):
    data = workbook_bytes(
        {"任务清单": [["牵头单位", "任务名称", "领域", "编号"], ["市大数据局", "甲", "数字经济", "7"]]}
    )
    assert tasklist_import(actor=office_user, file=upload(data)).ok
    assert Task.objects.get(code="7").domain.name == "数字经济"


# --- Units -------------------------------------------------------------------------------------


def test_create_units_makes_unknown_units_under_the_top_unit(city, dsj, office_user):
    rows = tasks_sheet(
        task_row("1", "甲", "数字经济", "市商务局", coop="市大数据局、市统计局"),
        task_row("1.1", "乙", "", "市商务局"),
    )
    report = tasklist_import(actor=office_user, file=upload(workbook_bytes({"任务清单": rows})), create_units=True)
    assert report.ok
    assert report.created["units"] == 2
    assert report.warnings == [
        {
            "sheet": "任务清单",
            "row": 2,
            "column": "牵头单位",
            "message": "已新建单位“市商务局”（隶属“测试市人民政府”）",
        },
        {
            "sheet": "任务清单",
            "row": 2,
            "column": "配合单位",
            "message": "已新建单位“市统计局”（隶属“测试市人民政府”）",
        },
    ]
    commerce = OrgUnit.objects.get(name="市商务局")
    assert commerce.parent == city and commerce.path == f"{city.path}{commerce.pk}/"
    assert Task.objects.get(code="1.1").lead_unit == commerce
    assert sorted(u.name for u in Task.objects.get(code="1").cooperating_units.all()) == ["市大数据局", "市统计局"]


def test_create_units_on_a_dry_run_creates_nothing(city, office_user):
    rows = tasks_sheet(task_row("1", "甲", "数字经济", "市商务局"))
    report = tasklist_import(
        actor=office_user, file=upload(workbook_bytes({"任务清单": rows})), create_units=True, dry_run=True
    )
    assert report.ok and report.created["units"] == 1
    assert report.warnings[0]["message"] == "将新建单位“市商务局”（隶属“测试市人民政府”）"
    assert not OrgUnit.objects.filter(name="市商务局").exists()
    nothing_saved()


def test_unit_names_are_trimmed_but_otherwise_exact(dsj, office_user):
    rows = tasks_sheet(task_row("1", "甲", "数字经济", "  市大数据局 "), task_row("2", "乙", "数字经济", "大数据局"))
    report = tasklist_import(actor=office_user, file=upload(workbook_bytes({"任务清单": rows})))
    assert [(e["row"], e["column"]) for e in report.errors] == [(3, "牵头单位")]


# --- Dry run, permissions, file limits ---------------------------------------------------------


def test_dry_run_checks_everything_and_saves_nothing(dsj, jxj, office_user):
    rows = tasks_sheet(*generated_rows(30))
    indicators = [INDICATOR_HEADER, ["1.1.1", "上线率", "%", "正向", 0, "", 100, "", ""]]
    report = tasklist_import(
        actor=office_user, file=upload(workbook_bytes({"任务清单": rows, "指标体系": indicators})), dry_run=True
    )
    assert report.ok and report.dry_run
    assert report.created == {"tasks": 30, "indicators": 1, "policies": 0, "units": 0}
    nothing_saved()


@pytest.mark.parametrize("role", [Role.LEADER, Role.UNIT_ADMIN, Role.UNIT_HANDLER, Role.AUDITOR])
def test_only_the_office_may_import(dsj, role):
    user = make_user(role, unit=dsj)
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("1", "甲", "数字政府"))})
    with pytest.raises(PermissionDenied) as err:
        tasklist_import(actor=user, file=upload(data))
    assert err.value.message == "您的角色无权导入任务清单"
    nothing_saved()


def test_a_superuser_may_import(dsj):
    admin = make_user(Role.AUDITOR, username="root", is_superuser=True)
    admin.groups.clear()
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("1", "甲", "数字政府"))})
    assert tasklist_import(actor=admin, file=upload(data)).ok


def test_a_file_that_is_not_an_xlsx_is_refused(office_user, tmp_path):
    text = tmp_path / "清单.xlsx"
    text.write_text("编号,任务名称\n1,甲\n", encoding="utf-8")
    report = tasklist_import(actor=office_user, file=text)
    assert report.errors == [
        {
            "sheet": "",
            "row": None,
            "column": "",
            "message": "文件不是有效的 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后重新导入",
        }
    ]
    import zipfile

    other_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert not tasklist_import(actor=office_user, file=other_zip).ok
    nothing_saved()


def test_a_file_over_the_size_limit_is_refused_before_parsing(office_user, settings, dsj):
    settings.IMPORT_MAX_BYTES = 1024
    data = workbook_bytes({"任务清单": tasks_sheet(task_row("1", "甲", "数字政府"))})
    assert len(data) > 1024
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.errors[0]["message"].startswith("文件过大（")
    assert "超过上限 1 KB" in report.errors[0]["message"]
    nothing_saved()


def test_a_file_with_too_many_rows_is_refused(office_user, settings, dsj, jxj):
    settings.IMPORT_MAX_ROWS = 20
    data = workbook_bytes({"任务清单": tasks_sheet(*generated_rows(21))})
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.errors == [
        {"sheet": "", "row": None, "column": "", "message": "文件行数过多：超过上限 20 行，请拆分后分批导入"}
    ]
    nothing_saved()
    settings.IMPORT_MAX_ROWS = 21
    assert tasklist_import(actor=office_user, file=upload(data), dry_run=True).ok


# --- Performance -------------------------------------------------------------------------------


def _queries_for(rows: list, office_user) -> int:
    codes = [r[0] for r in rows if r[0].count(".") == 2]
    indicators = [INDICATOR_HEADER] + [[c, "上线率", "%", "正向", 0, "", 100, "", ""] for c in codes]
    policies = [POLICY_HEADER] + [[c, "数字化改革实施方案", "〔2026〕1号", "市委改革办", ""] for c in codes]
    data = workbook_bytes({"任务清单": tasks_sheet(*rows), "指标体系": indicators, "政策体系": policies})
    with CaptureQueriesContext(connection) as ctx:
        report = tasklist_import(actor=office_user, file=upload(data))
    assert report.ok, report.errors
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_per_row(dsj, jxj, office_user):
    small = _queries_for(generated_rows(50, first_major=1), office_user)
    large = _queries_for(generated_rows(500, first_major=100), office_user)
    # ~20 for the import itself plus a fixed dozen for the light refresh of the new tasks.
    assert small <= 45
    if connection.vendor == "sqlite":
        # Django caps SQLite's bulk INSERTs at 999 parameters (~40 tasks a statement): 450 more rows
        # may cost a few statements per table, never one per row.
        assert large <= small + 25
    else:
        assert large <= small + 2
    assert Task.objects.count() == 550


# --- The management command --------------------------------------------------------------------


def test_command_json_prints_exactly_one_object(tmp_path, dsj, capsys):
    path = write(tmp_path, {"任务清单": tasks_sheet(task_row("1", "甲", "数字政府"))})
    call_command("import_tasklist", str(path), "--json")
    out = capsys.readouterr().out
    assert json.loads(out) == {
        "created": {"tasks": 1, "indicators": 0, "policies": 0, "units": 0},
        "errors": [],
        "warnings": [],
    }
    assert out.strip().count("\n") == 0
    assert Task.objects.filter(code="1").exists()


def test_command_exits_1_with_the_errors_as_json(tmp_path, dsj, capsys):
    path = write(tmp_path, {"任务清单": tasks_sheet(task_row("1", "甲", "数字农业"))})
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_tasklist", str(path), "--json")
    assert exit_info.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"created", "errors", "warnings"}
    assert result["errors"][0]["column"] == "领域" and result["errors"][0]["row"] == 2
    nothing_saved()


def test_command_readable_report_and_dry_run(tmp_path, dsj, capsys):
    path = write(tmp_path, {"任务清单": tasks_sheet(task_row("1", "甲", "数字政府"), task_row("2", "乙", "数字农业"))})
    with pytest.raises(SystemExit):
        call_command("import_tasklist", str(path))
    out = capsys.readouterr().out
    assert "导入失败：发现 1 处错误，未保存任何数据。" in out
    assert "[任务清单 第 3 行 “领域”列] 未知的领域“数字农业”" in out
    ok = write(tmp_path, {"任务清单": tasks_sheet(task_row("1", "甲", "数字政府"))}, name="ok.xlsx")
    call_command("import_tasklist", str(ok), "--dry-run")
    assert "试导入通过（未保存）：将新增任务 1 项、指标 0 项、政策 0 项、新建单位 0 个。" in capsys.readouterr().out
    nothing_saved()


def test_command_create_units(tmp_path, city, capsys):
    path = write(tmp_path, {"任务清单": tasks_sheet(task_row("1", "甲", "数字政府", "市数据资源中心"))})
    call_command("import_tasklist", str(path), "--create-units")
    assert "新建单位 1 个" in capsys.readouterr().out
    assert Task.objects.get(code="1").lead_unit.name == "市数据资源中心"


def test_command_real_exit_code_and_stdout_in_a_process(tmp_path):
    # A file that is not an xlsx is refused before the database is touched.
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 definitely not a workbook")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_tasklist", str(bad), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "reform.settings.test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        },
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["errors"][0]["message"].startswith("文件不是有效的 Excel 工作簿")
