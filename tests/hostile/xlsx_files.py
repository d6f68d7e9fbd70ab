"""Hostile .xlsx files built in memory: a real workbook whose XML parts are then rewritten."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"


def measurement_workbook(period: str) -> bytes:
    """Two real rows on the sheet 指标数据 (header and one value)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "指标数据"
    sheet.append(["任务编号", "指标名称", "期间", "数值"])
    sheet.append(["1.1", "数据归集率", period, 61])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, part: str, change: Callable[[str], str]) -> bytes:
    """Return the workbook with ``part``'s XML text changed by ``change`` (the part is added if missing)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for name in names:
            content = source.read(name)
            if name == part:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(name, content)
        if part not in names:
            target.writestr(part, change("").encode("utf-8"))
    return buffer.getvalue()


def declared_dimension(data: bytes, ref: str = "A1:XFD16000") -> bytes:
    """The sheet claims ``ref`` and holds two rows: the header in row 1 and the data in the last row of ``ref``.

    openpyxl padded every row in between, and each of them, to the declared 16,384 columns (2 GB).
    """
    last = re.search(r"([0-9]+)$", ref)[1]  # type: ignore[index]

    def change(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml)
        xml = xml.replace('<row r="2"', f'<row r="{last}"')
        return re.sub(r'r="([A-Z]+)2"', rf'r="\g<1>{last}"', xml)

    return rewrite(data, SHEET, change)


def with_doctype(data: bytes) -> bytes:
    """A billion-laughs DTD in front of the sheet."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
    )
    return rewrite(data, SHEET, lambda xml: bomb + re.sub(r"^<\?xml[^>]*\?>", "", xml).replace("1.1", "&lol3;"))


def with_external_entity(data: bytes) -> bytes:
    doctype = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    return rewrite(data, SHEET, lambda xml: doctype + re.sub(r"^<\?xml[^>]*\?>", "", xml).replace("1.1", "&e;"))


def malformed(data: bytes) -> bytes:
    return rewrite(data, SHEET, lambda xml: xml.replace("</sheetData>", "<row><c></sheetData>"))


def far_cell(data: bytes, ref: str) -> bytes:
    """One more cell at ``ref`` (XFD1 is column 16,384; A1048576 the last row)."""
    row = re.match(r"[A-Z]+([0-9]+)", ref)[1]  # type: ignore[index]
    cell = f'<row r="{row}"><c r="{ref}" t="n"><v>1</v></c></row>'
    return rewrite(data, SHEET, lambda xml: xml.replace("</sheetData>", cell + "</sheetData>"))


def deeply_nested(data: bytes, depth: int = 5000) -> bytes:
    nested = "<x>" * depth + "</x>" * depth
    return rewrite(data, "docProps/custom.xml", lambda _xml: f'<?xml version="1.0"?><r>{nested}</r>')
