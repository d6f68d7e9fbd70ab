"""Every uploaded workbook goes through the one bounded reader (reform.spreadsheet): limits on rows, columns,
cells, decompressed size and XML depth are checked before a row is built; no XML entity is ever resolved; a
malformed file is a clear Chinese 400, never a 500; and a 1.6 KB file declaring A1:XFD16000 costs no memory."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from indicators.models import Indicator, Measurement
from indicators.tabular import read_table
from tasks_app.tasklist.importer import tasklist_import
from tests.tasks_app.tasklist_helpers import tasks_sheet, upload, workbook_bytes

from . import xlsx_files as x

pytestmark = pytest.mark.django_db
PEAK_LIMIT_MB = 300


@pytest.fixture
def period() -> str:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture
def indicator(item):
    return Indicator.objects.create(task=item, name="数据归集率", unit="%", baseline_value=40, target_value=90)


def post_values(api, data: bytes):
    file = SimpleUploadedFile("指标.xlsx", data, "application/octet-stream")
    return api["office"].post("/api/measurements/import/", {"file": file}, format="multipart")


def peak_memory_mb(tmp_path: Path, data: bytes, kind: str) -> tuple[float, str]:
    """Read ``data`` in a fresh interpreter (capped at 1.5 GB) and return its peak resident memory in MB."""
    path = tmp_path / "probe.xlsx"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.memory_probe", str(path), kind],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=django_settings.BASE_DIR,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    line = done.stdout.strip().splitlines()[-1]
    return float(line.rpartition("peak_mb=")[2]), line


def test_the_declared_dimension_file_is_read_in_a_few_megabytes(tmp_path, period):
    data = x.declared_dimension(x.measurement_workbook(period))
    assert len(data) < 10_000

    peak, line = peak_memory_mb(tmp_path, data, "measurements")

    print(f"declared A1:XFD16000, measurements reader: {line}")
    assert "rows=1 errors=0" in line
    assert peak < PEAK_LIMIT_MB


def test_the_declared_dimension_task_list_is_read_in_a_few_megabytes(tmp_path):
    data = x.declared_dimension(workbook_bytes({"任务清单": tasks_sheet()}), "A1:XFD1048576")

    peak, line = peak_memory_mb(tmp_path, data, "tasklist")

    print(f"declared A1:XFD1048576, task-list reader: {line}")
    assert peak < PEAK_LIMIT_MB


def test_the_declared_dimension_file_imports_its_one_row(api, indicator, period):
    response = post_values(api, x.declared_dimension(x.measurement_workbook(period)))

    assert response.status_code == 200, response.content.decode()
    assert response.json()["created"] == 1
    assert Measurement.objects.get().value == 61


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (x.with_doctype, "DTD"),
        (x.with_external_entity, "DTD"),
        (x.malformed, "不是有效的 XML"),
        (lambda data: x.far_cell(data, "XFD1"), "列数超过上限 256 列"),
        (lambda data: x.far_cell(data, "A1048576"), "行数过多"),
        (x.deeply_nested, "嵌套过深"),
    ],
)
def test_a_hostile_workbook_is_a_chinese_400_naming_the_problem(api, indicator, period, build, words):
    response = post_values(api, build(x.measurement_workbook(period)))

    assert response.status_code == 400, response.content.decode()
    messages = [e["message"] for e in response.json()["report"]["errors"]]
    assert any(words in m for m in messages), messages
    assert not Measurement.stored.exists()


def test_the_decompressed_size_is_capped(settings, period):
    settings.IMPORT_MAX_UNZIPPED_BYTES = 4096

    _rows, errors, _sheet = read_table(name="指标.xlsx", content=x.measurement_workbook(period))

    assert "解压后过大" in errors[0]["message"]


def test_the_cell_count_is_capped(settings, period):
    settings.IMPORT_MAX_CELLS = 5

    _rows, errors, _sheet = read_table(name="指标.xlsx", content=x.measurement_workbook(period))

    assert "单元格数量超过上限 5 个" in errors[0]["message"]


def test_no_entity_is_resolved_in_the_task_list_import(office_user):
    data = x.with_external_entity(workbook_bytes({"任务清单": tasks_sheet()}))

    report = tasklist_import(actor=office_user, file=upload(data))

    assert report.errors and "DTD" in report.errors[0]["message"]
    assert "root:" not in str(report.as_dict())


@pytest.mark.parametrize("build", [x.malformed, x.with_doctype, lambda d: x.far_cell(d, "XFD1")])
def test_the_task_list_api_answers_a_hostile_workbook_with_400(api, build):
    data = build(workbook_bytes({"任务清单": tasks_sheet()}))
    file = SimpleUploadedFile("清单.xlsx", data, "application/octet-stream")

    response = api["office"].post("/api/tasklist/import/", {"file": file}, format="multipart")

    assert response.status_code == 400, response.content.decode()
    assert response.json()["report"]["errors"]
