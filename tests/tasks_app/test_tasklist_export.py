import io
from datetime import datetime

import openpyxl
import pytest
from django.core.management import call_command

from indicators.models import Indicator
from reform.errors import NotFound, PermissionDenied
from tasks_app.models import Policy, Task
from tasks_app.tasklist.export import tasklist_export
from tasks_app.tasklist.importer import tasklist_import
from tests.factories import Role, make_unit, make_user
from tests.tasks_app.tasklist_helpers import (
    INDICATOR_HEADER,
    POLICY_HEADER,
    TASK_HEADER,
    generated_rows,
    read_sheets,
    task_row,
    tasks_sheet,
    upload,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_list(dsj, jxj, office_user):
    """A task list using every column and value form, imported through the real service."""
    make_unit("市司法局", parent=dsj.parent)
    tasks = tasks_sheet(
        task_row("1", "数字政府建设", "数字政府", dims="治理、服务", coop="市经信局", owner="王五", weight=3),
        task_row(
            "1.1",
            "政务服务“一网通办”",
            "",
            "市经信局",
            dims="服务",
            coop="市大数据局、市司法局",
            start="2026/2/1",
            deadline="2026年12月",
            weight="1.5",
            measures="梳理高频事项清单\n推进业务流程再造",
            criteria="按期完成率（40%）\n群众满意度（60%）",
        ),
        task_row("1.1.1", "掌上办事", "", start=datetime(2026, 3, 1), deadline="持续推进", criteria="创新亮点"),
        task_row("1.2", "公共数据平台", "数字经济", dims="治理", start="2026年1月5日", deadline="2026年底"),
        task_row("2", "数字法治", "数字法治", "市司法局", deadline="2027-06-30"),
        task_row("2.1", "行政执法监督", "", "市司法局"),
    )
    indicators = [
        INDICATOR_HEADER,
        ["1.1", "一网通办率", "", "正向", "72.5%", "2025-12-31", "≥90%", "2026-12-31", "政务服务网"],
        ["1.1.1", "平均办理时长", "天", "反向", 12.3456, "2025-12-31", 3, "2027-06-30", ""],
        ["2.1", "执法案卷合格率", "%", "正向", 80, "", 95, "", "市司法局"],
    ]
    policies = [
        POLICY_HEADER,
        ["1、1.1", "关于深化数字政府建设的实施意见", "市政发〔2026〕12号", "市人民政府", "2026-03-01"],
        ["2.1", "行政执法监督办法", "", "市司法局", ""],
        ["2", "关于深化数字政府建设的实施意见", "市政发〔2026〕12号", "市人民政府", "2026-03-01"],
    ]
    data = workbook_bytes({"任务清单": tasks, "指标体系": indicators, "政策体系": policies})
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.ok, report.errors


def snapshot() -> dict:
    tasks = [
        (
            t.code,
            t.parent.code if t.parent_id else None,
            t.depth,
            t.is_leaf,
            t.title,
            t.domain.name,
            t.is_governance,
            t.is_service,
            t.lead_unit.name,
            sorted(u.name for u in t.cooperating_units.all()),
            t.owner_name,
            t.start_date,
            t.deadline,
            t.weight,
            [m.text for m in t.measures.all()],
            [(c.name, c.weight) for c in t.criteria.order_by("pk")],
        )
        for t in Task.objects.order_by("sort_key")
    ]
    indicators = sorted(
        (
            i.task.code,
            i.name,
            i.unit,
            i.direction,
            i.baseline_value,
            i.baseline_date,
            i.target_value,
            i.target_date,
            i.data_source,
        )
        for i in Indicator.objects.select_related("task")
    )
    policies = sorted(
        (p.title, p.doc_number, p.issuer, p.issued_on, sorted(p.tasks.values_list("code", flat=True)))
        for p in Policy.objects.all()
    )
    return {"tasks": tasks, "indicators": indicators, "policies": policies}


def empty_the_task_list() -> None:
    Policy.objects.all().delete()
    for depth in sorted(set(Task.objects.values_list("depth", flat=True)), reverse=True):
        Task.objects.filter(depth=depth).delete()  # measures, criteria and indicators cascade


def test_export_then_import_into_an_empty_database_gives_the_same_tree(rich_list, office_user):
    # given a task list and its export
    before = snapshot()
    data = tasklist_export(actor=office_user)
    # when the list is emptied and the export imported again
    empty_the_task_list()
    assert not Task.objects.exists()
    report = tasklist_import(actor=office_user, file=upload(data))
    # then the tree is the same, system by system
    assert report.ok, report.errors
    assert report.created == {"tasks": 6, "indicators": 3, "policies": 2, "units": 0}
    assert report.warnings == []
    assert snapshot() == before


def test_export_writes_the_template_with_bold_frozen_headers(rich_list, office_user):
    workbook = openpyxl.load_workbook(io.BytesIO(tasklist_export(actor=office_user)))
    assert workbook.sheetnames == ["任务清单", "指标体系", "政策体系"]
    tasks, indicators, policies = (workbook[name] for name in workbook.sheetnames)
    assert [c.value for c in tasks[1]] == TASK_HEADER
    assert [c.value for c in indicators[1]] == INDICATOR_HEADER
    assert [c.value for c in policies[1]] == POLICY_HEADER
    for ws in workbook.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
        assert ws.column_dimensions["B"].width >= 20
    rows = {row[0]: row for row in tasks.iter_rows(min_row=2, values_only=True)}
    assert rows["1.1"][1:10] == (
        "政务服务“一网通办”",
        "数字政府",
        "服务",
        "市经信局",
        "市大数据局、市司法局",
        None,
        datetime(2026, 2, 1),
        datetime(2026, 12, 31),
        1.5,
    )
    assert rows["1.1"][10] == "梳理高频事项清单\n推进业务流程再造"
    assert rows["1.1"][11] == "按期完成率（40%）\n群众满意度（60%）"
    assert rows["1.1.1"][8] == "持续推进"
    assert tasks["H3"].number_format == "yyyy-mm-dd"
    assert list(indicators.iter_rows(min_row=2, max_row=2, values_only=True))[0] == (
        "1.1",
        "一网通办率",
        "%",
        "正向",
        72.5,
        datetime(2025, 12, 31),
        90,
        datetime(2026, 12, 31),
        "政务服务网",
    )
    # one row per policy and task it is linked to
    assert [r[0] for r in policies.iter_rows(min_row=2, values_only=True)] == ["1", "1.1", "2", "2.1"]


def test_export_of_a_subtree(rich_list, office_user):
    sheets = read_sheets(tasklist_export(actor=office_user, root_code="1.1"))
    assert [r[0] for r in sheets["任务清单"][1:]] == ["1.1", "1.1.1"]
    assert [r[1] for r in sheets["指标体系"][1:]] == ["一网通办率", "平均办理时长"]
    assert [(r[0], r[1]) for r in sheets["政策体系"][1:]] == [("1.1", "关于深化数字政府建设的实施意见")]


def test_subtree_export_imports_under_an_existing_parent(rich_list, office_user):
    data = tasklist_export(actor=office_user, root_code="1.1")
    Task.objects.filter(code="1.1.1").delete()
    Task.objects.filter(code="1.1").delete()
    report = tasklist_import(actor=office_user, file=upload(data))
    assert report.ok, report.errors
    assert report.created["policies"] == 0  # the policy is still there and is linked again
    assert Task.objects.get(code="1.1.1").parent.code == "1.1"


def test_export_of_a_missing_root_is_not_found(rich_list, office_user):
    with pytest.raises(NotFound) as err:
        tasklist_export(actor=office_user, root_code="9.9")
    assert err.value.message == "任务“9.9”不存在"


@pytest.mark.parametrize("role", [Role.UNIT_HANDLER, Role.UNIT_ADMIN, Role.LEADER])
def test_only_the_office_may_export(dsj, role):
    with pytest.raises(PermissionDenied):
        tasklist_export(actor=make_user(role, unit=dsj))


def test_export_command_writes_the_file(rich_list, tmp_path, capsys):
    out = tmp_path / "导出.xlsx"
    call_command("export_tasklist", "--root", "2", "-o", str(out))
    assert "已导出到" in capsys.readouterr().out
    sheets = read_sheets(out.read_bytes())
    assert [r[0] for r in sheets["任务清单"][1:]] == ["2", "2.1"]
    assert sheets["任务清单"][1][8] == datetime(2027, 6, 30)


@pytest.mark.parametrize("rows", [20, 200])
def test_export_queries_stay_constant(dsj, jxj, office_user, rows, django_assert_max_num_queries):
    report = tasklist_import(
        actor=office_user, file=upload(workbook_bytes({"任务清单": tasks_sheet(*generated_rows(rows))}))
    )
    assert report.ok
    with django_assert_max_num_queries(8):
        data = tasklist_export(actor=office_user)
    assert len(read_sheets(data)["任务清单"]) == rows + 1


def test_empty_database_exports_headers_only(db, office_user):
    sheets = read_sheets(tasklist_export(actor=office_user))
    assert sheets == {
        "任务清单": [tuple(TASK_HEADER)],
        "指标体系": [tuple(INDICATOR_HEADER)],
        "政策体系": [tuple(POLICY_HEADER)],
    }
