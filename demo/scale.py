"""A realistic synthetic programme at province scale, built through bulk paths (``manage.py seed_scale``).

The shape: one province (演示省) with provincial departments and 11 cities, each with its own
departments and 9 districts/counties of two streets; 40 major tasks (8 per domain, fewer for small
programmes) split into sub-tasks, work packages and items, some items one level deeper. History is
spread over every state with closing dates, deadlines past and future, indicators with monthly
trajectories and values (ahead, on track, behind, far behind), instructions answered on time, late,
returned or not at all, notices at every level including open listed supervision, ten-day reports
(on time, late and missed), evaluations, and daily light snapshots at period ends for the trend.

Rows go in with ``bulk_create`` in batches; the tree stays consistent (code, parent, sort_key, depth,
is_leaf, parents' progress as the mean of their children). The lights are then computed by the real
engine (``indicators.rag.recompute_all``), so every light has its real reason. Synthetic history
leaves one trace entry (``task.import``) recording the load, not one per row.
"""

from __future__ import annotations

import contextlib
import math
import random
import time as clock
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import User
from cockpit import services
from cockpit.models import LightSnapshot
from indicators import rag
from indicators.achievement import linear_expected
from indicators.models import Indicator, Measurement, TrajectoryPoint
from orgs.models import OrgUnit
from reform.periods import Period, period_of
from reform.roles import Role
from rhythm.models import MissedReport
from tasks_app import events, tree
from tasks_app.bootstrap import ensure_reference_data
from tasks_app.bulk import bulk_insert_tree
from tasks_app.models import Domain, Evaluation, Feedback, Instruction, Notice, Task
from tasks_app.selectors.programmes import default_programme
from tasks_app.workflow import Status

BATCH = 5000
PROVINCE = ("演示省人民政府", "P")
PROVINCE_DEPARTMENTS = [
    "省大数据局",
    "省发展改革委",
    "省经信厅",
    "省教育厅",
    "省公安厅",
    "省民政厅",
    "省司法厅",
    "省财政厅",
    "省人力社保厅",
    "省自然资源厅",
    "省生态环境厅",
    "省住房城乡建设厅",
    "省交通运输厅",
    "省农业农村厅",
    "省商务厅",
    "省卫生健康委",
    "省市场监管局",
    "省医保局",
    "省应急管理厅",
    "省政府办公厅",
    "省统计局",
    "省信访局",
]
CITIES = ["江北市", "湖滨市", "山南市", "海东市", "云川市", "青岭市", "临溪市", "安平市", "永宁市", "瑞丰市", "清和市"]
CITY_DEPARTMENTS = ["大数据局", "发展改革委", "经信局", "教育局", "公安局", "民政局", "卫生健康委", "市场监管局"]
COUNTIES = ["城东区", "城西区", "城南区", "城北区", "高新区", "经开区", "滨江县", "山阳县", "清河县"]
STREETS = ["中心街道", "新城街道"]
THEMES = {
    "party_gov": ["机关内部“最多跑一次”", "协同办公", "决策辅助", "督查督办", "机关事务管理", "干部监督"],
    "digital_gov": [
        "政务服务“一网通办”",
        "“一件事”集成改革",
        "基层治理“四平台”",
        "城市大脑",
        "掌上执法",
        "公共数据平台",
    ],
    "digital_economy": ["产业大脑", "未来工厂", "工业互联网", "数字贸易", "中小企业数字化改造", "数字农业"],
    "digital_society": ["未来社区", "智慧医疗", "教育数字化", "数字养老", "“一老一小”服务", "就业服务"],
    "digital_law": ["执法监管一体化", "矛盾纠纷调处化解", "行政复议数字化", "公共法律服务", "智慧司法协同", "信用监管"],
}
MAJOR_TITLES = [
    "综合集成改革",
    "重大应用建设",
    "制度规则重塑",
    "数据资源体系",
    "场景应用推广",
    "标准规范体系",
    "能力底座建设",
    "改革成效评估",
]
SUB_VERBS = ["推进", "深化", "建设", "完善", "迭代升级"]
ITEM_VERBS = ["完成", "上线", "建立", "开展", "推广", "归集", "打通", "制定"]
ITEM_OBJECTS = [
    "应用场景",
    "数据归集",
    "业务协同流程",
    "工作机制",
    "试点评估",
    "系统对接",
    "标准规范",
    "运行监测",
    "培训推广",
]
INDICATORS = [
    # name suffix, unit, direction, baseline range, target range
    ("事项网上可办率", "%", "higher", (35, 60), (90, 100)),
    ("用户覆盖数", "万人", "higher", (5, 30), (60, 150)),
    ("平均办理时长", "天", "lower", (12, 20), (2, 5)),
    ("数据归集率", "%", "higher", (40, 65), (95, 100)),
    ("跨部门协同事项数", "项", "higher", (10, 40), (80, 160)),
]
INDICATOR_PATTERNS = (Decimal("0.08"), Decimal("0.01"), Decimal("-0.15"), Decimal("-0.27"))
# How often each pattern (ahead, on track, behind, far behind) occurs, by domain: some domains lag.
PATTERN_WEIGHTS = {
    "party_gov": (42, 36, 14, 8),
    "digital_gov": (36, 36, 18, 10),
    "digital_economy": (26, 34, 25, 15),
    "digital_society": (30, 32, 24, 14),
    "digital_law": (20, 30, 28, 22),
}
ITEM_STATUSES = [
    (Status.DRAFT, 2),
    (Status.ASSIGNED, 5),
    (Status.IN_PROGRESS, 44),
    (Status.UNDER_REVIEW, 6),
    (Status.CORRECTING, 3),
    (Status.EVALUATING, 4),
    (Status.CLOSED, 33),
    (Status.CANCELLED, 3),
]
REPORTING = {Status.IN_PROGRESS, Status.CORRECTING, Status.UNDER_REVIEW, Status.EVALUATING, Status.CLOSED}
TENDAY_HISTORY = 6  # ten-day periods of reports before today
SNAPSHOT_PERIODS = 13  # months of period-end snapshots before today


@dataclass
class Node:
    code: str
    title: str
    domain: Domain
    lead: OrgUnit
    coop: list[OrgUnit] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    status: str = Status.IN_PROGRESS
    start: date | None = None
    deadline: date | None = None
    progress: Decimal = Decimal(0)
    closed_at: datetime | None = None
    is_governance: bool = True
    is_service: bool = False
    pk: int | None = None


@contextlib.contextmanager
def own_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let synthetic history set ``auto_now``/``auto_now_add`` fields itself while inside the block."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))  # type: ignore[attr-defined]
                f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add  # type: ignore[attr-defined]


def fast_create(model: type[models.Model], objs: list[Any]) -> None:
    """Insert rows whose ids nobody needs back: COPY on PostgreSQL, ``bulk_create`` elsewhere."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields])


class ScaleBuilder:
    """Build the programme in memory, then write it in bulk."""

    def __init__(self, *, items: int, seed: int, today: date, log: Callable[[str], None]) -> None:
        self.items = items
        self.rng = random.Random(seed)
        self.today = today
        self.log = log
        self.tz = timezone.get_current_timezone()
        self.counts: dict[str, int] = {}

    # --- helpers ----------------------------------------------------------------------------

    def at(self, day: date, hour: int | None = None) -> datetime:
        hour = self.rng.randint(8, 18) if hour is None else hour
        return datetime.combine(day, time(hour, self.rng.randint(0, 59)), tzinfo=self.tz)

    def weighted(self, pairs: list[tuple[Any, int]]) -> Any:
        return self.rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]

    # --- units and people -------------------------------------------------------------------

    def _units(self, specs: list[tuple[str, str, str, OrgUnit | None]]) -> list[OrgUnit]:
        existing = {u.name: u for u in OrgUnit.objects.filter(name__in=[s[0] for s in specs])}
        fresh = [
            OrgUnit(
                name=name,
                short_code=code,
                level=level,
                parent=parent,
                path=f"tmp-{code}",
                depth=(parent.depth + 1) if parent else 0,
            )
            for name, code, level, parent in specs
            if name not in existing
        ]
        OrgUnit.objects.bulk_create(fresh, batch_size=BATCH)
        for unit in fresh:
            unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
        OrgUnit.objects.bulk_update(fresh, ["path"], batch_size=BATCH)
        made = {u.name: u for u in fresh}
        return [existing.get(s[0]) or made[s[0]] for s in specs]

    def build_units(self) -> None:
        (self.province,) = self._units([(PROVINCE[0], PROVINCE[1], OrgUnit.Level.PROVINCE, None)])
        level1 = [
            (name, f"PD{i:02d}", OrgUnit.Level.PROVINCE, self.province) for i, name in enumerate(PROVINCE_DEPARTMENTS)
        ]
        level1 += [(name, f"C{i:02d}", OrgUnit.Level.CITY, self.province) for i, name in enumerate(CITIES)]
        made = self._units(level1)
        self.province_departments = made[: len(PROVINCE_DEPARTMENTS)]
        self.cities = made[len(PROVINCE_DEPARTMENTS) :]
        level2 = []
        for i, city in enumerate(self.cities):
            level2 += [
                (f"{city.name}{d}", f"C{i:02d}D{j}", OrgUnit.Level.CITY, city) for j, d in enumerate(CITY_DEPARTMENTS)
            ]
            level2 += [(f"{city.name}{c}", f"C{i:02d}K{j}", OrgUnit.Level.COUNTY, city) for j, c in enumerate(COUNTIES)]
        made = self._units(level2)
        per_city = len(CITY_DEPARTMENTS) + len(COUNTIES)
        self.city_departments: dict[int, list[OrgUnit]] = {}
        self.counties: dict[int, list[OrgUnit]] = {}
        for i, city in enumerate(self.cities):
            block = made[i * per_city : (i + 1) * per_city]
            self.city_departments[city.pk] = block[: len(CITY_DEPARTMENTS)]
            self.counties[city.pk] = block[len(CITY_DEPARTMENTS) :]
        level3 = [
            (f"{county.name}{s}", f"{county.short_code}S{k}", OrgUnit.Level.STREET, county)
            for counties in self.counties.values()
            for county in counties
            for k, s in enumerate(STREETS)
        ]
        made = self._units(level3)
        self.streets: dict[int, list[OrgUnit]] = defaultdict(list)
        for street in made:
            self.streets[street.parent_id].append(street)  # type: ignore[index]
        self.counts["units"] = OrgUnit.objects.filter(path__startswith=self.province.path).count()

    def build_users(self, password: str) -> None:
        hashed = make_password(password)
        specs = [
            ("scale_leader", "周省长", Role.LEADER, self.province),
            ("scale_office", "吴督查", Role.OFFICE, self.province),
            ("scale_auditor", "郑审计", Role.AUDITOR, None),
        ]
        for i, city in enumerate(self.cities):
            specs.append((f"scale_c{i:02d}_admin", f"{city.name}管理员", Role.UNIT_ADMIN, city))
            specs.append((f"scale_c{i:02d}_handler", f"{city.name}经办人", Role.UNIT_HANDLER, city))
        existing = set(User.objects.filter(username__in=[s[0] for s in specs]).values_list("username", flat=True))
        fresh = [
            User(username=u, full_name=n, unit=unit, password=hashed) for u, n, _r, unit in specs if u not in existing
        ]
        User.objects.bulk_create(fresh)
        groups = {g.name: g for g in Group.objects.all()}
        users = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=users[u].pk, group_id=groups[r].pk) for u, _n, r, _unit in specs if u not in existing]
        )
        self.leader = users["scale_leader"]
        self.office = users["scale_office"]
        self.handlers = {city.pk: users[f"scale_c{i:02d}_handler"] for i, city in enumerate(self.cities)}
        self.province_handler = self.handlers[self.cities[0].pk]

    def city_of(self, unit: OrgUnit) -> OrgUnit | None:
        parts = [int(p) for p in unit.path.strip("/").split("/")]
        if len(parts) < 2:
            return None
        return next((c for c in self.cities if c.pk == parts[1]), None)

    # --- the task tree ----------------------------------------------------------------------

    def build_tree(self) -> list[Node]:
        rng = self.rng
        domains = list(Domain.objects.order_by("order"))
        per_domain = max(1, min(8, self.items // 2500))
        majors: list[Node] = []
        for d_index, domain in enumerate(domains):
            for m in range(per_domain):
                code = str(len(majors) + 1)
                title = f"{THEMES[domain.code][m % len(THEMES[domain.code])]}{MAJOR_TITLES[(m + d_index) % 8]}"
                majors.append(
                    Node(
                        code,
                        title,
                        domain,
                        self.province_departments[(d_index * 4 + m) % len(self.province_departments)],
                    )
                )
        groups_total = max(len(majors), self.items // 100)
        # Distribute work packages over the majors, five per sub-task; items over the packages.
        groups: list[Node] = []
        for index, major in enumerate(majors):
            count = groups_total // len(majors) + (1 if index < groups_total % len(majors) else 0)
            subs = max(1, math.ceil(count / 5))
            for s in range(1, subs + 1):
                theme = THEMES[major.domain.code][(index + s) % len(THEMES[major.domain.code])]
                sub = Node(
                    f"{major.code}.{s}",
                    f"{rng.choice(SUB_VERBS)}{theme}",
                    major.domain,
                    rng.choice(self.province_departments),
                )
                major.children.append(sub)
                for g in range(1, min(5, count - (s - 1) * 5) + 1):
                    lead = rng.choice(self.cities) if rng.random() < 0.8 else rng.choice(self.province_departments)
                    group = Node(f"{sub.code}.{g}", f"{lead.name}{theme}实施", major.domain, lead)
                    sub.children.append(group)
                    groups.append(group)
        for index, group in enumerate(groups):
            count = self.items // len(groups) + (1 if index < self.items % len(groups) else 0)
            self._fill_group(group, count)
        return majors

    def _item_lead(self, group: Node) -> OrgUnit:
        rng = self.rng
        city = group.lead if group.lead in self.cities else rng.choice(self.cities)
        if group.lead not in self.cities and rng.random() < 0.4:
            return group.lead
        roll = rng.random()
        if roll < 0.4:
            return rng.choice(self.city_departments[city.pk])
        county = rng.choice(self.counties[city.pk])
        if roll < 0.85:
            return county
        return rng.choice(self.streets[county.pk])

    def _fill_group(self, group: Node, count: int) -> None:
        rng = self.rng
        theme = group.title.removesuffix("实施")
        nested = 3 if count >= 8 and rng.random() < 0.3 else 0
        direct = count - nested
        number = 0
        for _ in range(direct):
            number += 1
            group.children.append(self._item(group, f"{group.code}.{number}", theme))
        if nested:
            number += 1
            parent = Node(f"{group.code}.{number}", f"{theme}专项攻坚", group.domain, self._item_lead(group))
            group.children.append(parent)
            for k in range(1, nested + 1):
                parent.children.append(self._item(parent, f"{parent.code}.{k}", theme))

    def _item(self, parent: Node, code: str, theme: str) -> Node:
        rng = self.rng
        lead = self._item_lead(parent)
        node = Node(code, f"{rng.choice(ITEM_VERBS)}{theme}{rng.choice(ITEM_OBJECTS)}", parent.domain, lead)
        city = self.city_of(lead)
        pool = [*self.city_departments[city.pk], *self.counties[city.pk]] if city else self.province_departments
        node.coop = rng.sample([u for u in pool if u.pk != lead.pk], k=self.weighted([(0, 50), (1, 35), (2, 15)]))
        node.is_governance = rng.random() < 0.65
        node.is_service = not node.is_governance or rng.random() < 0.35
        today = self.today
        node.start = today - timedelta(days=rng.randint(20, 420))
        node.deadline = node.start + timedelta(days=rng.randint(45, 480))
        status = self.weighted(ITEM_STATUSES)
        if status == Status.CLOSED and node.start > today - timedelta(days=25):
            status = Status.IN_PROGRESS
        node.status = status
        if status not in (Status.CLOSED, Status.CANCELLED) and node.deadline < today and rng.random() < 0.75:
            node.deadline = today + timedelta(days=rng.randint(3, 300))  # most open work is still on schedule
        if status == Status.CLOSED:
            assert node.deadline is not None
            closed = today - timedelta(days=rng.randint(1, 365))
            closed = min(max(closed, node.start + timedelta(days=10)), today - timedelta(days=1))
            if closed > node.deadline and rng.random() < 0.82:  # most closures meet the deadline
                span = (node.deadline - node.start).days
                closed = node.start + timedelta(days=rng.randint(min(10, span), span))
            node.closed_at = self.at(closed)
            node.progress = Decimal(100)
        elif status in (Status.DRAFT, Status.ASSIGNED):
            node.progress = Decimal(0)
        elif status in (Status.UNDER_REVIEW, Status.EVALUATING):
            node.progress = Decimal(rng.randint(90, 100))
        else:
            elapsed = (today - node.start).days / max(1, (node.deadline - node.start).days)
            node.progress = Decimal(max(0, min(99, int(elapsed * 100 + rng.gauss(-5, 18)))))
        return node

    def _roll_up(self, node: Node) -> None:
        """Give a parent its children's span, mean progress and a state consistent with them."""
        for child in node.children:
            if child.children:
                self._roll_up(child)
        kids = node.children
        live = [c for c in kids if c.status != Status.CANCELLED] or kids
        node.start = min(c.start for c in kids if c.start)
        node.deadline = max(c.deadline for c in kids if c.deadline)
        node.progress = (sum((c.progress for c in live), Decimal(0)) / len(live)).quantize(Decimal("0.01"))
        node.is_governance = any(c.is_governance for c in kids)
        node.is_service = any(c.is_service for c in kids)
        if all(c.status in (Status.CLOSED, Status.CANCELLED) for c in kids) and any(
            c.status == Status.CLOSED for c in kids
        ):
            node.status = Status.CLOSED
            node.closed_at = max(c.closed_at for c in kids if c.closed_at)
        elif all(c.status == Status.DRAFT for c in kids):
            node.status = Status.DRAFT
        else:
            node.status = Status.IN_PROGRESS

    def write_tree(self, majors: list[Node]) -> list[Node]:
        nodes: list[Node] = []

        def walk(node: Node, parent: Node | None) -> None:
            nodes.append(node)
            for child in node.children:
                walk(child, node)

        for major in majors:
            self._roll_up(major)
            walk(major, None)
        now = timezone.now()
        programme = default_programme()
        rows = [
            Task(
                programme=programme,
                code=n.code,
                depth=tree.depth_of(n.code),
                is_leaf=not n.children,
                title=n.title[:300],
                domain=n.domain,
                is_governance=n.is_governance,
                is_service=n.is_service,
                lead_unit=n.lead,
                owner_name="",
                start_date=n.start,
                deadline=n.deadline,
                progress=n.progress,
                status=n.status,
                closed_at=n.closed_at,
                created_at=now,
                updated_at=now,
            )
            for n in nodes
        ]
        with own_timestamps(Task):
            bulk_insert_tree(rows, batch_size=BATCH)  # parents first, each linked by its code
        for node, row in zip(nodes, rows, strict=True):
            node.pk = row.pk
        through = Task.cooperating_units.through
        through.objects.bulk_create(
            [through(task_id=n.pk, orgunit_id=u.pk) for n in nodes for u in n.coop], batch_size=BATCH
        )
        self.counts["tasks"] = len(rows)
        self.counts["items"] = sum(1 for n in nodes if not n.children)
        return [n for n in nodes if not n.children]

    # --- supervision history ----------------------------------------------------------------

    def handler_for(self, unit: OrgUnit) -> User:
        city = self.city_of(unit)
        return self.handlers[city.pk] if city else self.province_handler

    def write_indicators(self, items: list[Node]) -> None:
        rng = self.rng
        chosen = [n for n in items if n.status not in (Status.DRAFT, Status.CANCELLED) and rng.random() < 0.2]
        indicators = []
        for node in chosen:
            suffix, unit, direction, (b0, b1), (t0, t1) = rng.choice(INDICATORS)
            assert node.start is not None and node.deadline is not None
            target_date = max(node.deadline, node.start + timedelta(days=120))
            indicators.append(
                Indicator(
                    task_id=node.pk,
                    name=f"{node.title[:20]}{suffix}",
                    unit=unit,
                    direction=direction,
                    baseline_value=Decimal(rng.randint(b0, b1)),
                    baseline_date=node.start,
                    target_value=Decimal(rng.randint(t0, t1)),
                    target_date=target_date,
                    data_source="省一体化智能化公共数据平台",
                )
            )
        Indicator.objects.bulk_create(indicators, batch_size=BATCH)
        points: list[TrajectoryPoint] = []
        values: list[Measurement] = []
        last_month = period_of(self.today, "month").previous()
        domain_of = {n.pk: n.domain.code for n in chosen}
        for indicator in indicators:
            weights = PATTERN_WEIGHTS.get(domain_of[indicator.task_id], (30, 35, 20, 15))
            pattern = self.weighted(list(zip(INDICATOR_PATTERNS, weights, strict=True)))
            pattern *= Decimal(str(round(self.rng.uniform(0.7, 1.4), 2)))
            span = indicator.target_value - indicator.baseline_value
            assert indicator.baseline_date is not None and indicator.target_date is not None
            period = period_of(indicator.baseline_date, "month").next()
            measured = []
            while period.start <= indicator.target_date:
                expected = Decimal(linear_expected(indicator, min(period.end, indicator.target_date)))  # type: ignore[arg-type]
                points.append(
                    TrajectoryPoint(
                        indicator=indicator, period_end=period.end, expected_value=expected.quantize(Decimal("0.0001"))
                    )
                )
                if period.end <= last_month.end:
                    measured.append((period, expected))
                period = period.next()
            for step, (month, expected) in enumerate(measured[-12:], start=1):
                value = expected + span * pattern * Decimal(step) / Decimal(12)
                if indicator.unit == "%":
                    value = min(Decimal(100), max(Decimal(0), value))
                values.append(
                    Measurement(
                        indicator=indicator,
                        period_end=month.end,
                        value=value.quantize(Decimal("0.01")),
                        reported_by=self.province_handler,
                        source=Measurement.Source.ADAPTER,
                        evidence="系统对接自动采集",
                        reported_at=self.at(month.end + timedelta(days=3)),
                    )
                )
        fast_create(TrajectoryPoint, points)
        with own_timestamps(Measurement):
            fast_create(Measurement, values)
        self.counts.update(indicators=len(indicators), trajectory_points=len(points), measurements=len(values))

    def write_instructions(self, items: list[Node]) -> None:
        rng = self.rng
        today = self.today
        rows: list[tuple[Instruction, int]] = []
        texts = [
            "请抓紧推进，确保按期完成",
            "请牵头单位专题研究，拿出具体举措",
            "进度滞后，请说明原因并限期整改",
            "请加强部门协同，尽快打通数据壁垒",
        ]
        for node in items:
            if node.status in (Status.DRAFT, Status.CANCELLED) or rng.random() >= 0.03:
                continue
            assert node.start is not None
            created = node.start + timedelta(days=rng.randint(0, max(0, (today - node.start).days)))
            created = min(created, today)
            due = created + timedelta(days=rng.randint(7, 15))
            handler = self.handler_for(node.lead)
            text = f"{rng.choice(texts)}。"
            roll = rng.random()
            if due < today:
                if roll < 0.55:
                    answered, state = created + timedelta(days=rng.randint(1, (due - created).days)), "approved"
                elif roll < 0.7:
                    answered, state = due + timedelta(days=rng.randint(1, 10)), "answered"
                elif roll < 0.8:
                    answered, state = created + timedelta(days=rng.randint(1, (due - created).days)), "returned"
                else:
                    answered, state = None, "issued"
            else:
                answered, state = (created, "answered") if roll < 0.5 else (None, "issued")
            # The state is given when the row is made: the lifecycle's field is protected afterwards.
            inst = Instruction(
                task_id=node.pk,
                author=self.leader,
                text=text,
                due_date=due,
                created_at=self.at(created),
                state=state,
            )
            if answered is not None:
                answered = min(answered, today)
                inst.response = "已按批示要求部署落实，详见工作进展。"
                inst.responded_by = handler
                inst.responded_at = self.at(answered)
            rows.append((inst, node.lead.pk))
        with own_timestamps(Instruction):
            Instruction.objects.bulk_create([r[0] for r in rows], batch_size=BATCH)
        through = Instruction.target_units.through
        through.objects.bulk_create(
            [through(instruction_id=i.pk, orgunit_id=unit_id) for i, unit_id in rows], batch_size=BATCH
        )
        self.counts["instructions"] = len(rows)

    def write_notices(self, items: list[Node]) -> None:
        rng = self.rng
        today = self.today
        rows = []
        for node in items:
            if node.status in (Status.CLOSED, Status.CANCELLED, Status.DRAFT):
                continue
            assert node.deadline is not None
            overdue = node.deadline < today
            if not overdue and rng.random() >= 0.02:
                continue
            if overdue and rng.random() >= 0.5:
                continue
            days = (today - node.deadline).days if overdue else 0
            level = 4 if days > 15 and rng.random() < 0.1 else (3 if days > 7 else (2 if days > 3 else 1))
            created = (
                node.deadline + timedelta(days=min(days, 15)) if overdue else today - timedelta(days=rng.randint(0, 20))
            )
            lifted = level < 4 and rng.random() < 0.4
            notice = Notice(
                task_id=node.pk,
                level=level,
                reason=f"事项“{node.title[:30]}”" + ("已逾期未办结，请限期办结" if overdue else "推进缓慢，请加快进度"),
                deadline=created + timedelta(days=7),
                source=Notice.Source.OVERDUE if overdue else Notice.Source.MANUAL,
                issued_by=self.office,
                created_at=self.at(min(created, today)),
                state=Notice.State.LIFTED if lifted else Notice.State.OPEN,
            )
            if lifted:
                notice.lifted_by = self.office
                notice.lifted_at = notice.created_at + timedelta(days=3)
            rows.append(notice)
        with own_timestamps(Notice):
            fast_create(Notice, rows)
        self.counts["notices"] = len(rows)
        self.counts["listed_open"] = sum(1 for n in rows if n.level == 4 and n.state == Notice.State.OPEN)

    def write_reports(self, items: list[Node]) -> None:
        """Ten-day reports for the last periods: on time, late (with a missed-report record) or missed."""
        rng = self.rng
        periods = []
        period = period_of(self.today).previous()
        while len(periods) < TENDAY_HISTORY:
            if period.end + timedelta(days=1) < self.today:
                periods.append(period)
            period = period.previous()
        feedbacks: list[Feedback] = []
        missed: list[MissedReport] = []
        for node in items:
            if node.status not in REPORTING:
                continue
            assert node.start is not None
            handler = self.handler_for(node.lead)
            reliability = 0.7 + 0.28 * ((node.lead.pk * 2654435761) % 1000) / 1000  # some units report better
            for p in periods:
                if node.start > p.start or (node.closed_at is not None and node.closed_at.date() <= p.end):
                    continue
                due = p.end + timedelta(days=1)
                roll = rng.random()
                if roll < reliability:
                    feedbacks.append(self._feedback(node, p, p.end + timedelta(days=rng.randint(0, 1)), True, handler))
                    continue
                missed.append(
                    MissedReport(
                        task_id=node.pk,
                        period_end=p.end,
                        due_date=due,
                        unit_id=node.lead.pk,
                        recorded_at=self.at(due + timedelta(days=1), 8),
                    )
                )
                if rng.random() < 0.5:
                    late = min(self.today, due + timedelta(days=rng.randint(1, 6)))
                    feedbacks.append(self._feedback(node, p, late, False, handler))
        with own_timestamps(Feedback):
            fast_create(Feedback, feedbacks)
        with own_timestamps(MissedReport):
            fast_create(MissedReport, missed)
        self.counts.update(tenday_reports=len(feedbacks), missed_reports=len(missed))

    def _feedback(self, node: Node, period: Period, day: date, on_time: bool, handler: User) -> Feedback:
        return Feedback(
            task_id=node.pk,
            kind=Feedback.Kind.TENDAY,
            period_end=period.end,
            text=f"{period.label}：按计划推进{node.title[:20]}，完成阶段性工作。",
            progress=node.progress,
            unit=node.lead,
            submitted_by=handler,
            submitted_at=self.at(day),
            on_time=on_time,
        )

    def write_evaluations(self, items: list[Node]) -> None:
        rng = self.rng
        rows = []
        for node in items:
            if node.status != Status.CLOSED or node.closed_at is None:
                continue
            total = Decimal(min(100, max(55, int(rng.gauss(86, 8)))))
            grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
            rows.append(
                Evaluation(
                    task_id=node.pk,
                    period_end=node.closed_at.date(),
                    scores={"overall": str(total)},
                    total=total,
                    grade=grade,
                    evaluator=self.office,
                    comment="",
                    created_at=node.closed_at,
                )
            )
        with own_timestamps(Evaluation):
            fast_create(Evaluation, rows)
        self.counts["evaluations"] = len(rows)

    def scopes_of(self, node: Node) -> str:
        """The cockpit scopes of an item (as ``cockpit.rollup.fact_of`` computes them)."""
        scopes = {0}
        for unit in (node.lead, *node.coop):
            scopes.update(int(x) for x in unit.path.strip("/").split("/"))
        return ",".join(str(x) for x in sorted(scopes))

    def write_snapshots(self, items: list[Node]) -> None:
        """Period-end snapshots before today, replayed from the history: red = overdue or a seeded problem.

        Items are first counted per (domain, scopes) group, then each group is added to its scopes.
        """
        days: set[date] = set()
        month = period_of(self.today, "month")
        for index in range(SNAPSHOT_PERIODS):
            month = month.previous()
            days.add(month.end)
            if index < 4:  # ten-day periods of the last four months, for the ten-day trend
                tenday = period_of(month.end)
                for _ in range(3):
                    days.add(tenday.end)
                    tenday = tenday.previous()
        tenday = period_of(self.today).previous()
        days.add(tenday.end)
        days = {d for d in days if d < self.today}
        groups: dict[tuple[int, str], Counter[tuple[date, str]]] = defaultdict(Counter)
        for node in items:
            if node.status == Status.CANCELLED or node.start is None or node.deadline is None:
                continue
            flavour = (node.pk or 0) % 100
            group = groups[(node.domain.pk, self.scopes_of(node))]
            for day in days:
                if node.start > day:
                    continue
                if node.closed_at is not None and node.closed_at.date() <= day:
                    group[(day, "closed_items")] += 1
                    continue
                group[(day, "open_items")] += 1
                if node.deadline < day:
                    group[(day, "overdue")] += 1
                    group[(day, "red")] += 1
                elif flavour < 5:
                    group[(day, "red")] += 1
                elif flavour < 30 or (node.deadline - day).days <= 3:
                    group[(day, "yellow")] += 1
                else:
                    group[(day, "green")] += 1
        cells: dict[tuple[date, int, int], Counter[str]] = defaultdict(Counter)
        for (domain_id, scopes), counts in groups.items():
            scope_list = [int(x) for x in scopes.split(",")]
            for (day, key), n in counts.items():
                for scope in scope_list:
                    cells[(day, scope, domain_id)][key] += n
        taken = timezone.now()
        rows = [
            LightSnapshot(day=day, scope=scope, domain_id=domain_id, taken_at=taken, **cell)
            for (day, scope, domain_id), cell in cells.items()
        ]
        fast_create(LightSnapshot, rows)
        self.counts["snapshots"] = len(rows)


def seed_scale(*, items: int, seed: int = 2026, password: str, log: Callable[[str], None] = print) -> dict[str, int]:
    """Build a synthetic programme of ``items`` items into an empty task list; return what was made."""
    if items < 10:
        raise ValueError("事项数量至少为 10")
    if Task.objects.exists():
        raise ValueError("任务清单不为空：seed_scale 只能在空的任务清单上生成数据（请使用新的数据库）")
    ensure_reference_data()
    builder = ScaleBuilder(items=items, seed=seed, today=timezone.localdate(), log=log)
    started = clock.perf_counter()

    def step(label: str, fn: Callable[..., Any], *args: Any) -> Any:
        t0 = clock.perf_counter()
        result = fn(*args)
        log(f"  {label}: {clock.perf_counter() - t0:.1f} s")
        return result

    with transaction.atomic():
        step("units", builder.build_units)
        step("users", builder.build_users, password)
        majors = step("tree in memory", builder.build_tree)
        leaves = step("tasks", builder.write_tree, majors)
        step("indicators", builder.write_indicators, leaves)
        step("instructions", builder.write_instructions, leaves)
        step("notices", builder.write_notices, leaves)
        step("ten-day reports", builder.write_reports, leaves)
        step("evaluations", builder.write_evaluations, leaves)
        step("snapshots", builder.write_snapshots, leaves)
        events.TASKLIST_IMPORTED(
            actor=None,
            payload={"source": "seed_scale", "items": builder.counts["items"], "tasks": builder.counts["tasks"]},
        )
    lights = step("lights (recompute_all)", rag.recompute_all)
    builder.counts.update({f"light_{k}": v for k, v in lights.items() if k in ("red", "yellow", "green")})
    step("cockpit roll-ups (first build) and today's snapshot", services.rollup_rebuild, "seed_scale")
    builder.counts["seconds"] = round(clock.perf_counter() - started)
    return builder.counts
