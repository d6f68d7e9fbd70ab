"""The demo city's task list: fixtures/demo_tasklist.xlsx, imported through the real import service."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tasks_app import tree
from tasks_app.models import Task
from tasks_app.selectors.programmes import default_programme
from tasks_app.tasklist.importer import tasklist_import
from tasks_app.tasklist.report import ImportReport
from tasks_app.tasklist.schema import TASK_SHEET

DEMO_TASKLIST = Path(settings.BASE_DIR) / "fixtures" / "demo_tasklist.xlsx"


class DemoImportFailed(RuntimeError):
    """The committed demo workbook no longer imports cleanly."""


def demo_codes(path: Path = DEMO_TASKLIST) -> list[str]:
    """The task codes in the workbook's 编号 column."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook[TASK_SHEET].iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(rows)]
        column = header.index("编号")
        return [tree.normalise_code(row[column]) for row in rows if row and row[column] not in (None, "")]
    finally:
        workbook.close()


def load_demo_tasklist(path: Path = DEMO_TASKLIST) -> ImportReport:
    """Import the demo task list as the system; do nothing if its tasks are already there.

    The caller picks the day it happens on (``build_demo`` runs it on the eve of the launch).
    """
    codes = demo_codes(path)
    if Task.objects.filter(programme=default_programme(), code__in=codes).exists():
        message = "演示任务清单已导入，跳过"
        return ImportReport(warnings=[{"sheet": TASK_SHEET, "row": None, "column": "", "message": message}])
    report = tasklist_import(actor=None, file=path)
    if not report.ok:
        problems = "；".join(f"{e['sheet']} 第 {e['row']} 行 {e['column']}：{e['message']}" for e in report.errors[:10])
        raise DemoImportFailed(f"演示任务清单导入失败：{problems}")
    return report
