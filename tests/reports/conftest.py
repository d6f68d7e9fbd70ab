from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pypdf import PdfReader

from indicators import rag
from tasks_app import services
from tasks_app.workflow import Status
from tests.factories import make_task, make_unit, make_user
from tests.tasks_app.workflow_helpers import drive

TODAY = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()


@pytest.fixture
def programme(frozen, city, dsj, jxj, office_user, leader_user, dsj_handler, jxj_handler):
    """Two units, five items: one closed, one overdue (red), one on track, one listed, one with an instruction."""
    with time_machine.travel(datetime(2026, 9, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        major = make_task("1", lead_unit=dsj, title="建设一体化智能化公共数据平台", deadline=date(2027, 6, 30))
        items = {
            "late": make_task("1.1", lead_unit=dsj, title="公共数据目录梳理", deadline=date(2026, 11, 10)),
            "ok": make_task("1.2", lead_unit=dsj, title="数据共享交换通道建设", deadline=date(2027, 3, 31)),
            "listed": make_task("1.3", lead_unit=jxj, title="企业码应用推广", deadline=date(2027, 3, 31)),
            "closed": make_task("1.4", lead_unit=jxj, title="产业大脑试点", deadline=date(2026, 10, 31)),
        }
        drive(major, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)
        for key, task in items.items():
            unit_user = dsj_handler if task.lead_unit_id == dsj.pk else jxj_handler
            state = Status.CLOSED if key == "closed" else Status.IN_PROGRESS
            drive(task, state, office=office_user, unit_user=unit_user)
    services.notice_issue(actor=office_user, task=items["listed"], level=4, reason="推广进度严重滞后，实行挂牌督办")
    services.instruction_issue(
        actor=leader_user, task=items["ok"], text="请加快通道建设，月底前联调", due_date=date(2026, 11, 30)
    )
    rag.recompute_all()
    for task in items.values():
        task.refresh_from_db()
    return items


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(data: bytes) -> set[str]:
    """The base font names of every embedded font the pages use."""
    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            if embedded:
                names.add(str(font["/BaseFont"]))
    return names


@pytest.fixture
def other_unit_admin(city):
    other = make_unit("市财政局", parent=city)
    return make_user("unit_admin", unit=other, username="czj_admin")
