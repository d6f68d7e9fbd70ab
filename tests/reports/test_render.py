"""Each report kind renders to a real PDF: Chinese text, embedded Noto CJK fonts, page X of Y, the trace anchor."""

from __future__ import annotations

import re

import pytest

from reports import services
from reports.models import Report
from trail.models import TraceEntry, TraceHead

from .conftest import pdf_fonts, pdf_text

pytestmark = pytest.mark.django_db


def build(kind: str, scope: str = "programme", period: str = "") -> tuple[Report, str, set[str]]:
    report = services.queue_report(actor=None, kind=kind, scope=scope, period=period, schedule=False)
    report = services.report_build(report.pk)
    assert report.status == Report.Status.DONE, report.error
    data = report.file.read()
    report.file.close()
    return report, pdf_text(data), pdf_fonts(data)


def assert_cjk_fonts_embedded(fonts: set[str]) -> None:
    flat = {re.sub(r"^[A-Z]{6}\+", "", name.lstrip("/")).replace("-", "") for name in fonts}
    assert any(name.startswith(("NotoSerifCJK", "NotoSansCJK")) for name in flat), fonts


def assert_paged(report: Report, text: str) -> None:
    assert f"第 1 页 / 共 {report.page_count} 页" in text
    assert f"第 {report.page_count} 页 / 共 {report.page_count} 页" in text


def test_the_bulletin_reads_like_a_supervision_bulletin(programme):
    report, text, fonts = build("bulletin", period="2026-11-3")

    assert_cjk_fonts_embedded(fonts)
    assert_paged(report, text)
    flat = re.sub(r"\s+", "", text)
    assert "数字化改革督查通报" in flat and "2026年第1期" in flat and "数改督〔2026〕1号" in flat
    assert "关于2026年11月下旬全市数字化改革任务推进情况的通报" in flat
    # The summary is written from the figures: 4 items, 1 closed (25.0%), 3 open: 2 red, 1 overdue.
    assert "截至11月23日，全市数字化改革任务共重大任务1项、事项4项，已办结1项，办结率25.0%" in flat
    assert "红灯2项" in flat and "逾期未办结1项" in flat
    for heading in ("一、总体情况", "四、逾期未办结事项", "六、领导批示落实情况", "七、红黑榜", "八、挂牌督办事项"):
        assert heading in flat
    assert "公共数据目录梳理" in flat and "已逾期13天" in flat  # the overdue item with its reason
    assert "推广进度严重滞后，实行挂牌督办" in flat  # listed supervision
    assert "请加快通道建设，月底前联调" in flat  # the instruction
    assert "附件" in flat and "红灯事项清单（共2项）" in flat
    assert "红榜" in flat and "黑榜" in flat and "市大数据局" in flat


def test_the_bulletin_has_a_table_of_contents_with_page_numbers(programme):
    report, text, _fonts = build("bulletin", period="2026-11")
    toc = re.search(r"目\s*录(.*?)一、总体情况", text, re.S)
    assert toc is not None
    lines = [line for line in text.splitlines() if "附件：红灯事项清单" in line and re.search(r"\d+\s*$", line)]
    assert lines, "the TOC entry for the appendix ends with its page number"
    page = int(re.search(r"(\d+)\s*$", lines[0])[1])
    assert 1 <= page <= report.page_count


def test_every_report_names_the_trace_entries_it_rests_on(programme):
    head = TraceHead.objects.get(pk=1)
    report, text, _fonts = build("bulletin")
    # The request itself is traced, so the anchor is the head right after it.
    assert report.trace_first_seq == 1 and report.trace_last_seq == head.seq + 1
    assert report.chain_hash == TraceEntry.objects.get(seq=report.trace_last_seq).hash
    flat = re.sub(r"\s+", "", text)
    assert report.chain_hash in flat
    assert f"依据留痕记录第1条至第{report.trace_last_seq}条" in flat
    assert "pythonmanage.pyverify_trace" in flat


def test_the_ten_day_summary_lists_reports_and_missing_ones(programme, dsj_handler):
    from tasks_app import services as task_services

    task_services.feedback_submit(
        actor=dsj_handler, task=programme["ok"], text="完成通道联调方案评审", progress=40, period_end=programme_day(20)
    )
    report, text, fonts = build("tenday", period="2026-11-2")
    assert_cjk_fonts_embedded(fonts)
    assert_paged(report, text)
    flat = re.sub(r"\s+", "", text)
    assert "数字化改革旬报汇总" in flat and "2026年11月中旬旬报汇总" in flat
    assert "完成通道联调方案评审" in flat
    assert "逾期补报" in flat  # filed on the 23rd for a report due on the 21st
    assert "公共数据目录梳理" in flat and "逾期未报" in flat  # never filed


def test_the_monthly_report(programme):
    report, text, fonts = build("monthly", period="2026-11")
    assert_cjk_fonts_embedded(fonts)
    assert_paged(report, text)
    flat = re.sub(r"\s+", "", text)
    assert "数字化改革工作月报" in flat and "全市数字化改革2026年11月工作月报" in flat
    assert "本月领导批示1件" in flat
    assert "三、本月办结事项" in flat


def test_the_dossier_holds_everything_about_one_task_with_its_full_timeline(programme):
    task = programme["listed"]
    report, text, fonts = build("dossier", scope=f"task:{task.code}")
    assert_cjk_fonts_embedded(fonts)
    assert_paged(report, text)
    flat = re.sub(r"\s+", "", text)
    assert "数字化改革任务档案" in flat and "任务档案：1.3企业码应用推广" in flat
    entries = list(TraceEntry.objects.filter(task_id=task.pk).order_by("seq"))
    assert f"共{len(entries)}条" in flat
    for label in ("创建任务", "交办", "签收", "发出督办"):
        assert label in flat
    assert report.trace_first_seq == entries[0].seq and report.trace_last_seq == entries[-1].seq
    assert report.chain_hash == entries[-1].hash


def programme_day(day: int):
    from datetime import date

    return date(2026, 11, day)
