"""Report parameters: the scope (programme, domain, unit subtree, task subtree) and the period (旬 or month)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import ValidationError
from reform.periods import Period, month_end, period_of
from tasks_app.models import Domain, Programme, Task

from .models import Report

PROGRAMME_LABEL = "全市"
PART_LABELS = {1: "上旬", 2: "中旬", 3: "下旬"}


@dataclass(frozen=True)
class Scope:
    """What a report covers. ``task_q`` selects its tasks; ``unit_path`` decides unit admins' access."""

    value: str  # "programme", "domain:<code>", "unit:<id>", "task:<code>"
    kind: str
    label: str
    task_q: Q  # within the programme
    programme_id: int
    unit_path: str = ""
    task_code: str = ""
    domain_id: int | None = None
    unit_id: int | None = None
    task_title: str = ""


def parse_scope(value: str | None, programme: Programme) -> Scope:
    """Parse ``programme`` | ``domain:<code>`` | ``unit:<id>`` | ``task:<code>`` within ``programme``;
    unknown objects are a clear error."""
    raw = (value or "programme").strip()
    kind, _sep, key = raw.partition(":")
    key = key.strip()
    within = Q(programme_id=programme.pk)
    if kind == "programme" and not key:
        label = programme.owner.name if programme.owner_id is not None else PROGRAMME_LABEL
        return Scope("programme", "programme", label, within, programme.pk)
    if kind == "domain" and key:
        domain = Domain.objects.filter(programme=programme, code=key).first()
        if domain is None:
            raise _scope_error(_("没有代码为“%(key)s”的改革领域") % {"key": key})
        return Scope(
            raw, "domain", f"{domain.name}领域", within & Q(domain_id=domain.pk), programme.pk, domain_id=domain.pk
        )
    if kind == "unit" and key:
        unit = (
            OrgUnit.objects.filter(pk=int(key)).first() if key.isascii() and key.isdigit() and len(key) < 19 else None
        )
        if unit is None:
            raise _scope_error(_("没有编号为“%(key)s”的责任单位") % {"key": key})
        has_children = OrgUnit.objects.filter(parent=unit).exists()
        label = f"{unit.name}（含下属单位）" if has_children else unit.name
        return Scope(
            f"unit:{unit.pk}",
            "unit",
            label,
            within & Q(lead_unit__path__startswith=unit.path),
            programme.pk,
            unit_path=unit.path,
            unit_id=unit.pk,
        )
    if kind == "task" and key:
        task = Task.objects.select_related("lead_unit").filter(programme=programme, code=key).first()
        if task is None:
            raise _scope_error(_("没有编号为“%(key)s”的任务") % {"key": key})
        return Scope(
            f"task:{task.code}",
            "task",
            f"任务 {task.code}“{task.title}”",
            within & (Q(code=task.code) | Q(code__startswith=task.code + ".")),
            programme.pk,
            unit_path=task.lead_unit.path,
            task_code=task.code,
            task_title=task.title,
        )
    raise _scope_error(_("范围格式应为 programme、domain:<领域代码>、unit:<单位编号> 或 task:<任务编号>"))


def _scope_error(message: str) -> ValidationError:
    return ValidationError(message, fields={"scope": [message]})


PERIOD_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-([123]))?$")


def parse_period(value: str | None, *, kind: str, today: date) -> Period:
    """``2026-11`` is a month, ``2026-11-2`` the middle 旬 of November; empty means the current one."""
    wants = {Report.Kind.TENDAY: "tenday", Report.Kind.MONTHLY: "month"}.get(kind)
    raw = (value or "").strip()
    if not raw:
        # 旬报汇总 defaults to the last 旬 that has ended (its reports are due); the rest to the current period.
        current = period_of(today, wants or "tenday")
        return current.previous() if kind == Report.Kind.TENDAY else current
    match = PERIOD_RE.match(raw)
    if match is None:
        raise _period_error(_("期间格式应为 2026-11（月）或 2026-11-2（旬：1 上旬、2 中旬、3 下旬）"))
    year, month, part = int(match[1]), int(match[2]), match[3]
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise _period_error(_("期间中的年份或月份无效"))
    if part is None:
        period = Period(date(year, month, 1), month_end(year, month), "month")
    else:
        period = period_of(date(year, month, 1 + (int(part) - 1) * 10))
    if wants == "tenday" and period.kind != "tenday":
        raise _period_error(_("旬报汇总须指定旬，例如 2026-11-2"))
    if wants == "month" and period.kind != "month":
        raise _period_error(_("月报须指定月份，例如 2026-11"))
    if period.start > today:
        raise _period_error(_("不能生成尚未开始的期间的报告"))
    return period


def period_value(period: Period) -> str:
    if period.kind == "month":
        return f"{period.end.year}-{period.end.month:02d}"
    part = 1 if period.start.day == 1 else (2 if period.start.day == 11 else 3)
    return f"{period.end.year}-{period.end.month:02d}-{part}"


def _period_error(message: str) -> ValidationError:
    return ValidationError(message, fields={"period": [message]})
