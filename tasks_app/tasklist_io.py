"""Excel import and export of the task list (任务清单) with its indicators (指标体系) and policies (政策体系).

The workbook has three sheets, each with a header row (row 1) whose columns may come in any order:

* 任务清单 — one row per task; the dotted 编号 says where it sits (``2.3.1`` under ``2.3``);
* 指标体系 — indicators, by 任务编号;
* 政策体系 — policy documents, by 任务编号 (one document linked to several tasks is stored once).

An import is all or nothing: every problem in the file is collected (sheet, Excel row, column and a
Chinese message) and one error means nothing is saved. A clean file is saved with bulk inserts in
one transaction, and every created task is traced.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import os
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from indicators.models import Indicator
from orgs.models import OrgUnit
from orgs.services import orgunit_create
from reform.errors import NotFound
from trail.chain import append_many

from . import access, events, services, tree
from .models import Domain, EvaluationCriterion, Measure, Policy, Task
from .workflow import FINAL_STATUSES, Status

if TYPE_CHECKING:
    from accounts.models import User

TASK_SHEET = "任务清单"
INDICATOR_SHEET = "指标体系"
POLICY_SHEET = "政策体系"
SHEETS = (TASK_SHEET, INDICATOR_SHEET, POLICY_SHEET)

TASK_COLUMNS = (
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
)
INDICATOR_COLUMNS = (
    "任务编号",
    "指标名称",
    "计量单位",
    "指标方向",
    "基线值",
    "基线日期",
    "目标值",
    "目标日期",
    "数据来源",
)
POLICY_COLUMNS = ("任务编号", "政策名称", "文号", "发文机关", "发布日期")
COLUMNS = {TASK_SHEET: TASK_COLUMNS, INDICATOR_SHEET: INDICATOR_COLUMNS, POLICY_SHEET: POLICY_COLUMNS}
REQUIRED = {
    TASK_SHEET: ("编号", "任务名称", "牵头单位"),
    INDICATOR_SHEET: ("任务编号", "指标名称", "目标值"),
    POLICY_SHEET: ("任务编号", "政策名称"),
}
COLUMN_WIDTHS = {
    "编号": 10,
    "任务名称": 44,
    "领域": 18,
    "维度": 10,
    "牵头单位": 16,
    "配合单位": 28,
    "责任人": 10,
    "开始日期": 12,
    "完成时限": 12,
    "权重": 8,
    "工作举措": 48,
    "评价标准": 36,
    "任务编号": 10,
    "指标名称": 34,
    "计量单位": 10,
    "指标方向": 10,
    "基线值": 10,
    "基线日期": 12,
    "目标值": 10,
    "目标日期": 12,
    "数据来源": 20,
    "政策名称": 48,
    "文号": 22,
    "发文机关": 24,
    "发布日期": 12,
}
# Model field lengths, so an over-long cell is a row error instead of a database error.
MAX_LENGTHS = {
    "编号": 64,
    "任务名称": 300,
    "责任人": 64,
    "牵头单位": 100,
    "配合单位": 100,
    "指标名称": 200,
    "计量单位": 32,
    "数据来源": 200,
    "政策名称": 300,
    "文号": 100,
    "发文机关": 200,
}

DIMENSIONS = {"治理": "is_governance", "服务": "is_service"}
DIRECTIONS = {
    "正向": Indicator.Direction.HIGHER,
    "越高越好": Indicator.Direction.HIGHER,
    "反向": Indicator.Direction.LOWER,
    "越低越好": Indicator.Direction.LOWER,
}
NO_DEADLINE_WORDS = ("持续推进", "长期", "长期推进", "长期坚持", "常态化", "常态化推进", "持续")
BLANK_MARKS = {"-", "—", "——", "/", "无", "暂无"}

LIST_SPLIT = re.compile(r"[、，,;；\n\r]+")
DIMENSION_SPLIT = re.compile(r"[、，,;；+＋/和及\s]+")
LINE_SPLIT = re.compile(r"[\n\r]+")
CRITERIA_SPLIT = re.compile(r"[\n\r;；]+")
CRITERION_WEIGHT = re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?:权重\s*[:：]?\s*)?(?P<w>\d+(?:\.\d+)?)\s*%?\s*[)）]$")
DATE_YMD = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
DATE_YM = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
DATE_CN_YMD = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
DATE_CN_YM = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月(?:份)?(?:底|末)?$")
DATE_CN_Y = re.compile(r"^(\d{4})\s*年(?:度)?(?:底|末)?$")
DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DEADLINE_SUFFIX = re.compile(r"(?:之前|以前|前)$")
NUMBER_PREFIX = re.compile(r"^(?:≥|≤|>=|<=|>|<|≧|≦|约|不低于|不高于|不少于|不多于|不超过|达到|超过|低于|高于|~)\s*")
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")

# Query ``code IN (…)`` in chunks: PostgreSQL takes at most 65,535 parameters per statement.
LOOKUP_CHUNK = 5_000
BULK_BATCH = 1_000
DATE_HINT = "2026-12-31、2026/12/31、2026年12月31日、2026年12月、2026年底 或 持续推进"


# --- The report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import created (or, on a dry run, would create) and every problem found, by cell."""

    created: dict[str, int] = field(default_factory=lambda: {"tasks": 0, "indicators": 0, "policies": 0, "units": 0})
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"created": dict(self.created), "errors": list(self.errors), "warnings": list(self.warnings)}


def _empty_counts() -> dict[str, int]:
    return {"tasks": 0, "indicators": 0, "policies": 0, "units": 0}


class _Issues:
    """Collects errors and warnings; each names the sheet, the Excel row, the column and says what is wrong."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []

    def error(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})

    def warning(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.warnings.append({"sheet": sheet, "row": row, "column": column, "message": message})

    @staticmethod
    def _order(issue: dict[str, Any]) -> tuple[int, int, int]:
        sheet = issue["sheet"]
        sheet_index = SHEETS.index(sheet) + 1 if sheet in SHEETS else (0 if not sheet else len(SHEETS) + 1)
        columns = COLUMNS.get(sheet, ())
        column_index = columns.index(issue["column"]) if issue["column"] in columns else len(columns)
        return sheet_index, issue["row"] or 0, column_index

    def report(self, created: dict[str, int] | None = None, **kwargs: Any) -> ImportReport:
        return ImportReport(
            created=created or _empty_counts(),
            errors=sorted(self.errors, key=self._order),
            warnings=sorted(self.warnings, key=self._order),
            **kwargs,
        )


# --- Cell parsers (pure) -----------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as is."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise(text: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms (“２０２６／１２” → “2026/12”)."""
    return unicodedata.normalize("NFKC", text).strip()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(value: Any, *, deadline: bool = False) -> date | None:
    """Read a date as spreadsheets hold it; blank and “持续推进”/“长期” mean none (an ongoing task).

    ``2021年12月`` is the month's last day; ``2021年``, ``2021年底`` and ``2021年末`` are 31 December.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(_("无法识别的日期“%(v)s”") % {"v": value})
    if isinstance(value, (int, float)):
        if 20000 <= value <= 80000:  # an Excel serial date whose cell lost its date format
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        value = _text(value)
    text = _normalise(str(value))
    if not text or text in BLANK_MARKS or any(text.startswith(word) for word in NO_DEADLINE_WORDS):
        return None
    if deadline:
        text = DEADLINE_SUFFIX.sub("", text).strip()
    try:
        if m := DATE_YMD.match(text) or DATE_CN_YMD.match(text) or DATE_DIGITS.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := DATE_CN_YM.match(text) or DATE_YM.match(text):
            return _month_end(int(m[1]), int(m[2]))
        if m := DATE_CN_Y.match(text):
            return date(int(m[1]), 12, 31)
    except ValueError as exc:
        raise CellError(_("日期“%(v)s”不存在") % {"v": value}) from exc
    raise CellError(_("无法识别的日期“%(v)s”，应为 %(hint)s") % {"v": value, "hint": DATE_HINT})


def parse_number(value: Any, *, percent_format: bool = False) -> tuple[Decimal | None, str]:
    """Read a number; return it and the unit it carried (“≥85%” → 85 and “%”). Blank is ``None``."""
    if value is None:
        return None, ""
    if isinstance(value, bool):
        raise CellError(_("“%(v)s”不是数字") % {"v": value})
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        if not number.is_finite():
            raise CellError(_("“%(v)s”不是数字") % {"v": value})
        if percent_format:  # a cell typed as “85%” holds 0.85 with a percent format
            return (number * 100).normalize(), "%"
        return number, ""
    text = _normalise(str(value))
    if not text or text in BLANK_MARKS:
        return None, ""
    unit = ""
    body = NUMBER_PREFIX.sub("", text).replace(",", "").strip()
    if body.endswith("%"):
        unit, body = "%", body[:-1].strip()
    if not NUMBER.match(body):
        raise CellError(_("“%(v)s”不是数字") % {"v": value})
    return Decimal(body), unit


def split_list(value: Any) -> list[str]:
    """Split a cell listing several names (、 ， , ; or a new line), dropping blanks and repeats."""
    seen: dict[str, None] = {}
    for part in LIST_SPLIT.split(_text(value)):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def parse_dimensions(value: Any) -> tuple[bool, bool]:
    """“治理”, “服务”, or both joined by 、 or +; return (governance, service)."""
    flags = {"is_governance": False, "is_service": False}
    for part in DIMENSION_SPLIT.split(_normalise(_text(value))):
        token = part.strip().removesuffix("维度")
        if not token:
            continue
        if token not in DIMENSIONS:
            raise CellError(_("未知的维度“%(v)s”，应为：治理、服务，或“治理、服务”") % {"v": part})
        flags[DIMENSIONS[token]] = True
    return flags["is_governance"], flags["is_service"]


def parse_criteria(value: Any) -> list[tuple[str, Decimal]]:
    """One criterion a line (or ；-separated), with an optional weight: “按期完成率（40%）” → weight 40."""
    criteria = []
    for part in CRITERIA_SPLIT.split(_text(value)):
        part = part.strip()
        if not part:
            continue
        m = CRITERION_WEIGHT.match(part)
        if m and Decimal(m["w"]) > 0:
            criteria.append((m["name"].strip(), Decimal(m["w"])))
        else:
            criteria.append((part, Decimal(1)))
    return criteria


def format_criterion(name: str, weight: Decimal) -> str:
    """The cell text ``parse_criteria`` reads back: the weight in brackets unless it is 1."""
    return name if weight == 1 else f"{name}（{format(weight.normalize(), 'f')}%）"


def _cell_number(number: Decimal | None) -> int | float | None:
    if number is None:
        return None
    normal = number.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


# --- Reading the workbook ----------------------------------------------------------------------


class FileRefused(Exception):
    """The file as a whole cannot be read (not an xlsx, too large, too many rows)."""


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    formats: dict[str, str]

    def text(self, column: str) -> str:
        return _text(self.values.get(column))


@dataclass
class _Sheet:
    name: str
    present: bool = False
    readable: bool = True  # every required column is there, none twice
    columns: set[str] = field(default_factory=set)
    rows: list[_Row] = field(default_factory=list)


def _file_bytes(file: Any) -> tuple[IO[bytes], str]:
    """Return a seekable binary stream and a display name; refuse an oversized file before parsing it."""
    limit = settings.IMPORT_MAX_BYTES
    if isinstance(file, (str, Path)):
        path = Path(file)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise FileRefused(_("无法读取文件“%(name)s”：%(err)s") % {"name": path.name, "err": exc.strerror}) from exc
        _check_size(size, limit)
        return path.open("rb"), path.name
    name = os.path.basename(str(getattr(file, "name", "") or "")) or _("上传文件")
    declared_size = getattr(file, "size", None)
    if isinstance(declared_size, int):
        _check_size(declared_size, limit)
    if hasattr(file, "seek") and hasattr(file, "tell") and getattr(file, "seekable", lambda: True)():
        start = file.tell()
        file.seek(0, os.SEEK_END)
        _check_size(file.tell() - start, limit)
        file.seek(start)
        return file, name
    data = file.read(limit + 1)
    _check_size(len(data), limit)
    return io.BytesIO(data), name


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise FileRefused(
            _("文件过大（%(size)s），超过上限 %(limit)s，请拆分后分批导入")
            % {"size": _human_size(size), "limit": _human_size(limit)}
        )


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size} B"


def _sha256(stream: IO[bytes]) -> str:
    start = stream.tell()
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    stream.seek(start)
    return digest.hexdigest()


def _header_name(value: Any) -> str:
    return re.sub(r"\s+", "", _normalise(_text(value))).strip("*＊")


def _read_workbook(stream: IO[bytes], issues: _Issues) -> dict[str, _Sheet]:
    """Stream the three sheets (openpyxl read-only), counting rows against IMPORT_MAX_ROWS."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    not_xlsx = _("文件不是有效的 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后重新导入")
    if not zipfile.is_zipfile(stream):
        raise FileRefused(not_xlsx)
    stream.seek(0)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(not_xlsx) from exc
    limit = settings.IMPORT_MAX_ROWS
    too_many = _("文件行数过多：超过上限 %(limit)s 行，请拆分后分批导入") % {"limit": f"{limit:,}"}
    sheets = {name: _Sheet(name) for name in SHEETS}
    try:
        for title in workbook.sheetnames:
            if _header_name(title) not in sheets:
                issues.warning(title, None, "", _("未知的工作表“%(s)s”，已忽略") % {"s": title})
        declared = sum(max((workbook[t].max_row or 1) - 1, 0) for t in workbook.sheetnames if _header_name(t) in sheets)
        if declared > limit:
            raise FileRefused(too_many)
        counted = 0
        for title in workbook.sheetnames:
            name = _header_name(title)
            if name not in sheets or sheets[name].present:
                continue
            sheet = sheets[name]
            sheet.present = True
            for row in _read_sheet(workbook[title], sheet, issues):
                counted += 1
                if counted > limit:
                    raise FileRefused(too_many)
                sheet.rows.append(row)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FileRefused(not_xlsx) from exc
    finally:
        workbook.close()
    return sheets


def _read_sheet(worksheet: Any, sheet: _Sheet, issues: _Issues) -> Iterator[_Row]:
    known = COLUMNS[sheet.name]
    rows = worksheet.iter_rows(values_only=False)
    header_cells = next(rows, None)
    if header_cells is None:
        return
    positions: dict[int, str] = {}
    for index, cell in enumerate(header_cells):
        name = _header_name(cell.value)
        if not name:
            continue
        if name not in known:
            issues.warning(sheet.name, 1, name, _("未知的列“%(c)s”，已忽略") % {"c": name})
        elif name in sheet.columns:
            issues.error(sheet.name, 1, name, _("列“%(c)s”重复出现") % {"c": name})
            sheet.readable = False
        else:
            sheet.columns.add(name)
            positions[index] = name
    for column in REQUIRED[sheet.name]:
        if column not in sheet.columns:
            issues.error(sheet.name, 1, column, _("缺少必填列“%(c)s”") % {"c": column})
            sheet.readable = False
    width = max(positions, default=-1) + 1
    for number, cells in enumerate(rows, start=2):
        values: dict[str, Any] = {}
        formats: dict[str, str] = {}
        for index, cell in enumerate(cells[:width]):
            heading = positions.get(index)
            if heading is None:
                continue
            value = cell.value
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                continue
            values[heading] = value
            number_format = getattr(cell, "number_format", "General")
            if number_format and "%" in number_format:
                formats[heading] = number_format
        if values:
            yield _Row(number, values, formats)


# --- The plan built from the file --------------------------------------------------------------


@dataclass
class _TaskPlan:
    row: int
    code: str
    title: str
    domain_id: int | None
    is_governance: bool
    is_service: bool
    lead_unit: str
    cooperating_units: list[str]
    owner_name: str
    start_date: date | None
    deadline: date | None
    weight: Decimal
    measures: list[str]
    criteria: list[tuple[str, Decimal]]


@dataclass
class _IndicatorPlan:
    row: int
    task_code: str
    name: str
    unit: str
    direction: str
    baseline_value: Decimal
    baseline_date: date | None
    target_value: Decimal
    target_date: date | None
    data_source: str


@dataclass
class _PolicyPlan:
    row: int
    task_codes: list[str]
    title: str
    doc_number: str
    issuer: str
    issued_on: date | None


class _Importer:
    def __init__(self, *, actor: User | None, create_units: bool, issues: _Issues) -> None:
        self.actor = actor
        self.create_units = create_units
        self.issues = issues
        self.tasks: dict[str, _TaskPlan] = {}
        self.indicators: list[_IndicatorPlan] = []
        self.policies: list[_PolicyPlan] = []
        self.domains = {d.name: d.pk for d in Domain.objects.all()}
        self.domain_names = list(self.domains)

    # -- small helpers ---------------------------------------------------------------------------
    def _error(self, sheet: str, row: _Row, column: str, message: str) -> None:
        self.issues.error(sheet, row.number, column, message)

    def _length_ok(self, sheet: str, row: _Row, column: str, text: str) -> bool:
        limit = MAX_LENGTHS.get(column)
        if limit is not None and len(text) > limit:
            self._error(sheet, row, column, _("“%(c)s”过长：最多 %(n)s 个字") % {"c": column, "n": limit})
            return False
        return True

    def _date(self, sheet: str, row: _Row, column: str, *, deadline: bool = False) -> tuple[date | None, bool]:
        try:
            return parse_date(row.values.get(column), deadline=deadline), True
        except CellError as exc:
            self._error(sheet, row, column, f"{column}：{exc}")
            return None, False

    def _number(self, sheet: str, row: _Row, column: str) -> tuple[Decimal | None, str, bool]:
        try:
            number, unit = parse_number(row.values.get(column), percent_format=column in row.formats)
        except CellError as exc:
            self._error(sheet, row, column, f"{column}：{exc}")
            return None, "", False
        if number is not None and abs(number) >= Decimal("1e14"):
            self._error(sheet, row, column, _("%(c)s超出范围") % {"c": column})
            return None, "", False
        return number, unit, True

    # -- 任务清单 --------------------------------------------------------------------------------
    def parse_tasks(self, sheet: _Sheet) -> None:
        name = TASK_SHEET
        first_row: dict[str, int] = {}
        for row in sheet.rows:
            code = tree.normalise_code(row.values.get("编号", ""))
            register = False
            if message := tree.code_error(code):
                self._error(name, row, "编号", message)
            elif not self._length_ok(name, row, "编号", code):
                pass
            elif code in first_row:
                self._error(name, row, "编号", _("编号“%(c)s”与第 %(r)s 行重复") % {"c": code, "r": first_row[code]})
            else:
                first_row[code] = row.number
                register = True
            title = row.text("任务名称")
            if not title:
                self._error(name, row, "任务名称", _("任务名称不能为空"))
            self._length_ok(name, row, "任务名称", title)
            domain_id = None
            domain_name = row.text("领域")
            all_domains = "、".join(self.domain_names)
            if domain_name:
                domain_id = self.domains.get(_normalise(domain_name))
                if domain_id is None:
                    message = _("未知的领域“%(d)s”，应为：%(all)s") % {"d": domain_name, "all": all_domains}
                    self._error(name, row, "领域", message)
            elif register and "." not in code:
                self._error(name, row, "领域", _("顶层任务必须填写领域，应为：%(all)s") % {"all": all_domains})
            try:
                is_governance, is_service = parse_dimensions(row.values.get("维度"))
            except CellError as exc:
                self._error(name, row, "维度", str(exc))
                is_governance = is_service = False
            lead = row.text("牵头单位")
            if not lead:
                self._error(name, row, "牵头单位", _("牵头单位不能为空"))
            self._length_ok(name, row, "牵头单位", lead)
            listed = split_list(row.values.get("配合单位"))
            cooperating = [u for u in listed if u != lead]
            if lead and lead in listed:
                message = _("配合单位中的“%(u)s”即牵头单位，已忽略") % {"u": lead}
                self.issues.warning(name, row.number, "配合单位", message)
            for unit in cooperating:
                self._length_ok(name, row, "配合单位", unit)
            owner_name = row.text("责任人")
            self._length_ok(name, row, "责任人", owner_name)
            start, _ok = self._date(name, row, "开始日期")
            deadline, _ok = self._date(name, row, "完成时限", deadline=True)
            if start and deadline and deadline < start:
                message = _("完成时限（%(d)s）不能早于开始日期（%(s)s）") % {"d": deadline, "s": start}
                self._error(name, row, "完成时限", message)
            weight = self._weight(row)
            measures = [line.strip() for line in LINE_SPLIT.split(row.text("工作举措")) if line.strip()]
            criteria = parse_criteria(row.values.get("评价标准"))
            for criterion, criterion_weight in criteria:
                if len(criterion) > 300:
                    message = _("评价标准“%(c)s…”过长：最多 300 个字") % {"c": criterion[:20]}
                    self._error(name, row, "评价标准", message)
                if criterion_weight >= Decimal("10000"):
                    self._error(name, row, "评价标准", _("评价标准“%(c)s”的权重过大") % {"c": criterion})
            if not register:
                continue
            self.tasks[code] = _TaskPlan(
                row=row.number,
                code=code,
                title=title,
                domain_id=domain_id,
                is_governance=is_governance,
                is_service=is_service,
                lead_unit=lead,
                cooperating_units=cooperating,
                owner_name=owner_name,
                start_date=start,
                deadline=deadline,
                weight=weight or Decimal(1),
                measures=measures,
                criteria=criteria,
            )

    def _weight(self, row: _Row) -> Decimal | None:
        raw = row.values.get("权重")
        if raw is None:
            return Decimal(1)
        try:
            number, _unit = parse_number(raw)
        except CellError:
            self._error(TASK_SHEET, row, "权重", _("权重“%(v)s”不是数字") % {"v": raw})
            return None
        if number is None:
            return Decimal(1)
        number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if number <= 0 or number >= Decimal("1000000"):
            self._error(TASK_SHEET, row, "权重", _("权重必须是大于 0 的数字（小于 1000000），实为“%(v)s”") % {"v": raw})
            return None
        return number

    # -- 指标体系 --------------------------------------------------------------------------------
    def parse_indicators(self, sheet: _Sheet) -> None:
        name = INDICATOR_SHEET
        for row in sheet.rows:
            valid = True
            task_code = tree.normalise_code(row.values.get("任务编号", ""))
            if not task_code:
                self._error(name, row, "任务编号", _("任务编号不能为空"))
                valid = False
            indicator = row.text("指标名称")
            if not indicator:
                self._error(name, row, "指标名称", _("指标名称不能为空"))
                valid = False
            valid &= self._length_ok(name, row, "指标名称", indicator)
            unit = row.text("计量单位")
            direction_text = _normalise(row.text("指标方向")).split("（")[0].split("(")[0]
            direction = DIRECTIONS.get(direction_text or "正向")
            if direction is None:
                self._error(
                    name, row, "指标方向", _("未知的指标方向“%(v)s”，应为：正向、反向") % {"v": row.text("指标方向")}
                )
                valid = False
            baseline, baseline_unit, ok = self._number(name, row, "基线值")
            valid &= ok
            target, target_unit, ok = self._number(name, row, "目标值")
            valid &= ok
            if ok and target is None:
                self._error(name, row, "目标值", _("目标值不能为空"))
                valid = False
            if ok and baseline is None:
                self.issues.warning(name, row.number, "基线值", _("基线值为空，按 0 处理"))
            unit = unit or target_unit or baseline_unit
            valid &= self._length_ok(name, row, "计量单位", unit)
            baseline_date, ok1 = self._date(name, row, "基线日期")
            target_date, ok2 = self._date(name, row, "目标日期")
            valid &= ok1 and ok2
            if baseline_date and target_date and target_date < baseline_date:
                self._error(
                    name,
                    row,
                    "目标日期",
                    _("目标日期（%(t)s）不能早于基线日期（%(b)s）") % {"t": target_date, "b": baseline_date},
                )
                valid = False
            source = row.text("数据来源")
            valid &= self._length_ok(name, row, "数据来源", source)
            if valid:
                self.indicators.append(
                    _IndicatorPlan(
                        row=row.number,
                        task_code=task_code,
                        name=indicator,
                        unit=unit,
                        direction=direction or Indicator.Direction.HIGHER,
                        baseline_value=(baseline or Decimal(0)).quantize(Decimal("0.0001")),
                        baseline_date=baseline_date,
                        target_value=(target or Decimal(0)).quantize(Decimal("0.0001")),
                        target_date=target_date,
                        data_source=source,
                    )
                )

    # -- 政策体系 --------------------------------------------------------------------------------
    def parse_policies(self, sheet: _Sheet) -> None:
        name = POLICY_SHEET
        for row in sheet.rows:
            valid = True
            codes = [tree.normalise_code(c) for c in split_list(row.values.get("任务编号"))]
            if not codes:
                self._error(name, row, "任务编号", _("任务编号不能为空"))
                valid = False
            title = row.text("政策名称")
            if not title:
                self._error(name, row, "政策名称", _("政策名称不能为空"))
                valid = False
            doc_number = row.text("文号")
            issuer = row.text("发文机关")
            for column, text in (("政策名称", title), ("文号", doc_number), ("发文机关", issuer)):
                valid &= self._length_ok(name, row, column, text)
            issued_on, ok = self._date(name, row, "发布日期")
            valid &= ok
            if valid:
                self.policies.append(_PolicyPlan(row.number, codes, title, doc_number, issuer, issued_on))

    # -- Cross-row checks against the file and the database ---------------------------------------
    def resolve(self) -> None:
        """Check parents, task references, units, duplicates; fill inherited domains."""
        plans = sorted(self.tasks.values(), key=lambda p: (tree.depth_of(p.code), tree.sort_key(p.code)))
        parent_codes = {tree.parent_code(p.code) for p in plans} - {None}
        referenced = {i.task_code for i in self.indicators} | {c for p in self.policies for c in p.task_codes}
        self.existing = _existing_tasks(set(self.tasks) | parent_codes | referenced)  # type: ignore[arg-type]
        for plan in plans:
            if plan.code in self.existing:
                self.issues.error(TASK_SHEET, plan.row, "编号", _("编号“%(c)s”已存在于系统中") % {"c": plan.code})
            parent = tree.parent_code(plan.code)
            if parent is None:
                continue
            if parent in self.tasks:
                parent_domain = self.tasks[parent].domain_id
            elif parent in self.existing:
                _pk, parent_domain, status = self.existing[parent]
                if status in FINAL_STATUSES:
                    message = _("上级任务“%(p)s”当前为“%(s)s”状态，仍将在其下新增下级任务") % {
                        "p": parent,
                        "s": Status(status).label,
                    }
                    self.issues.warning(TASK_SHEET, plan.row, "编号", message)
            else:
                self.issues.error(
                    TASK_SHEET,
                    plan.row,
                    "编号",
                    _("上级任务“%(p)s”不存在：既不在本文件中，也不在系统中") % {"p": parent},
                )
                continue
            if plan.domain_id is None:
                plan.domain_id = parent_domain
        for indicator in self.indicators:
            if indicator.task_code not in self.tasks and indicator.task_code not in self.existing:
                self.issues.error(
                    INDICATOR_SHEET, indicator.row, "任务编号", _("任务编号“%(c)s”不存在") % {"c": indicator.task_code}
                )
        for policy in self.policies:
            for code in policy.task_codes:
                if code not in self.tasks and code not in self.existing:
                    self.issues.error(POLICY_SHEET, policy.row, "任务编号", _("任务编号“%(c)s”不存在") % {"c": code})
        self._check_indicator_names()
        self._resolve_units(plans)

    def _check_indicator_names(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for indicator in self.indicators:
            key = (indicator.task_code, indicator.name)
            if key in seen:
                self.issues.error(
                    INDICATOR_SHEET,
                    indicator.row,
                    "指标名称",
                    _("任务“%(c)s”的指标“%(n)s”与第 %(r)s 行重复")
                    % {"c": indicator.task_code, "n": indicator.name, "r": seen[key]},
                )
            seen.setdefault(key, indicator.row)
        existing_codes = {code for code, _name in seen if code in self.existing}
        if not existing_codes:
            return
        taken: set[tuple[str, str]] = set()
        for chunk in _chunks(sorted(existing_codes)):
            taken.update(Indicator.objects.filter(task__code__in=chunk).values_list("task__code", "name"))
        for indicator in self.indicators:
            if (indicator.task_code, indicator.name) in taken:
                self.issues.error(
                    INDICATOR_SHEET,
                    indicator.row,
                    "指标名称",
                    _("任务“%(c)s”已有指标“%(n)s”") % {"c": indicator.task_code, "n": indicator.name},
                )

    def _resolve_units(self, plans: list[_TaskPlan]) -> None:
        names = {p.lead_unit for p in plans if p.lead_unit} | {u for p in plans for u in p.cooperating_units}
        self.units: dict[str, int] = {}
        for chunk in _chunks(sorted(names)):
            self.units.update(OrgUnit.objects.filter(name__in=chunk).values_list("name", "pk"))
        self.new_units: dict[str, tuple[int, str]] = {}
        for plan in plans:
            for column, unit in [("牵头单位", plan.lead_unit)] + [("配合单位", u) for u in plan.cooperating_units]:
                if not unit or unit in self.units:
                    continue
                if self.create_units:
                    self.new_units.setdefault(unit, (plan.row, column))
                else:
                    self.issues.error(
                        TASK_SHEET,
                        plan.row,
                        column,
                        _("单位“%(u)s”不存在；请先在系统中建立该单位，或选择自动新建单位（--create-units）")
                        % {"u": unit},
                    )

    # -- Policies: dedupe by (name, 文号), against the file and the database -----------------------
    def plan_policies(self) -> tuple[dict[tuple[str, str], _PolicyPlan], dict[tuple[str, str], int]]:
        unique: dict[tuple[str, str], _PolicyPlan] = {}
        for policy in self.policies:
            key = (policy.title, policy.doc_number)
            first = unique.setdefault(key, policy)
            if first is not policy and (first.issuer, first.issued_on) != (policy.issuer, policy.issued_on):
                self.issues.warning(
                    POLICY_SHEET,
                    policy.row,
                    "发文机关",
                    _("政策“%(t)s”的发文机关或发布日期与第 %(r)s 行不一致，以第 %(r)s 行为准")
                    % {"t": policy.title, "r": first.row},
                )
        existing: dict[tuple[str, str], int] = {}
        titles = sorted({title for title, _doc in unique})
        for chunk in _chunks(titles):
            for pk, title, doc_number in Policy.objects.filter(title__in=chunk).values_list(
                "pk", "title", "doc_number"
            ):
                if (title, doc_number) in unique:
                    existing[(title, doc_number)] = pk
        return unique, existing

    # -- Saving --------------------------------------------------------------------------------
    def save(self, *, sha256: str, file_name: str, dry_run: bool) -> dict[str, int]:
        unique_policies, existing_policies = self.plan_policies()
        created = {
            "tasks": len(self.tasks),
            "indicators": len(self.indicators),
            "policies": len(unique_policies) - len(existing_policies),
            "units": len(self.new_units),
        }
        parent_of_new = {p for p in (tree.parent_code(code) for code in self.tasks) if p is not None}
        top = None
        if self.new_units:
            top = OrgUnit.objects.filter(parent__isnull=True).order_by("depth", "pk").first()
            for unit, (row, column) in sorted(self.new_units.items(), key=lambda item: item[1]):
                under = _("（隶属“%(t)s”）") % {"t": top.name} if top else ""
                verb = _("将新建单位") if dry_run else _("已新建单位")
                self.issues.warning(TASK_SHEET, row, column, f"{verb}“{unit}”{under}")
        if dry_run:
            return created
        for unit in sorted(self.new_units, key=lambda u: self.new_units[u]):
            # The import already checked the actor may do this (the office, a superuser or the system).
            made = orgunit_create(
                actor=None,
                name=unit,
                short_code=_short_code(unit),
                level=top.level if top else OrgUnit.Level.CITY,
                parent=top,
            )
            self.units[unit] = made.pk
        plans = sorted(self.tasks.values(), key=lambda p: (tree.depth_of(p.code), tree.sort_key(p.code)))
        tasks = [
            Task(
                code=p.code,
                sort_key=tree.sort_key(p.code),
                parent_id=tree.parent_code(p.code),
                depth=tree.depth_of(p.code),
                is_leaf=p.code not in parent_of_new,
                title=p.title,
                domain_id=cast(int, p.domain_id),  # set for every row once ``resolve`` found no error
                is_governance=p.is_governance,
                is_service=p.is_service,
                lead_unit_id=self.units[p.lead_unit],
                owner_name=p.owner_name,
                start_date=p.start_date,
                deadline=p.deadline,
                weight=p.weight,
            )
            for p in plans
        ]
        Task.objects.bulk_create(tasks, batch_size=BULK_BATCH)
        pk_of = {code: pk for code, (pk, _domain, _status) in self.existing.items()}
        pk_of.update({t.code: t.pk for t in tasks})
        through = Task.cooperating_units.through
        through.objects.bulk_create(
            [through(task_id=pk_of[p.code], orgunit_id=self.units[u]) for p in plans for u in p.cooperating_units],
            batch_size=BULK_BATCH,
        )
        Measure.objects.bulk_create(
            [Measure(task_id=pk_of[p.code], text=m, order=i) for p in plans for i, m in enumerate(p.measures, 1)],
            batch_size=BULK_BATCH,
        )
        EvaluationCriterion.objects.bulk_create(
            [EvaluationCriterion(task_id=pk_of[p.code], name=n, weight=w) for p in plans for n, w in p.criteria],
            batch_size=BULK_BATCH,
        )
        Indicator.objects.bulk_create(
            [
                Indicator(
                    task_id=pk_of[i.task_code],
                    name=i.name,
                    unit=i.unit,
                    direction=i.direction,
                    baseline_value=i.baseline_value,
                    baseline_date=i.baseline_date,
                    target_value=i.target_value,
                    target_date=i.target_date,
                    data_source=i.data_source,
                )
                for i in self.indicators
            ],
            batch_size=BULK_BATCH,
        )
        self._save_policies(unique_policies, existing_policies, pk_of)
        # Existing tasks that just got their first children stop being items (事项).
        existing_parents = sorted(code for code in parent_of_new if code not in self.tasks)
        for chunk in _chunks(existing_parents):
            Task.objects.filter(code__in=chunk, is_leaf=True).update(is_leaf=False)
        unit_names = {pk: name for name, pk in self.units.items()}
        append_many(
            actor=self.actor,
            items=[
                events.TASK_CREATED.item(
                    task=t,
                    to_state=t.status,
                    payload={
                        "code": t.code,
                        "title": t.title,
                        "lead_unit": unit_names[t.lead_unit_id],
                        "import": sha256,
                    },
                )
                for t in tasks
            ],
        )
        events.TASKLIST_IMPORTED(
            actor=self.actor,
            payload={"file": file_name, "sha256": sha256, "created": created, "new_units": sorted(self.new_units)},
        )
        # New tasks start at 0%; only existing ancestors' weighted progress can change.
        services.rollup_from(existing_parents)
        services.schedule_light_refresh([t.pk for t in tasks])
        return created

    def _save_policies(
        self,
        unique: dict[tuple[str, str], _PolicyPlan],
        existing: dict[tuple[str, str], int],
        pk_of: dict[str, int],
    ) -> None:
        new = [
            Policy(title=p.title, doc_number=p.doc_number, issuer=p.issuer, issued_on=p.issued_on)
            for key, p in unique.items()
            if key not in existing
        ]
        Policy.objects.bulk_create(new, batch_size=BULK_BATCH)
        policy_pk = dict(existing)
        policy_pk.update({(p.title, p.doc_number): p.pk for p in new})
        links: dict[tuple[int, int], None] = {}
        for policy in self.policies:
            for code in policy.task_codes:
                links.setdefault((policy_pk[(policy.title, policy.doc_number)], pk_of[code]), None)
        through = Policy.tasks.through
        if existing:
            already: set[tuple[int, int]] = set()
            for chunk in _chunks(sorted(existing.values())):
                already.update(through.objects.filter(policy_id__in=chunk).values_list("policy_id", "task_id"))
            links = {key: None for key in links if key not in already}
        through.objects.bulk_create(
            [through(policy_id=policy_id, task_id=task_id) for policy_id, task_id in links], batch_size=BULK_BATCH
        )


def _chunks(values: list[str] | list[int], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_tasks(codes: Iterable[str]) -> dict[str, tuple[int, int, str]]:
    """Map code → (pk, domain id, status) for the tasks among ``codes`` that are already in the database."""
    found: dict[str, tuple[int, int, str]] = {}
    for chunk in _chunks(sorted(codes)):
        rows = Task.objects.filter(code__in=chunk).values_list("code", "pk", "domain_id", "status")
        for code, pk, domain_id, status in rows:
            found[code] = (pk, domain_id, status)
    return found


def _short_code(name: str) -> str:
    base = "IMP-" + hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:10].upper()
    code, n = base, 1
    while OrgUnit.objects.filter(short_code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


# --- The services ------------------------------------------------------------------------------


def _require(actor: User | None, rule: access.Rule) -> None:
    """The office (or a superuser, or the system itself when ``actor`` is None)."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        rule.check_role(actor)


def tasklist_import(
    *, actor: User | None, file: Any, dry_run: bool = False, create_units: bool = False
) -> ImportReport:
    """Import a task-list workbook all or nothing; ``actor=None`` is the system (e.g. ``load_demo``).

    ``file`` is a path or a binary file object (an upload). Every problem is reported by sheet, row
    and column; any error means nothing is saved. A dry run checks everything and saves nothing.
    """
    _require(actor, access.IMPORT_TASKLIST)
    issues = _Issues()
    try:
        stream, file_name = _file_bytes(file)
    except FileRefused as exc:
        issues.error("", None, "", str(exc))
        return issues.report(dry_run=dry_run)
    try:
        sha256 = _sha256(stream)
        sheets = _read_workbook(stream, issues)
    except FileRefused as exc:
        issues.error("", None, "", str(exc))
        return issues.report(dry_run=dry_run)
    finally:
        if isinstance(file, (str, Path)):
            stream.close()
    if not sheets[TASK_SHEET].present:
        issues.error(TASK_SHEET, None, "", _("缺少工作表“%(s)s”") % {"s": TASK_SHEET})
    if not (sheets[TASK_SHEET].present and sheets[TASK_SHEET].readable):
        # Without the task sheet's key columns no reference to a task can be checked.
        return issues.report(dry_run=dry_run, sha256=sha256)
    created = _empty_counts()
    try:
        with transaction.atomic():
            importer = _Importer(actor=actor, create_units=create_units, issues=issues)
            importer.parse_tasks(sheets[TASK_SHEET])
            if sheets[INDICATOR_SHEET].readable:
                importer.parse_indicators(sheets[INDICATOR_SHEET])
            if sheets[POLICY_SHEET].readable:
                importer.parse_policies(sheets[POLICY_SHEET])
            importer.resolve()
            if not importer.tasks and not importer.indicators and not importer.policies and not issues.errors:
                issues.error(TASK_SHEET, None, "", _("文件中没有可导入的数据"))
            if issues.errors:
                return issues.report(dry_run=dry_run, sha256=sha256)
            created = importer.save(sha256=sha256, file_name=file_name, dry_run=dry_run)
    except IntegrityError as exc:
        issues.error("", None, "", _("保存时与他人的修改冲突，未保存任何数据，请重新导入（%(e)s）") % {"e": exc})
        return issues.report(dry_run=dry_run, sha256=sha256)
    return issues.report(created, dry_run=dry_run, sha256=sha256)


def tasklist_export(*, actor: User | None, root_code: str | None = None) -> bytes:
    """Write the task list (or the subtree under ``root_code``) in the import template; return the .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    _require(actor, access.EXPORT_TASKLIST)

    def scope(prefix: str = "") -> Q:
        """The exported tasks, as a filter on ``prefix`` (a subquery-free join, whatever the list's size)."""
        if not root_code:
            return Q()
        return Q(**{f"{prefix}code": root_code}) | Q(**{f"{prefix}code__startswith": f"{root_code}."})

    if root_code:
        root_code = tree.normalise_code(root_code)
        if not Task.objects.filter(code=root_code).exists():
            raise NotFound(_("任务“%(c)s”不存在") % {"c": root_code})
    task_list = list(Task.objects.filter(scope()).select_related("domain", "lead_unit").order_by("sort_key"))
    code_of = {t.pk: t.code for t in task_list}
    order = {t.pk: i for i, t in enumerate(task_list)}
    cooperating: dict[int, list[str]] = defaultdict(list)
    through = Task.cooperating_units.through.objects.filter(scope("task__")).select_related("orgunit")
    for coop_link in through.order_by("orgunit__path"):
        cooperating[coop_link.task_id].append(coop_link.orgunit.name)
    measures: dict[int, list[str]] = defaultdict(list)
    for task_id, text in Measure.objects.filter(scope("task__")).order_by("order", "pk").values_list("task_id", "text"):
        measures[task_id].append(text)
    criteria: dict[int, list[str]] = defaultdict(list)
    for task_id, name, weight in (
        EvaluationCriterion.objects.filter(scope("task__"), task__isnull=False)
        .order_by("pk")
        .values_list("task_id", "name", "weight")
    ):
        criteria[task_id].append(format_criterion(name, weight))
    indicators = sorted(Indicator.objects.filter(scope("task__")), key=lambda i: (order[i.task_id], i.pk))
    links = sorted(
        Policy.tasks.through.objects.filter(scope("task__")).select_related("policy"),
        key=lambda link: (order[link.task_id], link.policy_id),
    )

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(title: str, columns: tuple[str, ...]) -> Any:
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(column, 14)
        header = []
        for column in columns:
            head = WriteOnlyCell(ws, value=column)
            head.font = bold
            head.fill = fill
            header.append(head)
        ws.append(header)
        return ws

    def cell(ws: Any, value: Any, *, wrapped: bool = False, is_date: bool = False) -> Any:
        c = WriteOnlyCell(ws, value=value)
        if wrapped:
            c.alignment = wrap
        if is_date and value is not None:
            c.number_format = "yyyy-mm-dd"
        return c

    ws = sheet(TASK_SHEET, TASK_COLUMNS)
    for t in task_list:
        ws.append(
            [
                t.code,
                cell(ws, t.title, wrapped=True),
                t.domain.name,
                t.dimension_label,
                t.lead_unit.name,
                "、".join(cooperating[t.pk]),
                t.owner_name,
                cell(ws, t.start_date, is_date=True),
                cell(ws, t.deadline, is_date=True) if t.deadline else _("持续推进"),
                _cell_number(t.weight),
                cell(ws, "\n".join(measures[t.pk]), wrapped=True),
                cell(ws, "\n".join(criteria[t.pk]), wrapped=True),
            ]
        )
    ws = sheet(INDICATOR_SHEET, INDICATOR_COLUMNS)
    for i in indicators:
        ws.append(
            [
                code_of[i.task_id],
                i.name,
                i.unit,
                "正向" if i.direction == Indicator.Direction.HIGHER else "反向",
                _cell_number(i.baseline_value),
                cell(ws, i.baseline_date, is_date=True),
                _cell_number(i.target_value),
                cell(ws, i.target_date, is_date=True),
                i.data_source,
            ]
        )
    ws = sheet(POLICY_SHEET, POLICY_COLUMNS)
    for link in links:
        policy = link.policy
        ws.append(
            [
                code_of[link.task_id],
                cell(ws, policy.title, wrapped=True),
                policy.doc_number,
                policy.issuer,
                cell(ws, policy.issued_on, is_date=True),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = [
    "ImportReport",
    "parse_criteria",
    "parse_date",
    "parse_dimensions",
    "parse_number",
    "split_list",
    "tasklist_export",
    "tasklist_import",
]
