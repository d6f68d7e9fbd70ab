"""Build task-list workbooks in memory for the import/export tests."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import openpyxl

TASK_HEADER = [
    "编号",
    "任务名称",
    "领域",
    "维度",
    "牵头单位",
    "配合单位",
    "责任人",
    "开始日期",
    "完成时限",
    "权重",
    "工作举措",
    "评价标准",
]
INDICATOR_HEADER = [
    "任务编号",
    "指标名称",
    "计量单位",
    "指标方向",
    "基线值",
    "基线日期",
    "目标值",
    "目标日期",
    "数据来源",
]
POLICY_HEADER = ["任务编号", "政策名称", "文号", "发文机关", "发布日期"]


def workbook_bytes(
    sheets: dict[str, Sequence[Sequence[Any]]], formats: dict[tuple[str, str], str] | None = None
) -> bytes:
    """Sheets as {name: [header, row, …]}; ``formats`` sets number formats by cell, e.g. {("指标体系", "G2"): "0%"}."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    for (name, ref), number_format in (formats or {}).items():
        wb[name][ref].number_format = number_format
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "清单.xlsx") -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def task_row(
    code: str,
    title: str,
    domain: str = "",
    lead: str = "市大数据局",
    *,
    dims: str = "",
    coop: str = "",
    owner: str = "",
    start: Any = None,
    deadline: Any = None,
    weight: Any = None,
    measures: str = "",
    criteria: str = "",
) -> list[Any]:
    return [code, title, domain, dims, lead, coop, owner, start, deadline, weight, measures, criteria]


def read_sheets(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def tasks_sheet(*rows: list[Any], header: list[str] | None = None) -> list[list[Any]]:
    return [header or TASK_HEADER, *rows]


def generated_rows(
    count: int, *, lead: str = "市大数据局", coop: str = "市经信局", first_major: int = 1
) -> list[list[Any]]:
    """``count`` rows: majors of 1 + 9 sub-tasks × 10 items, with measures and criteria."""
    rows: list[list[Any]] = []
    major = first_major - 1
    while len(rows) < count:
        major += 1
        rows.append(task_row(str(major), f"重大任务{major}", "数字政府", lead, dims="治理、服务"))
        for sub in range(1, 10):
            if len(rows) >= count:
                break
            rows.append(task_row(f"{major}.{sub}", f"子任务{major}.{sub}", "", lead, coop=coop))
            for item in range(1, 11):
                if len(rows) >= count:
                    break
                rows.append(
                    task_row(
                        f"{major}.{sub}.{item}",
                        f"事项{major}.{sub}.{item}",
                        "",
                        lead,
                        coop=coop,
                        start="2026-01-01",
                        deadline="2026年12月",
                        weight=2,
                        measures="建立工作专班\n制定实施方案",
                        criteria="按期完成率（60%）；群众满意度（40%）",
                    )
                )
    return rows
