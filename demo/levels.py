"""The demo's second level: 东城区 runs its own loop with its streets, through the same services.

- 东城区督查室 sets up the district's own programme (its own domains and codes 1, 1.1 …) and assigns
  its items to 东华街道 and 东湖街道, which report; one is urged (催办);

- the city's item 8.2.1 (led by 东城区) is split by the district's head and handed down to 东华街道 and
  东湖街道, which accept and report; 东华街道's part is reported done by its handler, passes the street
  head's sign-off (负责人审核) and is approved by 东城区督查室;
- 东城区督查室 splits a city item led by 东城区 (8.2.4 or the next one open) into street items;
  东湖街道 returns one as not its own and the district office re-assigns it to 东华街道; another
  returned item still waits for re-assignment;
- the district leader is 分管领导 of 8.2.1, and instructs on it;
- the lead unit of a city item the districts cooperate on (2.4 基层便民服务) sets their shares:
  东城区 reports its share done, 西湖区's is overdue (the item's light names it), 南江区's is open.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from accounts.models import User
from orgs.models import OrgUnit
from reform.errors import DomainError
from reform.roles import Role
from tasks_app import services
from tasks_app.models import Notice, Programme, Task
from tasks_app.selectors.programmes import default_programme
from tasks_app.workflow import Status

from .loop import on_day

logger = logging.getLogger(__name__)
DISTRICT_PROGRAMME = "东城区数字化改革重点任务"
SHARED_ITEMS = ("2.4", "3.1.5", "4.2.3", "7.2.3", "2.1.2")  # city items on which the three districts cooperate
DISTRICT_ITEMS = ("8.2.4", "6.4.1", "5.2.4", "2.4.1")  # city items led by 东城区, for its office to split


class DistrictStory:
    def __init__(self, users: dict[str, User], today: date) -> None:
        self.users = users
        self.today = today
        self.units = {u.name: u for u in OrgUnit.objects.filter(name__in=self.UNITS)}
        self.city = default_programme()

    UNITS = ("东城区", "东华街道", "东湖街道", "西湖区", "南江区")

    def attempt(self, fn, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return fn(**kwargs)
        except DomainError as exc:
            logger.info("demo step %s refused: %s", fn.__name__, exc)
            return None

    def task(self, code: str) -> Task | None:
        """A task of the city's (default) programme."""
        return Task.objects.filter(programme=self.city, code=code).first()

    def run(self) -> None:
        self.district_programme()
        self.hand_down_to_streets()
        self.district_office_splits()
        self.cooperating_shares()

    def district_programme(self) -> None:
        """东城区's own programme: its office sets it up with its own domains, creates and assigns the items."""
        u = self.users
        office = u["dcq_duchashi"]
        start = self.today - timedelta(days=50)
        with on_day(start):
            programme = self.attempt(
                services.programme_create,
                actor=office,
                name=DISTRICT_PROGRAMME,
                short_name="东城区重点任务",
                kind=Programme.Kind.ANNUAL,
                year=self.today.year,
                owner=self.units["东城区"],
                domains=[("jiceng", "基层智治"), ("minsheng", "民生服务"), ("chanye", "数字产业")],
            )
        if programme is None:
            return
        domains = {d.code: d for d in programme.domains.all()}
        deadline = self.today + timedelta(days=75)
        items = [
            ("1", "推进基层治理“一网统管”", "jiceng", "东城区", ()),
            ("1.1", "东华街道网格事件“一屏通览”", None, "东华街道", ()),
            ("1.2", "东湖街道“智慧安防小区”全覆盖", None, "东湖街道", ("东华街道",)),
            ("2", "打造“15分钟便民服务圈”", "minsheng", "东城区", ()),
            ("2.1", "街道便民服务中心“一窗通办”", None, "东华街道", ("东湖街道",)),
            ("2.2", "社区养老服务数字化", None, "东湖街道", ()),
        ]
        created = {}
        with on_day(start + timedelta(days=1)):
            for code, title, domain, lead, cooperating in items:
                created[code] = self.attempt(
                    services.task_create,
                    actor=office,
                    programme=programme,
                    code=code,
                    title=title,
                    domain=domains[domain] if domain else None,
                    lead_unit=self.units[lead],
                    cooperating_units=[self.units[c] for c in cooperating],
                    deadline=deadline,
                    leader_in_charge=u["dcq_leader"],
                )
            for code in ("1.1", "1.2", "2.1", "2.2"):
                if created.get(code) is not None:
                    self.attempt(
                        services.task_assign, actor=office, task=created[code], comment="请按区重点任务要求推进"
                    )
        handlers = {"东华街道": u["dcqdh_handler"], "东湖街道": u["dcqhu_handler"]}
        for code, progress in (("1.1", 45), ("1.2", 20), ("2.1", 60), ("2.2", 10)):
            task = created.get(code)
            if task is None:
                continue
            handler = handlers[task.lead_unit.name]
            with on_day(start + timedelta(days=3)):
                self.attempt(services.task_accept, actor=handler, task=task)
            with on_day(self.today - timedelta(days=4), 16):
                self.attempt(
                    services.feedback_submit,
                    actor=handler,
                    task=task,
                    text="按区里部署推进，本周完成阶段目标",
                    progress=progress,
                    kind="progress",
                )
        if created.get("2.2") is not None:
            with on_day(self.today - timedelta(days=2), 11):
                self.attempt(
                    services.notice_issue,
                    actor=office,
                    task=created["2.2"],
                    level=Notice.Level.URGE,
                    reason="社区养老服务数字化进度滞后，请加快推进",
                )

    def hand_down_to_streets(self) -> None:
        item = self.task("8.2.1")
        if item is None:
            return
        u = self.users
        city_office, dcq_leader = u["duchashi"], u["dcq_leader"]
        start = self.today - timedelta(days=40)
        with on_day(start - timedelta(days=1)):
            self.attempt(services.task_update, actor=city_office, task=item, leader_in_charge=dcq_leader)
        item.refresh_from_db()
        if item.status == "assigned":
            with on_day(start):
                self.attempt(services.task_accept, actor=u["dcq_admin"], task=item)
        with on_day(start + timedelta(days=1)):
            parts = self.attempt(
                services.task_hand_down,
                actor=u["dcq_admin"],
                task=item,
                parts=[
                    services.Part(
                        title="东华街道基层治理平台试点上线",
                        lead_unit=self.units["东华街道"],
                        deadline=self.today + timedelta(days=20),
                    ),
                    services.Part(title="东湖街道网格事件流转接入", lead_unit=self.units["东湖街道"]),
                ],
            )
        if not parts:
            return
        east, lake = parts
        with on_day(start + timedelta(days=2)):
            self.attempt(services.task_accept, actor=u["dcqdh_handler"], task=east)
            self.attempt(services.task_accept, actor=u["dcqhu_handler"], task=lake)
        for days, progress in ((10, 30), (20, 60), (30, 85)):
            with on_day(start + timedelta(days=days), 16):
                self.attempt(
                    services.feedback_submit,
                    actor=u["dcqdh_handler"],
                    task=east,
                    text="试点平台按计划推进，已完成网格数据对接",
                    progress=progress,
                    kind="progress",
                )
        with on_day(start + timedelta(days=12), 16):
            self.attempt(
                services.feedback_submit,
                actor=u["dcqhu_handler"],
                task=lake,
                text="已梳理网格事件类型，接口开发中",
                progress=25,
                kind="progress",
            )
        with on_day(self.today - timedelta(days=6), 15):
            self.attempt(
                services.task_submit_completion,
                actor=u["dcqdh_handler"],
                task=east,
                summary="试点平台已在东华街道上线运行，覆盖全部网格",
            )
        with on_day(self.today - timedelta(days=5), 10):
            self.attempt(
                services.task_unit_signoff, actor=u["dcqdh_admin"], task=east, approve=True, comment="材料齐全"
            )
        with on_day(self.today - timedelta(days=3), 10):
            self.attempt(services.task_approve, actor=u["dcq_duchashi"], task=east, comment="试点成效明显，同意办结")
        with on_day(self.today - timedelta(days=2), 9):
            self.attempt(
                services.instruction_issue,
                actor=dcq_leader,
                task=item,
                text="东华街道试点经验要尽快在东湖街道推广",
                due_date=self.today + timedelta(days=7),
            )

    def district_office_splits(self) -> None:
        item = (
            Task.objects.filter(
                programme=self.city, code__in=DISTRICT_ITEMS, status=Status.IN_PROGRESS, lead_unit__name="东城区"
            )
            .order_by("sort_key")
            .first()
        )
        if item is None:
            return
        u = self.users
        office = u["dcq_duchashi"]
        day = self.today - timedelta(days=12)
        created = []
        with on_day(day):
            for n, (title, street) in enumerate(
                (("东华街道综合指挥室规范化建设", "东湖街道"), ("东湖街道综合指挥室规范化建设", "东湖街道")), start=1
            ):
                task = self.attempt(
                    services.task_create,
                    actor=office,
                    code=f"{item.code}.{n}",
                    title=title,
                    lead_unit=self.units[street],
                    deadline=item.deadline,
                )
                if task is not None:
                    self.attempt(services.task_assign, actor=office, task=task, comment="请按区里统一部署推进")
                    created.append(task)
        if len(created) < 2:
            return
        wrong, own = created
        with on_day(day + timedelta(days=1)):
            self.attempt(services.task_accept, actor=u["dcqhu_handler"], task=own)
            self.attempt(
                services.task_decline,
                actor=u["dcqhu_handler"],
                task=wrong,
                reason="该指挥室位于东华街道辖区，应由东华街道牵头",
            )
        with on_day(day + timedelta(days=2)):
            self.attempt(
                services.task_reassign,
                actor=office,
                task=wrong,
                lead_unit=self.units["东华街道"],
                comment="经核实，改由东华街道牵头",
            )
        with on_day(day + timedelta(days=3)):
            self.attempt(services.task_accept, actor=u["dcqdh_handler"], task=wrong)
        # A third street item, returned yesterday, waits for the district office to decide.
        with on_day(self.today - timedelta(days=2)):
            third = self.attempt(
                services.task_create,
                actor=office,
                code=f"{item.code}.3",
                title="街道指挥室值班值守制度建设",
                lead_unit=self.units["东华街道"],
                deadline=item.deadline,
            )
            if third is not None:
                self.attempt(services.task_assign, actor=office, task=third, comment="请制定值班值守制度")
        if third is not None:
            with on_day(self.today - timedelta(days=1)):
                self.attempt(
                    services.task_decline,
                    actor=u["dcqdh_handler"],
                    task=third,
                    reason="值班值守制度由区应急管理局统一制定，建议改派",
                )

    def cooperating_shares(self) -> None:
        item = (
            Task.objects.filter(programme=self.city, code__in=SHARED_ITEMS, status=Status.IN_PROGRESS)
            .select_related("lead_unit")
            .order_by("sort_key")
            .first()
        )
        if item is None:
            return
        u = self.users
        lead = (
            User.objects.filter(unit=item.lead_unit, groups__name__in=[Role.UNIT_ADMIN, Role.UNIT_HANDLER])
            .order_by("pk")
            .first()
        )
        start = self.today - timedelta(days=30)
        shares = {}
        with on_day(start):
            for district, work, due in (
                ("东城区", "在辖区 12 个便民服务中心实现高频事项就近办", self.today - timedelta(days=3)),
                ("西湖区", "完成辖区街道便民服务点自助终端部署", self.today - timedelta(days=5)),
                ("南江区", "梳理农村地区就近办事项清单并上线", self.today + timedelta(days=25)),
            ):
                share = self.attempt(
                    services.share_set,
                    actor=lead,
                    task=item,
                    unit=self.units[district],
                    work=work,
                    deadline=min(due, item.deadline) if item.deadline else due,
                )
                if share is not None:
                    shares[district] = share
        if "东城区" in shares:
            with on_day(self.today - timedelta(days=6), 15):
                self.attempt(
                    services.share_report,
                    actor=u["dcq_handler"],
                    share=shares["东城区"],
                    text="12 个便民服务中心均已上线就近办事项",
                    done=True,
                )
        if "西湖区" in shares:
            with on_day(self.today - timedelta(days=12), 15):
                self.attempt(
                    services.share_report,
                    actor=u["xhq_handler"],
                    share=shares["西湖区"],
                    text="自助终端采购中，已完成 3 个街道点位勘察",
                )
