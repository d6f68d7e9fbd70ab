"""manage.py build_report (the same builder, synchronously) and verify_report (the trace anchor checks out)."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

from reports.models import Report
from trail.models import TraceEntry

from .conftest import pdf_fonts, pdf_text

pytestmark = pytest.mark.django_db


def test_build_report_writes_the_pdf_and_records_the_report(programme, tmp_path, capsys):
    target = tmp_path / "通报" / "bulletin.pdf"
    call_command("build_report", "--kind", "bulletin", "--period", "2026-11-3", "-o", str(target))

    report = Report.objects.get()
    assert report.status == Report.Status.DONE and report.created_by is None
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) == report.file_size
    assert "数字化改革督查通报" in re.sub(r"\s+", "", pdf_text(data))
    assert pdf_fonts(data)
    out = capsys.readouterr().out
    assert "已生成“关于2026年11月下旬全市数字化改革任务推进情况的通报”（数改督〔2026〕1号" in out
    assert TraceEntry.objects.filter(action="report.request", actor__isnull=True).count() == 1


def test_build_report_scopes_and_errors(programme, dsj, tmp_path):
    call_command("build_report", "--kind", "dossier", "--scope", "task:1.1", "-o", str(tmp_path / "d.pdf"))
    call_command("build_report", "--kind", "tenday", "--scope", f"unit:{dsj.pk}", "-o", str(tmp_path / "t.pdf"))
    call_command("build_report", "--kind", "monthly", "--scope", "domain:digital_gov", "-o", str(tmp_path / "m.pdf"))
    assert sorted(Report.objects.values_list("scope_label", flat=True)) == [
        "任务 1.1“公共数据目录梳理”",
        "市大数据局",
        "数字政府领域",
    ]
    with pytest.raises(CommandError, match="没有编号为“42”的任务"):
        call_command("build_report", "--kind", "dossier", "--scope", "task:42", "-o", str(tmp_path / "x.pdf"))


def test_verify_report_checks_the_chain_the_anchor_and_the_file(programme, tmp_path, capsys):
    call_command("build_report", "--kind", "bulletin", "-o", str(tmp_path / "b.pdf"))
    report = Report.objects.get()
    call_command("verify_report", str(report.pk))
    assert "核验通过" in capsys.readouterr().out

    path = report.file.path
    with open(path, "r+b") as handle:  # someone edits the stored PDF
        handle.seek(200)
        handle.write(b"X")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_report", str(report.pk))
    assert exit_info.value.code == 1
    assert "报告文件与生成时不一致（SHA-256 不同）" in capsys.readouterr().out
