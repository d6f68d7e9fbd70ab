"""The plan built from the file: every row checked, cross-row and against the database, nothing saved."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from indicators.models import Indicator
from orgs.models import OrgUnit
from reform.numbers import number_problem

from .. import tree
from ..models import Policy, Programme, Task
from ..workflow import FINAL_STATUSES, Status
from .cells import (
    LINE_SPLIT,
    CellError,
    _normalise,
    parse_criteria,
    parse_date,
    parse_dimensions,
    parse_number,
    split_list,
)
from .reader import _Row, _Sheet
from .report import _Issues
from .schema import DIRECTIONS, INDICATOR_SHEET, LOOKUP_CHUNK, MAX_LENGTHS, POLICY_SHEET, TASK_SHEET

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class _TaskPlan:
    row: int
    code: str
    title: str
    domain_id: int | None
    is_governance: bool
    is_service: bool
    lead_unit: str
    cooperating_units: list[str]
    owner_name: str
    start_date: date | None
    deadline: date | None
    weight: Decimal
    measures: list[str]
    criteria: list[tuple[str, Decimal]]


@dataclass
class _IndicatorPlan:
    row: int
    task_code: str
    name: str
    unit: str
    direction: str
    baseline_value: Decimal
    baseline_date: date | None
    target_value: Decimal
    target_date: date | None
    data_source: str


@dataclass
class _PolicyPlan:
    row: int
    task_codes: list[str]
    title: str
    doc_number: str
    issuer: str
    issued_on: date | None


class _Planner:
    def __init__(self, *, actor: User | None, create_units: bool, issues: _Issues, programme: Programme) -> None:
        self.actor = actor
        self.create_units = create_units
        self.issues = issues
        self.programme = programme
        self.tasks: dict[str, _TaskPlan] = {}
        self.indicators: list[_IndicatorPlan] = []
        self.policies: list[_PolicyPlan] = []
        # The programme's own domain list (each programme names its own domains).
        self.domains = {d.name: d.pk for d in programme.domains.order_by("order", "pk")}
        self.domain_names = list(self.domains)

    # -- small helpers ---------------------------------------------------------------------------
    def _error(self, sheet: str, row: _Row, column: str, message: str) -> None:
        self.issues.error(sheet, row.number, column, message)

    def _length_ok(self, sheet: str, row: _Row, column: str, text: str) -> bool:
        limit = MAX_LENGTHS.get(column)
        if limit is not None and len(text) > limit:
            self._error(sheet, row, column, _("“%(c)s”过长：最多 %(n)s 个字") % {"c": column, "n": limit})
            return False
        return True

    def _date(self, sheet: str, row: _Row, column: str, *, deadline: bool = False) -> tuple[date | None, bool]:
        try:
            return parse_date(row.values.get(column), deadline=deadline), True
        except CellError as exc:
            self._error(sheet, row, column, f"{column}：{exc}")
            return None, False

    def _number(self, sheet: str, row: _Row, column: str) -> tuple[Decimal | None, str, bool]:
        try:
            number, unit = parse_number(row.values.get(column), percent_format=column in row.formats)
        except CellError as exc:
            self._error(sheet, row, column, f"{column}：{exc}")
            return None, "", False
        if number is not None and (problem := number_problem(number, unit=unit or row.text("计量单位"))):
            self._error(sheet, row, column, f"{column}{problem}")
            return None, "", False
        return number, unit, True

    # -- 任务清单 --------------------------------------------------------------------------------
    def parse_tasks(self, sheet: _Sheet) -> None:
        name = TASK_SHEET
        first_row: dict[str, int] = {}
        for row in sheet.rows:
            code = tree.normalise_code(row.values.get("编号", ""))
            register = False
            if message := tree.code_error(code):
                self._error(name, row, "编号", message)
            elif not self._length_ok(name, row, "编号", code):
                pass
            elif code in first_row:
                self._error(name, row, "编号", _("编号“%(c)s”与第 %(r)s 行重复") % {"c": code, "r": first_row[code]})
            else:
                first_row[code] = row.number
                register = True
            title = row.text("任务名称")
            if not title:
                self._error(name, row, "任务名称", _("任务名称不能为空"))
            self._length_ok(name, row, "任务名称", title)
            domain_id = None
            domain_name = row.text("领域")
            all_domains = "、".join(self.domain_names)
            if domain_name:
                domain_id = self.domains.get(_normalise(domain_name))
                if domain_id is None:
                    message = _("未知的领域“%(d)s”，应为：%(all)s") % {"d": domain_name, "all": all_domains}
                    self._error(name, row, "领域", message)
            elif register and "." not in code:
                self._error(name, row, "领域", _("顶层任务必须填写领域，应为：%(all)s") % {"all": all_domains})
            try:
                is_governance, is_service = parse_dimensions(row.values.get("维度"))
            except CellError as exc:
                self._error(name, row, "维度", str(exc))
                is_governance = is_service = False
            lead = row.text("牵头单位")
            if not lead:
                self._error(name, row, "牵头单位", _("牵头单位不能为空"))
            self._length_ok(name, row, "牵头单位", lead)
            listed = split_list(row.values.get("配合单位"))
            cooperating = [u for u in listed if u != lead]
            if lead and lead in listed:
                message = _("配合单位中的“%(u)s”即牵头单位，已忽略") % {"u": lead}
                self.issues.warning(name, row.number, "配合单位", message)
            for unit in cooperating:
                self._length_ok(name, row, "配合单位", unit)
            owner_name = row.text("责任人")
            self._length_ok(name, row, "责任人", owner_name)
            start, _ok = self._date(name, row, "开始日期")
            deadline, _ok = self._date(name, row, "完成时限", deadline=True)
            if start and deadline and deadline < start:
                message = _("完成时限（%(d)s）不能早于开始日期（%(s)s）") % {"d": deadline, "s": start}
                self._error(name, row, "完成时限", message)
            weight = self._weight(row)
            measures = [line.strip() for line in LINE_SPLIT.split(row.text("工作举措")) if line.strip()]
            criteria = parse_criteria(row.values.get("评价标准"))
            for criterion, criterion_weight in criteria:
                if len(criterion) > 300:
                    message = _("评价标准“%(c)s…”过长：最多 300 个字") % {"c": criterion[:20]}
                    self._error(name, row, "评价标准", message)
                if criterion_weight >= Decimal("10000"):
                    self._error(name, row, "评价标准", _("评价标准“%(c)s”的权重过大") % {"c": criterion})
            if not register:
                continue
            self.tasks[code] = _TaskPlan(
                row=row.number,
                code=code,
                title=title,
                domain_id=domain_id,
                is_governance=is_governance,
                is_service=is_service,
                lead_unit=lead,
                cooperating_units=cooperating,
                owner_name=owner_name,
                start_date=start,
                deadline=deadline,
                weight=weight or Decimal(1),
                measures=measures,
                criteria=criteria,
            )

    def _weight(self, row: _Row) -> Decimal | None:
        raw = row.values.get("权重")
        if raw is None:
            return Decimal(1)
        try:
            number, _unit = parse_number(raw)
        except CellError:
            self._error(TASK_SHEET, row, "权重", _("权重“%(v)s”不是数字") % {"v": raw})
            return None
        if number is None:
            return Decimal(1)
        number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if number <= 0 or number >= Decimal("1000000"):
            self._error(TASK_SHEET, row, "权重", _("权重必须是大于 0 的数字（小于 1000000），实为“%(v)s”") % {"v": raw})
            return None
        return number

    # -- 指标体系 --------------------------------------------------------------------------------
    def parse_indicators(self, sheet: _Sheet) -> None:
        name = INDICATOR_SHEET
        for row in sheet.rows:
            valid = True
            task_code = tree.normalise_code(row.values.get("任务编号", ""))
            if not task_code:
                self._error(name, row, "任务编号", _("任务编号不能为空"))
                valid = False
            indicator = row.text("指标名称")
            if not indicator:
                self._error(name, row, "指标名称", _("指标名称不能为空"))
                valid = False
            valid &= self._length_ok(name, row, "指标名称", indicator)
            unit = row.text("计量单位")
            direction_text = _normalise(row.text("指标方向")).split("（")[0].split("(")[0]
            direction = DIRECTIONS.get(direction_text or "正向")
            if direction is None:
                self._error(
                    name, row, "指标方向", _("未知的指标方向“%(v)s”，应为：正向、反向") % {"v": row.text("指标方向")}
                )
                valid = False
            baseline, baseline_unit, ok = self._number(name, row, "基线值")
            valid &= ok
            target, target_unit, ok = self._number(name, row, "目标值")
            valid &= ok
            if ok and target is None:
                self._error(name, row, "目标值", _("目标值不能为空"))
                valid = False
            if ok and baseline is None:
                self.issues.warning(name, row.number, "基线值", _("基线值为空，按 0 处理"))
            unit = unit or target_unit or baseline_unit
            valid &= self._length_ok(name, row, "计量单位", unit)
            baseline_date, ok1 = self._date(name, row, "基线日期")
            target_date, ok2 = self._date(name, row, "目标日期")
            valid &= ok1 and ok2
            if baseline_date and target_date and target_date < baseline_date:
                self._error(
                    name,
                    row,
                    "目标日期",
                    _("目标日期（%(t)s）不能早于基线日期（%(b)s）") % {"t": target_date, "b": baseline_date},
                )
                valid = False
            source = row.text("数据来源")
            valid &= self._length_ok(name, row, "数据来源", source)
            if valid:
                self.indicators.append(
                    _IndicatorPlan(
                        row=row.number,
                        task_code=task_code,
                        name=indicator,
                        unit=unit,
                        direction=direction or Indicator.Direction.HIGHER,
                        baseline_value=(baseline or Decimal(0)).quantize(Decimal("0.0001")),
                        baseline_date=baseline_date,
                        target_value=(target or Decimal(0)).quantize(Decimal("0.0001")),
                        target_date=target_date,
                        data_source=source,
                    )
                )

    # -- 政策体系 --------------------------------------------------------------------------------
    def parse_policies(self, sheet: _Sheet) -> None:
        name = POLICY_SHEET
        for row in sheet.rows:
            valid = True
            codes = [tree.normalise_code(c) for c in split_list(row.values.get("任务编号"))]
            if not codes:
                self._error(name, row, "任务编号", _("任务编号不能为空"))
                valid = False
            title = row.text("政策名称")
            if not title:
                self._error(name, row, "政策名称", _("政策名称不能为空"))
                valid = False
            doc_number = row.text("文号")
            issuer = row.text("发文机关")
            for column, text in (("政策名称", title), ("文号", doc_number), ("发文机关", issuer)):
                valid &= self._length_ok(name, row, column, text)
            issued_on, ok = self._date(name, row, "发布日期")
            valid &= ok
            if valid:
                self.policies.append(_PolicyPlan(row.number, codes, title, doc_number, issuer, issued_on))

    # -- Cross-row checks against the file and the database ---------------------------------------
    def resolve(self) -> None:
        """Check parents, task references, units, duplicates; fill inherited domains."""
        plans = sorted(self.tasks.values(), key=lambda p: (tree.depth_of(p.code), tree.sort_key(p.code)))
        parent_codes = {tree.parent_code(p.code) for p in plans} - {None}
        referenced = {i.task_code for i in self.indicators} | {c for p in self.policies for c in p.task_codes}
        self.existing = _existing_tasks(self.programme, set(self.tasks) | parent_codes | referenced)  # type: ignore[arg-type]
        for plan in plans:
            if plan.code in self.existing:
                self.issues.error(TASK_SHEET, plan.row, "编号", _("编号“%(c)s”已存在于系统中") % {"c": plan.code})
            parent = tree.parent_code(plan.code)
            if parent is None:
                continue
            if parent in self.tasks:
                parent_domain = self.tasks[parent].domain_id
            elif parent in self.existing:
                _pk, parent_domain, status = self.existing[parent]
                if status in FINAL_STATUSES:
                    message = _("上级任务“%(p)s”当前为“%(s)s”状态，仍将在其下新增下级任务") % {
                        "p": parent,
                        "s": Status(status).label,
                    }
                    self.issues.warning(TASK_SHEET, plan.row, "编号", message)
            else:
                self.issues.error(
                    TASK_SHEET,
                    plan.row,
                    "编号",
                    _("上级任务“%(p)s”不存在：既不在本文件中，也不在系统中") % {"p": parent},
                )
                continue
            if plan.domain_id is None:
                plan.domain_id = parent_domain
        for indicator in self.indicators:
            if indicator.task_code not in self.tasks and indicator.task_code not in self.existing:
                self.issues.error(
                    INDICATOR_SHEET, indicator.row, "任务编号", _("任务编号“%(c)s”不存在") % {"c": indicator.task_code}
                )
        for policy in self.policies:
            for code in policy.task_codes:
                if code not in self.tasks and code not in self.existing:
                    self.issues.error(POLICY_SHEET, policy.row, "任务编号", _("任务编号“%(c)s”不存在") % {"c": code})
        self._check_indicator_names()
        self._resolve_units(plans)

    def _check_indicator_names(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for indicator in self.indicators:
            key = (indicator.task_code, indicator.name)
            if key in seen:
                self.issues.error(
                    INDICATOR_SHEET,
                    indicator.row,
                    "指标名称",
                    _("任务“%(c)s”的指标“%(n)s”与第 %(r)s 行重复")
                    % {"c": indicator.task_code, "n": indicator.name, "r": seen[key]},
                )
            seen.setdefault(key, indicator.row)
        existing_codes = {code for code, _name in seen if code in self.existing}
        if not existing_codes:
            return
        taken: set[tuple[str, str]] = set()
        for chunk in _chunks(sorted(existing_codes)):
            taken.update(Indicator.objects.filter(task__code__in=chunk).values_list("task__code", "name"))
        for indicator in self.indicators:
            if (indicator.task_code, indicator.name) in taken:
                self.issues.error(
                    INDICATOR_SHEET,
                    indicator.row,
                    "指标名称",
                    _("任务“%(c)s”已有指标“%(n)s”") % {"c": indicator.task_code, "n": indicator.name},
                )

    def _resolve_units(self, plans: list[_TaskPlan]) -> None:
        names = {p.lead_unit for p in plans if p.lead_unit} | {u for p in plans for u in p.cooperating_units}
        self.units: dict[str, int] = {}
        paths: dict[str, str] = {}
        for chunk in _chunks(sorted(names)):
            for name, pk, path in OrgUnit.objects.filter(name__in=chunk).values_list("name", "pk", "path"):
                self.units[name] = pk
                paths[name] = path
        # A district's office imports the district's own work: every unit must lie in its jurisdiction.
        jurisdiction = None
        if self.actor is not None and not self.actor.governs_all:
            jurisdiction = self.actor.jurisdiction
        self.new_units: dict[str, tuple[int, str]] = {}
        for plan in plans:
            for column, unit in [("牵头单位", plan.lead_unit)] + [("配合单位", u) for u in plan.cooperating_units]:
                if unit in paths and jurisdiction is not None and not paths[unit].startswith(jurisdiction.path):
                    self.issues.error(
                        TASK_SHEET,
                        plan.row,
                        column,
                        _("单位“%(u)s”不在您的管辖范围（%(j)s）内") % {"u": unit, "j": jurisdiction.name},
                    )
                    continue
                if not unit or unit in self.units:
                    continue
                if self.create_units:
                    self.new_units.setdefault(unit, (plan.row, column))
                else:
                    self.issues.error(
                        TASK_SHEET,
                        plan.row,
                        column,
                        _("单位“%(u)s”不存在；请先在系统中建立该单位，或选择自动新建单位（--create-units）")
                        % {"u": unit},
                    )

    # -- Policies: dedupe by (name, 文号), against the file and the database -----------------------
    def plan_policies(self) -> tuple[dict[tuple[str, str], _PolicyPlan], dict[tuple[str, str], int]]:
        unique: dict[tuple[str, str], _PolicyPlan] = {}
        for policy in self.policies:
            key = (policy.title, policy.doc_number)
            first = unique.setdefault(key, policy)
            if first is not policy and (first.issuer, first.issued_on) != (policy.issuer, policy.issued_on):
                self.issues.warning(
                    POLICY_SHEET,
                    policy.row,
                    "发文机关",
                    _("政策“%(t)s”的发文机关或发布日期与第 %(r)s 行不一致，以第 %(r)s 行为准")
                    % {"t": policy.title, "r": first.row},
                )
        existing: dict[tuple[str, str], int] = {}
        titles = sorted({title for title, _doc in unique})
        for chunk in _chunks(titles):
            for pk, title, doc_number in Policy.objects.filter(title__in=chunk).values_list(
                "pk", "title", "doc_number"
            ):
                if (title, doc_number) in unique:
                    existing[(title, doc_number)] = pk
        return unique, existing


def _chunks(values: list[str] | list[int], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_tasks(programme: Programme, codes: Iterable[str]) -> dict[str, tuple[int, int, str]]:
    """Map code → (pk, domain id, status) for the tasks among ``codes`` already in the programme."""
    found: dict[str, tuple[int, int, str]] = {}
    in_programme = Task.objects.filter(programme=programme)
    for chunk in _chunks(sorted(codes)):
        rows = in_programme.filter(code__in=chunk).values_list("code", "pk", "domain_id", "status")
        for code, pk, domain_id, status in rows:
            found[code] = (pk, domain_id, status)
    return found
