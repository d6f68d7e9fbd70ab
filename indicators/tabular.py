"""Reading indicator values from tables (CSV or xlsx uploads, source adapters): pure parsing, no database.

Columns: 任务编号, 指标名称, 期间, 数值 (required) and 佐证材料 (optional). Every problem is named by
sheet, row and column with a Chinese message, in the same shape as the task-list import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from reform.periods import month_end, period_of
from reform.spreadsheet import Limits, NotAnXlsx, SpreadsheetRefused, open_workbook, too_many_rows
from reform.text import clean_text
from tasks_app.tree import normalise_code

REQUIRED_COLUMNS = ("任务编号", "指标名称", "期间", "数值")
EVIDENCE_COLUMN = "佐证材料"
DEFAULT_SHEET = "指标数据"
TENDAY_STARTS = {"上旬": 1, "中旬": 11, "下旬": 21}
PERIOD_HINT = "2026-10、2026年10月、2026年10月中旬 或 2026-10-15"


@dataclass(frozen=True)
class MeasurementRow:
    """One value to record: what a source adapter yields and what an uploaded row becomes."""

    task_code: str
    indicator_name: str
    period: Any  # text as written ("2026年10月中旬"), or a date
    value: Any  # text or a number
    row: int = 0
    evidence: str = ""


@dataclass(frozen=True)
class ParsedPeriod:
    end: date | None
    error: str = ""
    warning: str = ""


def issue(sheet: str, row: int | None, column: str, message: str) -> dict[str, Any]:
    return {"sheet": sheet, "row": row, "column": column, "message": message}


def parse_period(raw: Any, kind: str) -> ParsedPeriod:
    """Read a period as written into the last day of the indicator's period (``kind``: month or tenday).

    A date means the period containing it. A month given for a ten-day indicator means its last
    ten-day period (下旬), with a warning; a ten-day period given for a monthly indicator is an error.
    """
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return ParsedPeriod(period_of(raw, kind).end)
    if isinstance(raw, float):  # 2026.10 typed into a number cell reads back as 2026.1
        return ParsedPeriod(None, error=_("期间“%(p)s”被识别为数字，请将该列设为文本格式") % {"p": raw})
    text = re.sub(r"\s+", "", str(raw if raw is not None else ""))
    if not text:
        return ParsedPeriod(None, error=_("期间不能为空"))
    unknown = ParsedPeriod(None, error=_("无法识别的期间“%(p)s”，应如 %(hint)s") % {"p": text, "hint": PERIOD_HINT})
    if m := re.fullmatch(r"(\d{4})年(\d{1,2})月(上旬|中旬|下旬)", text):
        if not 1 <= int(m[2]) <= 12:
            return unknown
        if kind != "tenday":
            return ParsedPeriod(
                None, error=_("该指标按月统计，期间应填月份，如 2026年10月，而不是“%(p)s”") % {"p": text}
            )
        return ParsedPeriod(period_of(date(int(m[1]), int(m[2]), TENDAY_STARTS[m[3]]), "tenday").end)
    if m := re.fullmatch(r"(\d{4})(?:[-/.]|年)(\d{1,2})月?", text):
        if not 1 <= int(m[2]) <= 12:
            return unknown
        end = month_end(int(m[1]), int(m[2]))
        if kind == "tenday":
            label = period_of(end, "tenday").label
            return ParsedPeriod(end, warning=_("该指标按旬统计，“%(p)s”按%(label)s计") % {"p": text, "label": label})
        return ParsedPeriod(end)
    if m := re.fullmatch(r"(\d{4})(?:[-/.]|年)(\d{1,2})(?:[-/.]|月)(\d{1,2})日?", text):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return unknown
        return ParsedPeriod(period_of(day, kind).end)
    return unknown


def parse_number(raw: Any) -> Decimal | None:
    """Read ``62.5``, ``"62.5%"``, ``"1,200"`` or ``"≥90"`` as a finite Decimal; ``None`` if it is not a number.

    Whether the number may be stored (its range) is ``reform.numbers.indicator_number``'s to say.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float, Decimal)):
        text = str(raw)
    else:
        text = str(raw if raw is not None else "").strip().replace(",", "").replace("，", "")
        text = text.lstrip("≥≤><=约").rstrip("%％").strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number


def read_table(*, name: str, content: bytes, sheet: str = "") -> tuple[list[MeasurementRow], list[dict[str, Any]], str]:
    """Read a CSV (UTF-8 with or without BOM, or GB18030) or an xlsx into rows; return rows, errors, sheet name."""
    sheet = sheet or DEFAULT_SHEET
    if name.lower().endswith((".xlsx", ".xlsm")):
        try:
            with open_workbook(io.BytesIO(content)) as book:
                names = book.sheetnames
                sheet = DEFAULT_SHEET if DEFAULT_SHEET in names else names[0]
                return _rows_of(book.rows(sheet, values_only=True), sheet)
        except NotAnXlsx:
            return [], [issue(sheet, None, "", _("文件“%(n)s”不是有效的 xlsx 表格") % {"n": name})], sheet
        except SpreadsheetRefused as exc:
            return [], [issue(sheet, None, "", _("文件“%(n)s”：%(why)s") % {"n": name, "why": exc.message})], sheet
        except IndexError:  # a workbook without a sheet
            return [], [issue(sheet, None, "", _("文件中没有数据"))], sheet
    elif name.lower().endswith((".csv", ".txt")) or "." not in name.rsplit("/", 1)[-1]:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return [], [issue(sheet, None, "", _("文件编码无法识别，请另存为 UTF-8 编码的 CSV"))], sheet
        return _rows_of(_bounded_csv(text), sheet)
    return [], [issue(sheet, None, "", _("只支持 CSV 或 xlsx 文件，“%(n)s”不是") % {"n": name})], sheet


def _bounded_csv(text: str) -> Iterator[list[str]]:
    """The CSV's rows, refused past the same row and column limits as a workbook."""
    limits = Limits.from_settings()
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number > limits.rows:
            raise SpreadsheetRefused(too_many_rows(limits))
        if len(row) > limits.columns:
            raise SpreadsheetRefused(_("文件列数超过上限 %(n)d 列") % {"n": limits.columns})
        yield row


def _rows_of(table: Iterable[Sequence[Any]], sheet: str) -> tuple[list[MeasurementRow], list[dict[str, Any]], str]:
    """Read the header and the rows of one table, streaming; return rows, errors, sheet name."""
    lines = iter(enumerate(table, start=1))
    try:
        header_number, first = next((n, r) for n, r in lines if any(v not in (None, "") for v in r))
    except StopIteration:
        return [], [issue(sheet, None, "", _("文件中没有数据"))], sheet
    except SpreadsheetRefused as exc:
        return [], [issue(sheet, None, "", exc.message)], sheet
    header = [str(h if h is not None else "").strip().lstrip("*＊") for h in first]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [issue(sheet, header_number, c, _("缺少必需的列“%(c)s”") % {"c": c}) for c in missing], sheet
    index = {c: header.index(c) for c in (*REQUIRED_COLUMNS, EVIDENCE_COLUMN) if c in header}

    def cell(values: Sequence[Any], column: str) -> Any:
        position = index.get(column)
        return values[position] if position is not None and position < len(values) else None

    rows = []
    try:
        for number, values in lines:
            if not any(v not in (None, "") and str(v).strip() for v in values):
                continue
            code = cell(values, "任务编号")
            rows.append(
                MeasurementRow(
                    task_code=normalise_code(clean_text(str(code))) if code is not None else "",
                    indicator_name=clean_text(str(cell(values, "指标名称") or "")),
                    period=cell(values, "期间"),
                    value=cell(values, "数值"),
                    row=number,
                    evidence=clean_text(str(cell(values, EVIDENCE_COLUMN) or "")),
                )
            )
    except SpreadsheetRefused as exc:
        return [], [issue(sheet, None, "", exc.message)], sheet
    if not rows:
        return [], [issue(sheet, None, "", _("文件中没有数据"))], sheet
    return rows, [], sheet
