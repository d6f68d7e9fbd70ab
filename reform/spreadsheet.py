"""The one bounded reader of uploaded .xlsx workbooks: every import opens its workbook here.

An .xlsx is a ZIP of XML parts, and its size on the wire says little about the work it asks for: a
1.6 KB file declaring ``A1:XFD16000`` made openpyxl pad every row to 16,384 cells (2 GB of memory), and
XML can declare entities that expand or fetch. So before openpyxl builds a single row:

1. the ZIP is checked: at most ``max_parts`` parts, at most ``max_unzipped_bytes`` in all once
   decompressed (ZipFile never inflates a part past its declared size), none encrypted;
2. every XML part is streamed once through defusedxml's expat reader (``forbid_dtd``: a DOCTYPE, and so
   any entity, is refused; nothing is ever resolved or fetched), counting its nesting depth, and in a
   worksheet the highest row number, the highest column and the number of cells, against the limits;
3. openpyxl then opens it read-only (it parses with defusedxml too, when installed, as here) and the
   worksheet's declared dimension is ignored (``reset_dimensions``): rows are as wide as their last
   real cell, which step 2 has bounded.

Anything over a limit, malformed or not an .xlsx is a :class:`SpreadsheetRefused` (a 400) whose
Chinese message names the limit. Rows are streamed, one at a time.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.utils.exceptions import InvalidFileException

from .errors import ValidationError

# A cell a spreadsheet program may read as a formula (CSV/formula injection): written as text, never evaluated.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
XML_SUFFIXES = (".xml", ".rels", ".vml")
SCAN_CHUNK = 64 * 1024


class SpreadsheetRefused(ValidationError):
    """The workbook as a whole cannot be read: not an .xlsx, malformed, or over one of the limits."""

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"file": [message]})


class NotAnXlsx(SpreadsheetRefused):
    """Not a ZIP, or a ZIP without a workbook in it."""


@dataclass(frozen=True)
class Limits:
    """How much one uploaded workbook may ask of the server (settings ``IMPORT_MAX_*``)."""

    rows: int  # the highest row number, the header included
    columns: int
    cells: int
    unzipped_bytes: int
    xml_depth: int
    parts: int = 10_000

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            rows=settings.IMPORT_MAX_ROWS + 1,  # IMPORT_MAX_ROWS rows of data under one header row
            columns=settings.IMPORT_MAX_COLUMNS,
            cells=settings.IMPORT_MAX_CELLS,
            unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_BYTES,
            xml_depth=settings.IMPORT_MAX_XML_DEPTH,
        )


def _mb(size: int) -> str:
    return f"{size / 2**20:g} MB"


def not_xlsx() -> NotAnXlsx:
    return NotAnXlsx(_("文件不是有效的 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后重新导入"))


def too_many_rows(limits: Limits) -> str:
    return _("文件行数过多：超过上限 %(limit)s 行，请拆分后分批导入") % {"limit": f"{limits.rows - 1:,}"}


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


class _Counter(ContentHandler):
    """Nesting depth of any part; rows, columns and cells of a worksheet part."""

    def __init__(self, limits: Limits, worksheet: bool, cells_before: int) -> None:
        super().__init__()
        self.limits = limits
        self.worksheet = worksheet
        self.depth = 0
        self.cells = cells_before
        self.row = 0
        self.column = 0

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 - the SAX interface
        self.depth += 1
        if self.depth > self.limits.xml_depth:
            raise SpreadsheetRefused(_("文件结构嵌套过深（超过 %(n)d 层），无法读取") % {"n": self.limits.xml_depth})
        if not self.worksheet:
            return
        local = name.rpartition(":")[2]
        if local == "row":
            number = attrs.get("r")
            self.row = int(number) if number and number.isascii() and number.isdigit() else self.row + 1
            self.column = 0
            if self.row > self.limits.rows:
                raise SpreadsheetRefused(too_many_rows(self.limits))
        elif local == "c":
            match = CELL_REF.fullmatch(attrs.get("r") or "")
            self.column = column_number(match[1]) if match else self.column + 1
            if match and int(match[2]) > self.limits.rows:
                raise SpreadsheetRefused(too_many_rows(self.limits))
            if self.column > self.limits.columns:
                raise SpreadsheetRefused(
                    _("工作表列数超过上限 %(n)d 列（第 %(row)d 行有第 %(col)d 列的单元格），请删除多余的列后重新导入")
                    % {"n": self.limits.columns, "row": self.row, "col": self.column}
                )
            self.cells += 1
            if self.cells > self.limits.cells:
                raise SpreadsheetRefused(
                    _("单元格数量超过上限 %(n)s 个，请拆分后分批导入") % {"n": f"{self.limits.cells:,}"}
                )

    def endElement(self, name: str) -> None:  # noqa: N802 - the SAX interface
        self.depth -= 1


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, cells_before: int) -> int:
    """Stream one XML part through the counter; return the workbook's cell count so far."""
    counter = _Counter(limits, info.filename.startswith("xl/worksheets/"), cells_before)
    parser = create_parser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(counter)
    try:
        with archive.open(info) as part:
            for chunk in iter(lambda: part.read(SCAN_CHUNK), b""):
                parser.feed(chunk)
        parser.close()
    except DefusedXmlException as exc:
        raise SpreadsheetRefused(
            _("文件中含有不允许的 XML 声明（DTD 或实体定义），出于安全原因拒绝读取：%(part)s") % {"part": info.filename}
        ) from exc
    except SAXException as exc:
        raise SpreadsheetRefused(
            _("文件已损坏：%(part)s 不是有效的 XML，请用 Excel 或 WPS 重新保存后导入") % {"part": info.filename}
        ) from exc
    return counter.cells


def check_package(stream: IO[bytes], limits: Limits) -> None:
    """Steps 1 and 2 of the module docstring; the stream is left at its start."""
    stream.seek(0)
    if not zipfile.is_zipfile(stream):
        raise not_xlsx()
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
            if len(parts) > limits.parts:
                raise SpreadsheetRefused(_("文件包含的部件过多（超过 %(n)d 个），无法读取") % {"n": limits.parts})
            if any(info.flag_bits & 0x1 for info in parts):
                raise SpreadsheetRefused(_("文件已加密，请取消密码保护后重新导入"))
            unzipped = sum(info.file_size for info in parts)
            if unzipped > limits.unzipped_bytes:
                raise SpreadsheetRefused(
                    _("文件解压后过大（%(size)s，上限 %(limit)s），请拆分后分批导入")
                    % {"size": _mb(unzipped), "limit": _mb(limits.unzipped_bytes)}
                )
            names = {info.filename for info in parts}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise not_xlsx()
            cells = 0
            for info in parts:
                if info.filename.lower().endswith(XML_SUFFIXES):
                    cells = _scan(archive, info, limits, cells)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise not_xlsx() from exc
    stream.seek(0)


class BoundedWorkbook:
    """A checked workbook, opened read-only: its sheet names, and each sheet's rows one at a time."""

    def __init__(self, book: Any) -> None:
        self._book = book

    @property
    def sheetnames(self) -> list[str]:
        return list(self._book.sheetnames)

    def rows(self, title: str, *, values_only: bool = False) -> Iterator[tuple[Any, ...]]:
        """Every row of the sheet from row 1 (missing rows are empty tuples), as wide as its last cell."""
        worksheet = self._book[title]
        worksheet.reset_dimensions()  # never trust the declared A1:XFD16000
        try:
            yield from worksheet.iter_rows(values_only=values_only)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SAXException) as exc:
            raise not_xlsx() from exc


@contextmanager
def open_workbook(stream: IO[bytes], *, limits: Limits | None = None) -> Iterator[BoundedWorkbook]:
    """Check ``stream`` against the limits, then open it read-only; refuse it with a Chinese 400 otherwise."""
    check_package(stream, limits or Limits.from_settings())
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, SAXException) as exc:
        raise not_xlsx() from exc
    except DefusedXmlException as exc:  # step 2 saw every part, but say so plainly should openpyxl see one
        raise SpreadsheetRefused(_("文件中含有不允许的 XML 声明（DTD 或实体定义），出于安全原因拒绝读取")) from exc
    try:
        yield BoundedWorkbook(book)
    finally:
        book.close()


# --- Writing ----------------------------------------------------------------------------------------


def literal(worksheet: Any, value: Any) -> Any:
    """``value`` for a write-only sheet, with text that could start a formula kept as text.

    openpyxl stores a string starting with ``=`` as a formula, and Excel/WPS evaluate ``+ - @`` (and a
    leading tab or CR) when a cell is edited: ``=HYPERLINK("http://…"&B3,"点击查看详情")`` in a task title
    must come back as that text. The cell is typed as a string and quote-prefixed; its text is unchanged,
    so an exported list imports back as it was.
    """
    if isinstance(value, Cell):
        if isinstance(value.value, str) and value.value.startswith(FORMULA_START):
            value.data_type = "s"
            value.quotePrefix = True
        return value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


def append_literal(worksheet: Any, values: list[Any]) -> None:
    """Append one row to a write-only sheet, every text cell through :func:`literal`."""
    worksheet.append([literal(worksheet, value) for value in values])
