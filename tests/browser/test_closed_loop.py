"""The whole closed loop in Chromium: import → assign → accept → ten-day report with a file → completion →
correction → answer and resubmit → approve → evaluate; the timeline shows every step; another unit gets 404.

No console error, page error or CSP violation on any page. Screenshots of each page go to
docs/screenshots/ at 1920 and 390 pixels wide.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date, timedelta

import openpyxl
import pytest

from tasks_app.models import Attachment, CorrectionOrder, Evaluation, Feedback, Task
from tasks_app.workflow import Status
from tests.factories import Role, make_unit, make_user
from trail.models import TraceEntry

from .conftest import open_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLUMNS = ["编号", "任务名称", "领域", "维度", "牵头单位", "配合单位", "责任人", "开始日期", "完成时限", "权重"]


def workbook(rows: list[list[object]], indicators: list[list[object]] = ()) -> bytes:
    """A task list in the import template: sheet 任务清单 (and 指标体系 when given)."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "任务清单"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    if indicators:
        ind = wb.create_sheet("指标体系")
        ind.append(["任务编号", "指标名称", "计量单位", "指标方向", "基线值", "基线日期", "目标值", "目标日期"])
        for row in indicators:
            ind.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def programme_rows() -> list[list[object]]:
    start = date.today() - timedelta(days=120)
    d = lambda days: date.today() + timedelta(days=days)  # noqa: E731
    dsj, jxj, gov = "市大数据局", "市经信局", "测试市人民政府"
    return [
        ["1", "建设一体化智能化公共数据平台", "数字政府", "治理、服务", dsj, jxj, "王建国", start, d(220), 3],
        ["1.1", "公共数据全量归集和治理", "", "治理", dsj, jxj, "李明", start, d(40), 2],
        ["1.2", "建设公共数据开放平台", "", "服务", dsj, "", "李明", start, d(90), 1],
        ["1.3", "推进数据共享“一件事”集成办理", "", "服务", dsj, jxj, "赵敏", start, d(2), 1],
        ["2", "做强数字经济核心产业", "数字经济", "服务", jxj, dsj, "陈刚", start, d(400), 2],
        ["2.1", "培育工业互联网平台", "", "服务", jxj, "", "陈刚", start, d(150), 1],
        ["2.2", "推进企业上云用数赋智", "", "服务", jxj, dsj, "周洁", start, "持续推进", 1],
        ["3", "推进党政机关整体智治", "党政机关整体智治", "治理", gov, f"{dsj}、{jxj}", "孙伟", start, d(300), 2],
        ["3.1", "建设领导决策“一屏掌控”驾驶舱", "", "治理", dsj, "", "孙伟", start, d(60), 1],
        ["3.2", "推进机关内部“最多跑一次”", "", "治理", gov, dsj, "吴芳", start, d(-5), 1],
    ]


def tiny_png() -> bytes:
    """A valid 8×8 PNG (the attachment check reads the content, not the name)."""
    raw = b"".join(b"\x00" + b"\xa8\x14\x1b" * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def open_action(session, label: str) -> None:
    """Open an action's inline form on the task page (a <details> whose summary is the button)."""
    session.page.locator("section.actions-bar summary", has_text=label).first.click()


def test_the_closed_loop_in_the_browser(browser, live_server, tmp_path, city, dsj, jxj, office_user):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="dsj_handler", full_name="张经办")
    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city), username="jyj_handler")
    office_user.full_name = "李督查"
    office_user.save(update_fields=["full_name"])
    base = live_server.url
    sessions = []

    # The login page, on a phone and on a desk.
    anonymous = open_session(browser, base, None, width=390)
    sessions.append(anonymous)
    anonymous.go("/accounts/login/")
    anonymous.shot("login-390")
    anonymous.shot("login-1920", width=1920)

    # (1) The office imports the list: a file with errors is refused row by row, then the good one.
    office = open_session(browser, base, "office")
    sessions.append(office)
    bad = tmp_path / "清单-有误.xlsx"
    bad.write_bytes(
        workbook(
            [
                ["1", "建设一体化智能化公共数据平台", "数字政务", "治理", "市大数据局", "", "", "", "2027-06-30", 1],
                ["1.1", "", "", "治理", "市不存在局", "", "", "", "2027-13-01", "高"],
            ]
        )
    )
    office.go("/office/import/")
    office.page.set_input_files("#id_file", str(bad))
    office.submit("main form[enctype] button[type=submit]")
    assert "未保存任何数据" in office.page.content()
    assert office.page.locator("table.issues-error tbody tr").count() >= 4
    office.shot("import-errors-1920")
    # A refused file is answered 400, which Chromium notes in the console; that note is the only one.
    assert [p for p in office.problems if "status of 400" not in p] == [], office.problems
    office.problems.clear()

    good = tmp_path / "数字化改革任务清单.xlsx"
    good.write_bytes(
        workbook(
            programme_rows(),
            indicators=[["1.1", "公共数据归集量", "亿条", "正向", 20, date.today() - timedelta(days=120), 100, None]],
        )
    )
    office.go("/office/import/")
    office.page.set_input_files("#id_file", str(good))
    office.submit("main form[enctype] button[type=submit]")
    assert "预检通过" in office.page.content() and not Task.objects.exists()
    office.shot("import-report-1920")
    office.shot("import-report-390", width=390)
    office.submit("main form button:has-text('确认导入')")
    assert "导入成功：新增任务 10 项" in office.page.content()
    office.shot("import-done-1920")
    assert Task.objects.count() == 10 and Task.objects.filter(status=Status.DRAFT).count() == 10

    # ... and assigns: every drafted item except one, in bulk, each reported.
    office.go("/office/assign/")
    office.page.check("input.js-check-all")
    office.page.uncheck(f"#pick-{Task.objects.get(code='3.2').pk}")
    office.shot("office-assign-1920")
    office.submit("main form[method=post] button[type=submit]")
    assert "成功 9 项，未成功 0 项" in office.page.content()
    item = Task.objects.get(code="1.1")
    assert item.status == Status.ASSIGNED

    # (2) The handler of the lead unit accepts, files a ten-day report with a picture, reports completion.
    unit = open_session(browser, base, "dsj_handler")
    sessions.append(unit)
    unit.go("/tasks/")
    assert unit.page.locator("table.tasks tbody tr").count() >= 8
    unit.shot("tasks-1920")
    unit.shot("tasks-390", width=390)
    unit.go(f"/tasks/{item.pk}/")
    open_action(unit, "签收")
    unit.submit("section.actions-bar button:has-text('确认签收')")
    assert "已签收" in unit.page.locator(".messages").inner_text()
    assert Task.objects.get(pk=item.pk).status == Status.IN_PROGRESS

    unit.page.click("section.actions-bar a:has-text('提交旬报')")
    unit.page.wait_for_load_state()
    unit.page.fill("#report_progress-progress", "45")
    unit.page.fill("#report_progress-text", "完成 12 个部门 3.2 亿条数据归集，建立数据质量问题清单。")
    unit.page.locator("input[id^=report_progress-indicator_]").fill("52.5")
    picture = tmp_path / "归集现场.png"
    picture.write_bytes(tiny_png())
    unit.page.set_input_files("#report_progress-files", str(picture))
    assert "归集现场.png" in unit.page.locator(".dz-list").inner_text()  # the drop zone lists the file
    unit.shot("tenday-form-1920")
    unit.shot("tenday-form-390", width=390)
    unit.submit("main form.tenday-form button[type=submit]")
    assert "旬报已提交" in unit.page.content()
    feedback = Feedback.objects.get(task=item)
    assert feedback.progress == 45 and Attachment.objects.get(feedback=feedback).original_name == "归集现场.png"

    open_action(unit, "报送办结")
    unit.page.fill("#submit_completion-summary", "数据归集和治理任务已完成，归集率 100%。")
    unit.submit("section.actions-bar button:has-text('确认报送办结')")
    assert Task.objects.get(pk=item.pk).status == Status.UNDER_REVIEW

    # (3) The office orders a correction.
    office.go("/office/")
    assert office.page.locator("#q-review").get_by_text("公共数据全量归集和治理").count() == 1
    office.shot("office-queue-1920")
    office.shot("office-queue-390", width=390)
    office.page.locator("#q-review a", has_text="公共数据全量归集和治理").click()
    office.page.wait_for_load_state()
    open_action(office, "退回整改")
    office.page.fill("#request_correction-requirement", "请补充各部门数据质量评估报告和归集台账。")
    office.submit("section.actions-bar button:has-text('确认退回整改')")
    assert Task.objects.get(pk=item.pk).status == Status.CORRECTING

    # (4) The handler answers the correction and resubmits.
    unit.go(f"/tasks/{item.pk}/")
    assert "请补充各部门数据质量评估报告和归集台账" in unit.page.content()
    open_action(unit, "报送办结")
    unit.page.fill("#submit_completion-summary", "已按要求补充材料，任务完成。")
    unit.page.fill("#submit_completion-correction_answer", "已上传 12 个部门数据质量评估报告和归集台账。")
    unit.submit("section.actions-bar button:has-text('确认报送办结')")
    assert CorrectionOrder.objects.get(task=item).answer.startswith("已上传 12 个部门")
    unit.go("/notifications/")
    unit.shot("notifications-1920")

    # (5) The office approves and evaluates.
    office.go(f"/tasks/{item.pk}/")
    open_action(office, "审核通过")
    office.submit("section.actions-bar button:has-text('确认审核通过')")
    office.page.click("section.actions-bar a:has-text('评价')")
    office.page.wait_for_load_state()
    office.page.fill("#evaluate-overall", "92")
    office.page.fill("#evaluate-comment", "按期完成，成效明显。")
    office.submit("main form.action-form button[type=submit]")
    assert "评价完成，任务已办结" in office.page.content()
    evaluation = Evaluation.objects.get(task=item)
    assert evaluation.grade == "优" and Task.objects.get(pk=item.pk).status == Status.CLOSED

    # (6) The timeline shows every step, in order, with who did it.
    timeline = office.page.locator("#timeline").inner_text()
    labels = office.page.locator("#timeline .tl-label").all_inner_texts()
    steps = ["创建任务", "交办", "签收", "报送进度", "报送办结", "退回整改", "报送办结", "审核通过", "评价办结"]
    assert [label for label in labels if label in steps] == steps, labels
    assert "已交办 → 办理中" in timeline and "已反馈待审核 → 整改中" in timeline and "待评价 → 已办结" in timeline
    assert "张经办" in timeline and "李督查" in timeline
    assert office.page.locator("#timeline li").count() == TraceEntry.objects.filter(task=item).count()
    office.shot("task-detail-1920")
    office.shot("task-detail-390", width=390)

    # English, chosen in the header.
    office.go("/tasks/")
    office.page.select_option("#lang-select", "en")
    office.page.wait_for_load_state()
    office.page.wait_for_selector("h1:has-text('Tasks')")
    office.shot("tasks-en-1920")

    # (7) A handler of another unit gets 404 on the task's URL.
    stranger = open_session(browser, base, outsider.username, width=390)
    response = stranger.go(f"/tasks/{item.pk}/")
    assert response.status == 404
    assert "页面不存在或无权访问" in stranger.page.content()
    stranger.shot("error-404-390")
    # The only console error on that tab is the browser's own note about the 404 answer.
    assert all("404" in p for p in stranger.problems), stranger.problems

    problems = [p for s in sessions for p in s.problems]
    assert problems == [], problems
