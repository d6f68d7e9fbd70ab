"""Drive the demo programme through the closed loop with realistic history, through the real services.

The clock is moved back with ``time_machine`` so every step happens on a plausible day between the
programme's launch and today; nothing is written around the services, so the trace is genuine.
"""

from __future__ import annotations

import random
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone

from accounts.models import User
from indicators.achievement import linear_expected
from indicators.adapters import CsvSource
from indicators.models import Indicator
from indicators.services import measurements_import, measurements_pull, trajectory_generate
from orgs.models import OrgUnit
from reform.errors import DomainError
from reform.periods import period_of
from reform.roles import Role
from tasks_app import services
from tasks_app.models import Notice, Task
from tasks_app.workflow import Status
from trail.models import TraceEntry

LAUNCH = date(2026, 3, 2)


@contextmanager
def on_day(day: date, hour: int = 10) -> Iterator[None]:
    """Run the block as if it were ``day`` at ``hour`` o'clock in Asia/Shanghai."""
    import time_machine

    moment = datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=True):
        yield


def already_built() -> bool:
    return TraceEntry.objects.filter(action="task.assign").exists()


class DemoLoop:
    """One run of the demo history; ``rng`` is seeded so every demo looks the same."""

    def __init__(self, users: dict[str, User], today: date) -> None:
        self.users = users
        self.today = today
        self.rng = random.Random(2026)
        self.office = users["duchashi"]
        self.leader = users["leader"]
        self.heads = {
            u.unit_id: u for u in User.objects.filter(groups__name=Role.UNIT_ADMIN, unit__isnull=False).order_by("pk")
        }
        self.left_for_signoff = False
        self.handlers: dict[int, User] = {}
        for user in User.objects.filter(groups__name__in=[Role.UNIT_HANDLER, Role.UNIT_ADMIN]).select_related("unit"):
            if user.unit_id is not None and (user.role == Role.UNIT_HANDLER or user.unit_id not in self.handlers):
                self.handlers[user.unit_id] = user

    # -- helpers ---------------------------------------------------------------------------------
    def handler_for(self, task: Task) -> User | None:
        unit: OrgUnit | None = task.lead_unit
        while unit is not None:
            if unit.pk in self.handlers:
                return self.handlers[unit.pk]
            unit = unit.parent
        return None

    def sign_off(self, task: Task, day: date) -> bool:
        """负责人审核: a handler's completion report waits for the unit head; the head passes it on.

        The first one is left waiting (the demo shows a task 待单位负责人审核). Returns whether the
        office now has it.
        """
        task.refresh_from_db()
        if task.status != Status.UNIT_REVIEW:
            return True
        if not self.left_for_signoff:
            self.left_for_signoff = True
            return False
        head = self.heads.get(task.lead_unit_id)
        with on_day(day, 17):
            return bool(self.attempt(services.task_unit_signoff, actor=head, task=task, approve=True))

    def attempt(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Call a service; a refusal in the demo script is skipped, never half-applied (services are atomic)."""
        try:
            return fn(**kwargs)
        except DomainError:
            return None

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    # -- the story -------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        leaves = list(Task.objects.filter(is_leaf=True).select_related("lead_unit__parent").order_by("sort_key"))
        parents = list(Task.objects.filter(is_leaf=False).order_by("-depth", "sort_key"))
        by_unit: dict[str, list[Task]] = defaultdict(list)
        for task in leaves:
            by_unit[task.lead_unit.name].append(task)

        # 1. March: the office assigns almost everything; a few drafts remain, and some of
        #    市大数据局's tasks wait unsigned (assigned).
        keep_draft = {t.pk for t in leaves[-4:]}
        dsj_unsigned = {t.pk for t in by_unit.get("市大数据局", [])[-3:]}
        with on_day(LAUNCH):
            for task in parents + leaves:
                if task.pk not in keep_draft:
                    self.attempt(services.task_assign, actor=self.office, task=task, comment="请按清单要求抓好落实")
        accepted: list[Task] = []
        for task in leaves:
            if task.pk in keep_draft or task.pk in dsj_unsigned:
                continue
            handler = self.handler_for(task)
            if handler is None:
                continue
            with on_day(self.day_between(LAUNCH + timedelta(days=1), LAUNCH + timedelta(days=8))):
                if self.attempt(services.task_accept, actor=handler, task=task):
                    accepted.append(task)
        for task in parents:
            handler = self.handler_for(task)
            if handler is not None:
                with on_day(LAUNCH + timedelta(days=2)):
                    self.attempt(services.task_accept, actor=handler, task=task)

        # 2. Indicator trajectories and twelve months of values: a backfill upload at launch, then the
        #    statistics platform's CSV pulled every month.
        self.indicator_history()

        # 3. Ten-day reports from the last three months, with some missed ones.
        self.tenday_reports(accepted)

        # 3. Completion, review, correction and evaluation for a share of the items.
        self.completions(accepted)

        # 4. Instructions, notices, problems, extensions, cancel and reopen.
        self.supervision(accepted)
        return {"trace": TraceEntry.objects.count()}

    def indicator_history(self) -> None:
        indicators = list(Indicator.objects.select_related("task").order_by("pk"))
        if not indicators:
            return
        first = period_of(self.today, "month").previous()
        months = [first]
        while len(months) < 12:
            months.append(months[-1].previous())
        months.reverse()
        with on_day(LAUNCH - timedelta(days=1), 16):
            for indicator in indicators:
                self.attempt(trajectory_generate, actor=self.office, indicator=indicator)
            backfill = [m for m in months if m.end < LAUNCH]
            content = demo_measurement_csv(indicators, [m.end for m in backfill]).encode("utf-8-sig")
            measurements_import(actor=self.office, name="指标历史数据补录.csv", content=content)
        for month in (m for m in months if m.end >= LAUNCH):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"统计数据_{month.end:%Y%m}.csv"
                path.write_text(demo_measurement_csv(indicators, [month.end]), encoding="utf-8")
                with on_day(month.end + timedelta(days=5), 8):
                    measurements_pull(actor=None, source=CsvSource(str(path)))

    def tenday_reports(self, tasks: list[Task]) -> None:
        first = period_of(self.today - timedelta(days=90))
        periods = []
        period = first
        while period.end < self.today:
            periods.append(period)
            period = period.next()
        for task in tasks:
            handler = self.handler_for(task)
            progress = Decimal(self.rng.randint(5, 25))
            diligent = self.rng.random() < 0.75
            for p in periods:
                if not diligent and self.rng.random() < 0.4:
                    continue  # missed: feeds the light and the punctuality figure
                progress = min(Decimal(95), progress + Decimal(self.rng.randint(3, 12)))
                late = self.rng.random() < 0.1
                day = p.end + timedelta(days=self.rng.randint(2, 4) if late else 1)
                if day > self.today:
                    day = self.today
                values = {}
                if p.end.month == self.today.month:  # this month's value comes with the ten-day report
                    for indicator in task.indicators.all():
                        values[indicator.pk] = demo_indicator_value(indicator, period_of(p.end, "month").end)
                with on_day(day, hour=self.rng.randint(9, 17)):
                    self.attempt(
                        services.feedback_submit,
                        actor=handler,
                        task=task,
                        period_end=p.end,
                        progress=progress,
                        text=self.rng.choice(REPORT_TEXTS),
                        indicator_values=values or None,
                    )

    def completions(self, tasks: list[Task]) -> None:
        candidates = [t for t in tasks if t.deadline is None or t.deadline <= self.today + timedelta(days=60)]
        self.rng.shuffle(candidates)
        for i, task in enumerate(candidates[: max(8, len(candidates) // 2)]):
            task.refresh_from_db()
            handler = self.handler_for(task)
            due = task.deadline or self.today
            submit_day = min(self.today - timedelta(days=12), max(LAUNCH + timedelta(days=30), due - timedelta(days=7)))
            with on_day(submit_day, 15):
                if not self.attempt(
                    services.task_submit_completion,
                    actor=handler,
                    task=task,
                    summary="各项工作已按清单要求完成，佐证材料已上传",
                ):
                    continue
            if not self.sign_off(task, submit_day + timedelta(days=1)):
                continue
            kind = i % 6
            if kind == 0:
                continue  # awaiting review (已反馈待审核)
            if kind in (1, 2):
                with on_day(submit_day + timedelta(days=2)):
                    self.attempt(
                        services.task_request_correction,
                        actor=self.office,
                        task=task,
                        requirement="佐证材料不完整，请补充上线运行数据和用户评价",
                        due_date=submit_day + timedelta(days=10),
                    )
                if kind == 1:
                    continue  # still correcting (整改中)
                with on_day(submit_day + timedelta(days=6)):
                    self.attempt(
                        services.task_submit_completion,
                        actor=handler,
                        task=task,
                        summary="已按整改要求补充材料",
                        correction_answer="已补充运行数据和用户满意度调查结果",
                    )
                self.sign_off(task, submit_day + timedelta(days=6))
            with on_day(submit_day + timedelta(days=8)):
                self.attempt(services.task_approve, actor=self.office, task=task, comment="材料齐全，同意办结")
            if kind == 3:
                continue  # awaiting evaluation (待评价)
            criteria = services.evaluation_criteria(task)
            scores = (
                {
                    str(c.pk): str((c.max_score * Decimal(self.rng.uniform(0.62, 1))).quantize(Decimal("1")))
                    for c in criteria
                }
                if criteria
                else {"overall": self.rng.randint(62, 98)}
            )
            with on_day(submit_day + timedelta(days=10)):
                self.attempt(
                    services.task_evaluate,
                    actor=self.office,
                    task=task,
                    scores=scores,
                    comment=self.rng.choice(
                        ["成效明显，群众满意度高", "按期完成，质量较好", "基本完成，个别指标待提升"]
                    ),
                )

    def supervision(self, tasks: list[Task]) -> None:
        open_tasks = list(
            Task.objects.filter(pk__in=[t.pk for t in tasks], status=Status.IN_PROGRESS)
            .select_related("lead_unit__parent")
            .order_by("sort_key")
        )
        if not open_tasks:
            return
        pick = self.rng.sample(open_tasks, min(len(open_tasks), 16))
        texts = INSTRUCTION_TEXTS
        # Instructions: answered on time and approved, answered late, returned, unanswered past due, still open.
        for i, task in enumerate(pick[:8]):
            issued = self.today - timedelta(days=self.rng.randint(12, 40))
            due = issued + timedelta(days=7)
            with on_day(issued, 11):
                ins = self.attempt(
                    services.instruction_issue, actor=self.leader, task=task, text=texts[i % len(texts)], due_date=due
                )
            if ins is None:
                continue
            handler = self.handler_for(task)
            mode = i % 5
            if mode == 3:
                continue  # unanswered past due → red light
            answer_day = due - timedelta(days=2) if mode != 1 else due + timedelta(days=3)
            with on_day(answer_day, 16):
                self.attempt(
                    services.instruction_answer,
                    actor=handler,
                    instruction=ins,
                    response="已召开专题会议研究部署，明确时间表和责任人，正在加快推进",
                )
            if mode == 2:
                with on_day(answer_day + timedelta(days=1)):
                    self.attempt(
                        services.instruction_review,
                        actor=self.office,
                        instruction=ins,
                        approve=False,
                        comment="回复过于笼统，请补充具体举措和完成时间",
                    )
                continue
            if mode in (0, 1):
                with on_day(answer_day + timedelta(days=1)):
                    self.attempt(services.instruction_review, actor=self.office, instruction=ins, approve=True)
        with on_day(self.today - timedelta(days=1), 9):
            self.attempt(
                services.instruction_issue,
                actor=self.leader,
                task=pick[-1],
                text="此项工作群众关注度高，请于下周前报送进展",
                due_date=self.today + timedelta(days=6),
            )

        # Notices at every level; one 挂牌督办 is still open, another was lifted.
        for level, task in zip(Notice.Level, pick[8:12], strict=False):
            with on_day(self.today - timedelta(days=20 - level * 3)):
                self.attempt(
                    services.notice_issue,
                    actor=self.office,
                    task=task,
                    level=level,
                    reason=f"{NOTICE_REASONS[level]}（{task.code}）",
                    deadline=self.today + timedelta(days=10),
                )
        if len(pick) > 12:
            with on_day(self.today - timedelta(days=25)):
                lifted = self.attempt(
                    services.notice_issue,
                    actor=self.office,
                    task=pick[12],
                    level=Notice.Level.LISTED,
                    reason="系统建设严重滞后，实行挂牌督办",
                )
            if lifted is not None:
                with on_day(self.today - timedelta(days=5)):
                    self.attempt(services.notice_lift, actor=self.office, notice=lifted, comment="已整改到位，同意摘牌")

        # Problem reports, answered and resolved.
        for task, text in zip(pick[:3], PROBLEMS, strict=False):
            handler = self.handler_for(task)
            with on_day(self.today - timedelta(days=15)):
                problem = self.attempt(services.problem_report, actor=handler, task=task, text=text)
            if problem is not None and task is not pick[2]:
                with on_day(self.today - timedelta(days=12)):
                    self.attempt(
                        services.problem_answer,
                        actor=self.office,
                        problem=problem,
                        response="已协调相关部门专题研究，请按会议纪要推进",
                        resolve=task is pick[0],
                    )

        # Extension requests: one approved, one rejected, one pending.
        for i, task in enumerate(pick[13:16]):
            handler = self.handler_for(task)
            task.refresh_from_db()
            wanted = (task.deadline or self.today) + timedelta(days=45)
            with on_day(self.today - timedelta(days=10 - i)):
                req = self.attempt(
                    services.extension_request,
                    actor=handler,
                    task=task,
                    requested_deadline=wanted,
                    reason="涉及跨部门数据对接，需协调省级系统接口，申请延期",
                )
            if req is None or i == 2:
                continue
            with on_day(self.today - timedelta(days=8 - i)):
                self.attempt(
                    services.extension_decide,
                    actor=self.office,
                    request=req,
                    approve=i == 0,
                    comment="同意延期，请抓紧推进" if i == 0 else "理由不充分，请按原计划完成",
                )

        # One task withdrawn, one closed task reopened.
        # (A city department's: the items led by 东城区 carry the district's own story, demo.levels.)
        withdrawn = next((t for t in reversed(open_tasks) if t.lead_unit.level == OrgUnit.Level.CITY), open_tasks[-1])
        with on_day(self.today - timedelta(days=30)):
            self.attempt(
                services.task_cancel,
                actor=self.leader,
                task=withdrawn,
                reason="该事项已并入省级统一建设，市级不再单独推进",
            )
        closed = Task.objects.filter(status=Status.CLOSED, is_leaf=True).order_by("sort_key").first()
        if closed is not None:
            with on_day(self.today - timedelta(days=3)):
                self.attempt(
                    services.task_reopen, actor=self.office, task=closed, reason="复核发现部分功能未上线，重新打开跟进"
                )


def demo_indicator_value(indicator: Any, period_end: date) -> Decimal:
    """Ahead, on track, a little behind or far behind the straight line, by the indicator's id."""
    span = indicator.target_value - indicator.baseline_value
    expected = linear_expected(indicator, period_end)
    if expected is None:
        expected = indicator.baseline_value
    offset = {0: Decimal("0.08"), 1: Decimal("0.01"), 2: Decimal("-0.15"), 3: Decimal("-0.27")}[indicator.pk % 4]
    started = indicator.baseline_date is None or period_end > indicator.baseline_date
    return (expected + (span * offset if started else 0)).quantize(Decimal("0.01"))


def demo_measurement_csv(indicators: list[Any], periods: list[date]) -> str:
    lines = ["任务编号,指标名称,期间,数值"]
    for indicator in indicators:
        for end in periods:
            lines.append(f"{indicator.task.code},{indicator.name},{end:%Y-%m},{demo_indicator_value(indicator, end)}")
    return "\n".join(lines) + "\n"


REPORT_TEXTS = [
    "本旬完成需求调研和方案评审，系统开发按计划推进。",
    "完成数据归集接口联调，新增上线事项 6 项。",
    "组织专班例会一次，协调解决数据共享问题 2 个。",
    "完成试点区县部署，用户培训覆盖 300 余人。",
    "推进跨部门业务协同，梳理流程再造清单。",
    "受供应商交付影响，部分功能上线时间推迟，已督促加快。",
]
INSTRUCTION_TEXTS = [
    "请牵头单位加快推进，确保按期完成，重要情况及时报告。",
    "此项工作是年度重点，要对标先进地区查找差距。",
    "请会同配合单位研究解决数据共享难题，一周内报方案。",
    "要注重群众获得感，及时总结推广典型经验。",
    "进度明显滞后，请说明原因并提出整改措施。",
]
NOTICE_REASONS = {
    Notice.Level.REMIND: "旬报内容不完整，请补充佐证材料",
    Notice.Level.URGE: "进度落后于时序进度，请加快推进",
    Notice.Level.SUPERVISE: "多次催办仍未见实质进展，列入督办",
    Notice.Level.LISTED: "关键节点严重滞后，实行挂牌督办",
}
PROBLEMS = [
    "省级平台接口权限尚未开通，影响数据归集。",
    "配合单位数据质量不高，字段缺失较多。",
    "项目资金尚未到位，影响采购进度。",
]
