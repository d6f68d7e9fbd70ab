"""Reading the uploaded file safely: size limits, its sha256, the workbook opened read-only, sheets into rows."""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from reform.spreadsheet import SpreadsheetRefused, open_workbook
from reform.text import clean_text

from .cells import _normalise, _text
from .report import _Issues
from .schema import COLUMNS, REQUIRED, SHEETS


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
    """Stream the three sheets through the one bounded reader, counting rows against IMPORT_MAX_ROWS."""
    limit = settings.IMPORT_MAX_ROWS
    too_many = _("文件行数过多：超过上限 %(limit)s 行，请拆分后分批导入") % {"limit": f"{limit:,}"}
    sheets = {name: _Sheet(name) for name in SHEETS}
    try:
        with open_workbook(stream) as workbook:
            for title in workbook.sheetnames:
                if _header_name(title) not in sheets:
                    issues.warning(title, None, "", _("未知的工作表“%(s)s”，已忽略") % {"s": title})
            counted = 0
            for title in workbook.sheetnames:
                name = _header_name(title)
                if name not in sheets or sheets[name].present:
                    continue
                sheet = sheets[name]
                sheet.present = True
                for row in _read_sheet(workbook.rows(title), sheet, issues):
                    counted += 1
                    if counted > limit:
                        raise FileRefused(too_many)
                    sheet.rows.append(row)
    except SpreadsheetRefused as exc:
        raise FileRefused(exc.message) from exc
    return sheets


def _read_sheet(rows: Iterator[tuple[Any, ...]], sheet: _Sheet, issues: _Issues) -> Iterator[_Row]:
    known = COLUMNS[sheet.name]
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
                value = clean_text(value)  # bidi overrides (U+202E) would show the title reversed
            if value is None or value == "":
                continue
            values[heading] = value
            number_format = getattr(cell, "number_format", "General")
            if number_format and "%" in number_format:
                formats[heading] = number_format
        if values:
            yield _Row(number, values, formats)
