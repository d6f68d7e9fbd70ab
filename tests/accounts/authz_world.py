"""The world the authorization matrix runs in: eleven actors on two levels, and three sides.

"Own" objects hang off a task led by 市大数据局 (the unit of ``dsj_admin`` and ``dsj_handler``);
"foreign" objects hang off a task led by 市经信局 with 市大数据局 nowhere on it; "district" objects hang
off a task of 东城区's level, led by its street 东华街道 (the unit of ``street_handler``) with 东湖街道
cooperating, supervised by 东城区's office and leader (``dcq_office``, ``dcq_leader``, scoped to 东城区).
The outsider is a handler of 市教育局, which has nothing to do with any task. The city's leader, office
and auditor see every side; ``fenguan`` is a leader scoped to another district (西湖区) who is the
分管领导 of the foreign task, and sees that one only.

Each side holds one of every supervision object, in the state where its next action is possible:
an issued instruction (to answer), an answered one (to review), an open notice, an open problem
report, a pending extension request, an indicator, an attachment and a finished report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.services import token_issue
from indicators.models import Indicator
from reports import services as report_services
from reports.models import Report
from tasks_app import services
from tasks_app.models import Notification, Task
from tasks_app.services import attachment_store
from tasks_app.workflow import Status
from tests.factories import Role, make_task, make_unit, make_user
from tests.tasks_app.workflow_helpers import drive

ANONYMOUS = "anonymous"
ACTORS = (
    ANONYMOUS, "leader", "office", "auditor", "dsj_admin", "dsj_handler", "outsider",
    "dcq_office", "dcq_leader", "street_handler", "fenguan",
)  # fmt: skip
CITY_ROLES = ("leader", "office", "auditor")
DISTRICT_SUPERVISORS = ("dcq_office", "dcq_leader")
OWN, FOREIGN, DISTRICT = "own", "foreign", "district"
SIDES = (OWN, FOREIGN, DISTRICT)
ROLE_OF = {
    ANONYMOUS: None,
    "leader": Role.LEADER,
    "office": Role.OFFICE,
    "auditor": Role.AUDITOR,
    "dsj_admin": Role.UNIT_ADMIN,
    "dsj_handler": Role.UNIT_HANDLER,
    "outsider": Role.UNIT_HANDLER,
    "dcq_office": Role.OFFICE,
    "dcq_leader": Role.LEADER,
    "street_handler": Role.UNIT_HANDLER,
    "fenguan": Role.LEADER,
}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sees(actor: str, side: str) -> bool:
    """Whether ``actor`` may see the objects of ``side`` (the product rule, written out by hand)."""
    if actor in CITY_ROLES:
        return True
    if actor in ("dsj_admin", "dsj_handler"):
        return side == OWN
    if actor in (*DISTRICT_SUPERVISORS, "street_handler"):
        return side == DISTRICT
    if actor == "fenguan":
        return side == FOREIGN
    return False


@dataclass
class Side:
    """Primary keys of one side's objects (ids, not instances: every test rolls its changes back)."""

    task: int
    instruction: int
    answered_instruction: int
    notice: int
    problem: int
    extension: int
    indicator: int
    attachment: int
    report: int
    failed_report: int
    unit: int
    share: int  # the cooperating unit's (市民政局's) open share of the task
    division: int  # a division (处室) of the lead unit, to hand parts of the task down to
    cooperating: int  # the task's cooperating unit (no actor works there)


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    sides: dict[str, Side]
    notifications: dict[str, int] = field(default_factory=dict)  # actor -> a notification addressed to them
    stranger_notification: int = 0  # addressed to nobody among the actors
    others: dict[str, User] = field(default_factory=dict)  # users who are objects, not actors

    def side(self, side: str) -> Side:
        return self.sides[side]


def _side(*, lead, unit_user, office, leader, report_unit, cooperating, in_charge=None) -> Side:
    today = timezone.localdate()
    division = make_unit(f"{lead.name}综合处", parent=lead, level="division")
    task = make_task(
        lead_unit=lead,
        start_date=today - timedelta(days=30),
        deadline=today + timedelta(days=60),
        cooperating_units=(cooperating,),
    )
    # The task's own office created it (a district's office its district's tasks), and its 分管领导.
    Task.objects.filter(pk=task.pk).update(created_by=office, leader_in_charge=in_charge)
    drive(task, Status.IN_PROGRESS, office=office, unit_user=unit_user)
    task = Task.objects.get(pk=task.pk)
    share = services.share_set(actor=office, task=task, unit=cooperating, work="提供民政数据")
    instruction = services.instruction_issue(actor=leader, task=task, text="请加快推进", due_date=today)
    answered = services.instruction_issue(actor=leader, task=task, text="请报送进展", due_date=today)
    services.instruction_answer(actor=unit_user, instruction=answered, response="已落实")
    notice = services.notice_issue(actor=office, task=task, level=2, reason="进度滞后")
    problem = services.problem_report(actor=unit_user, task=task, text="接口标准不统一")
    extension = services.extension_request(
        actor=unit_user, task=task, requested_deadline=today + timedelta(days=90), reason="设备到货延迟"
    )
    indicator = Indicator.objects.create(
        task=task, name="一网通办率", unit="%", baseline_value=40, baseline_date=today.replace(month=1, day=1),
        target_value=90, target_date=today + timedelta(days=300),
    )  # fmt: skip
    attachment = attachment_store(
        actor=unit_user, task=task, uploaded_file=SimpleUploadedFile("材料.pdf", PDF, "application/pdf")
    )
    report = report_services.queue_report(actor=None, kind=Report.Kind.BULLETIN, scope=f"unit:{report_unit.pk}",
                                          schedule=False)  # fmt: skip
    report.file.save(f"authz-{report.pk}.pdf", ContentFile(PDF), save=False)
    report.status = Report.Status.DONE
    report.save(update_fields=["file", "status"])
    failed = report_services.queue_report(actor=None, kind=Report.Kind.BULLETIN, scope=f"unit:{report_unit.pk}",
                                          schedule=False)  # fmt: skip
    failed.status = Report.Status.FAILED
    failed.save(update_fields=["status"])
    return Side(
        task=task.pk,
        instruction=instruction.pk,
        answered_instruction=answered.pk,
        notice=notice.pk,
        problem=problem.pk,
        extension=extension.pk,
        indicator=indicator.pk,
        attachment=attachment.pk,
        report=report.pk,
        failed_report=failed.pk,
        unit=lead.pk,
        share=share.pk,
        division=division.pk,
        cooperating=cooperating.pk,
    )


def build_world() -> World:
    """Create units, users with API tokens, and the two sides, through the real services."""
    city = make_unit("测试市人民政府", level="city")
    dsj = make_unit("市大数据局", parent=city)
    jxj = make_unit("市经信局", parent=city)
    jyj = make_unit("市教育局", parent=city)
    mzj = make_unit("市民政局", parent=city)  # cooperates on both city tasks; none of the actors is in it
    dcq = make_unit("东城区", parent=city, level="county")
    dcqdh = make_unit("东华街道", parent=dcq, level="street")
    dcqhu = make_unit("东湖街道", parent=dcq, level="street")  # cooperates on the district's task
    xhq = make_unit("西湖区", parent=city, level="county")
    users = {
        "leader": make_user(Role.LEADER, unit=city, username="authz_leader"),
        "office": make_user(Role.OFFICE, unit=city, username="authz_office"),
        "auditor": make_user(Role.AUDITOR, username="authz_auditor"),
        "dsj_admin": make_user(Role.UNIT_ADMIN, unit=dsj, username="authz_dsj_admin"),
        "dsj_handler": make_user(Role.UNIT_HANDLER, unit=dsj, username="authz_dsj_handler"),
        "outsider": make_user(Role.UNIT_HANDLER, unit=jyj, username="authz_outsider"),
        "dcq_office": make_user(Role.OFFICE, unit=dcq, scope=dcq, username="authz_dcq_office"),
        "dcq_leader": make_user(Role.LEADER, unit=dcq, scope=dcq, username="authz_dcq_leader"),
        "street_handler": make_user(Role.UNIT_HANDLER, unit=dcqdh, username="authz_street_handler"),
        "fenguan": make_user(Role.LEADER, unit=xhq, scope=xhq, username="authz_fenguan"),
    }
    jxj_handler = make_user(Role.UNIT_HANDLER, unit=jxj, username="authz_jxj_handler")
    office, leader = users["office"], users["leader"]
    sides = {
        OWN: _side(
            lead=dsj, unit_user=users["dsj_handler"], office=office, leader=leader, report_unit=dsj, cooperating=mzj
        ),
        FOREIGN: _side(
            lead=jxj,
            unit_user=jxj_handler,
            office=office,
            leader=leader,
            report_unit=jxj,
            cooperating=mzj,
            in_charge=users["fenguan"],
        ),
        DISTRICT: _side(
            lead=dcqdh,
            unit_user=users["street_handler"],
            office=users["dcq_office"],
            leader=users["dcq_leader"],
            report_unit=dcqdh,
            cooperating=dcqhu,
        ),
    }
    world = World(
        users=users,
        tokens={name: token_issue(user=user) for name, user in users.items()},
        sides=sides,
    )
    for name, user in users.items():
        world.notifications[name] = Notification.objects.create(recipient=user, kind="test", title="测试消息").pk
    world.others["jxj_handler"] = jxj_handler
    world.stranger_notification = Notification.objects.create(recipient=jxj_handler, kind="test", title="别人的").pk
    return world
