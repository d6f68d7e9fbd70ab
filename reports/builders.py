"""Gather everything a report prints, up front, into plain dicts and lists (no model objects, no lazy queries).

Rendering (``reports.rendering``) then works on this data alone, so the template loop and WeasyPrint's
layout never touch the database. All reads run in one snapshot (REPEATABLE READ on PostgreSQL, a
read transaction on SQLite), so the figures agree with each other and with the trace head printed
as the report's anchor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from indicators.achievement import indicator_achievement
from orgs.models import OrgUnit
from reform.periods import Period, due_date_for
from rhythm.models import MissedReport
from rhythm.services import items_owing_report
from tasks_app.access import REDACTED_TITLE, responsible_q
from tasks_app.models import Feedback, Task
from tasks_app.selectors import task_timeline_items
from trail.models import TraceEntry, TraceHead

from . import selectors as figures
from .models import Report
from .params import Scope

CN_NUMERALS = "一二三四五六七八九十"
MASTHEADS = {
    Report.Kind.BULLETIN: "数字化改革督查通报",
    Report.Kind.TENDAY: "数字化改革旬报汇总",
    Report.Kind.MONTHLY: "数字化改革工作月报",
    Report.Kind.DOSSIER: "数字化改革任务档案",
}


@dataclass(frozen=True)
class Spec:
    """What to build: the kind, scope and period, the issue number and the day it is built."""

    kind: str
    scope: Scope
    period: Period
    year: int
    issue_no: int
    today: date
    report_id: int | None = None

    @property
    def doc_number(self) -> str:
        return f"{settings.REPORT_DOC_PREFIXES[self.kind]}〔{self.year}〕{self.issue_no}号"


def title_for(kind: str, scope: Scope, period: Period) -> str:
    if kind == Report.Kind.BULLETIN:
        return f"关于{period.label}{scope.label}数字化改革任务推进情况的通报"
    if kind == Report.Kind.TENDAY:
        return f"{scope.label}数字化改革{period.label}旬报汇总"
    if kind == Report.Kind.MONTHLY:
        return f"{scope.label}数字化改革{period.label}工作月报"
    return f"任务档案：{scope.task_code} {scope.task_title}" if scope.task_title else f"{scope.label}任务档案"


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def cn_md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@contextmanager
def snapshot() -> Iterator[None]:
    """One consistent read view for the whole gathering (only when not already inside a transaction)."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def trace_anchor(task: Task | None = None) -> dict[str, Any]:
    """The trace entries the report rests on and the chain hash at the last one.

    A programme report rests on the whole chain up to its head at build time; a dossier on the task's
    own entries, anchored at the hash of its last one (the chain up to there includes all of them).
    """
    if task is None:
        head = TraceHead.objects.filter(pk=1).values("seq", "hash").first()
        if not head or not head["seq"]:
            return {"first": None, "last": None, "hash": "", "count": 0}
        return {"first": 1, "last": head["seq"], "hash": head["hash"], "count": head["seq"]}
    seqs = TraceEntry.objects.filter(task_id=task.pk).order_by("seq").values_list("seq", flat=True)
    first, last = seqs.first(), seqs.last()
    if first is None:
        return {"first": None, "last": None, "hash": "", "count": 0}
    digest = TraceEntry.objects.filter(seq=last).values_list("hash", flat=True).first() or ""
    return {"first": first, "last": last, "hash": digest, "count": seqs.count()}


def gather(spec: Spec) -> dict[str, Any]:
    """Read everything the report needs; return plain data for ``rendering.render_html``."""
    with snapshot():
        if spec.kind == Report.Kind.DOSSIER:
            data = gather_dossier(spec)
        else:
            data = {
                Report.Kind.BULLETIN: gather_bulletin,
                Report.Kind.TENDAY: gather_tenday,
                Report.Kind.MONTHLY: gather_monthly,
            }[spec.kind](spec)
            data["trace"] = trace_anchor()
    built_at = timezone.localtime()
    data.update(
        kind=spec.kind,
        kind_label=str(Report.Kind(spec.kind).label),
        masthead=MASTHEADS[spec.kind],
        title=title_for(spec.kind, spec.scope, spec.period),
        scope_label=spec.scope.label,
        period_label=spec.period.label,
        issuer=settings.REPORT_ISSUER,
        issuer_dept=settings.REPORT_ISSUER_DEPT,
        issue_line=f"{spec.year}年第{spec.issue_no}期",
        doc_number=spec.doc_number,
        date_text=cn_date(spec.today),
        built_at=built_at.strftime("%Y-%m-%d %H:%M"),
        report_id=spec.report_id,
        scope_kind=spec.scope.kind,
    )
    data["sections"] = [s for s in data.get("sections", []) if s]
    return data


def _sections(*titles: str) -> list[dict[str, str]]:
    return [{"id": f"s{i}", "title": f"{CN_NUMERALS[i - 1]}、{title}"} for i, title in enumerate(titles, start=1)]


# --- 督查通报 -------------------------------------------------------------------------------------


def gather_bulletin(spec: Spec) -> dict[str, Any]:
    q, period = spec.scope.task_q, spec.period
    as_of = spec.today  # states and lights are as of the build; lists are for the period
    head = figures.headline(q, as_of)
    domains = figures.lights_by_domain(q, as_of)
    units = figures.lights_by_unit(q, as_of)
    instructions = figures.instructions(q, period, as_of)
    notices = figures.notices_in_period(q, period)
    punctuality = figures.punctuality(q, period.start, period.end, spec.today)
    listed = figures.listed_notices(q, as_of)
    data = {
        "as_of": as_of,
        "as_of_text": cn_date(as_of),
        "head": head,
        "domains": domains,
        "units": units,
        "overdue": figures.overdue_items(q, as_of),
        "indicators": figures.worst_indicators(q),
        "instructions": instructions,
        "ranking": figures.ranking(q, period, as_of, spec.scope.domain_id, spec.scope.programme_id),
        "listed": listed,
        "notices": notices,
        "punctuality": punctuality,
        "reds": figures.red_items(q, as_of),
        "show_domains": spec.scope.kind in ("programme", "unit", "task") and len(domains) > 1,
    }
    data["summary"] = bulletin_summary(spec, data)
    data["sections"] = _sections(
        "总体情况",
        "分领域推进情况",
        "各单位推进情况",
        "逾期未办结事项",
        "指标预警",
        "领导批示落实情况",
        "红黑榜",
        "挂牌督办事项",
        "本期督办情况",
        "旬报报送情况",
    ) + [{"id": "appendix", "title": "附件：红灯事项清单"}]
    return data


def bulletin_summary(spec: Spec, data: dict[str, Any]) -> list[str]:
    """The opening paragraphs, written from the figures."""
    head, ins, notices, punct = data["head"], data["instructions"], data["notices"], data["punctuality"]
    scope = "全市" if spec.scope.kind == "programme" else spec.scope.label
    majors = f"重大任务 {head['majors']} 项、" if spec.scope.kind in ("programme", "domain") and head["majors"] else ""
    first = (
        f"截至{cn_md(data['as_of'])}，{scope}数字化改革任务共{majors}事项 {head['total']} 项，"
        f"已办结 {head['closed']} 项，办结率 {pct(head['closure_rate'])}；在办 {head['open']} 项中，"
        f"红灯 {head['red']} 项、黄灯 {head['yellow']} 项、绿灯 {head['green']} 项，"
        f"逾期未办结 {head['overdue']} 项，事项平均进度 {head['progress']:g}%。"
    )
    levels = notices["by_level"]
    second = (
        f"{spec.period.label}，共发出督办通知 {notices['total']} 件，"
        f"其中提醒 {levels['提醒']} 件、催办 {levels['催办']} 件、"
        f"督办 {levels['督办']} 件、挂牌督办 {levels['挂牌督办']} 件；目前挂牌督办未销号事项 {len(data['listed'])} 项。"
        f"领导批示 {ins['issued']} 件，按期回复 {ins['on_time']} 件，批示落实率 {pct(ins['follow_through'])}；"
        f"旬报应报 {punct['expected']} 份，按时报送 {punct['on_time']} 份，按时报送率 {pct(punct['rate'])}。"
    )
    paragraphs = [first, second]
    remarks = []
    worst_domain = max(data["domains"], key=lambda d: (d["red"], d["overdue"]), default=None)
    if worst_domain and worst_domain["red"] and data["show_domains"]:
        remarks.append(f"从领域看，{worst_domain['name']}领域红灯事项最多（{worst_domain['red']} 项）")
    worst_unit = next((u for u in data["units"] if u["red"] or u["overdue"]), None)
    if worst_unit:
        remarks.append(
            f"从单位看，{worst_unit['name']}红灯 {worst_unit['red']} 项、逾期 {worst_unit['overdue']} 项，问题较为突出"
        )
    black = data["ranking"]["black"]
    if black:
        remarks.append(f"{'、'.join(r['unit'] for r in black)}列入本期黑榜")
    if remarks:
        paragraphs.append("；".join(remarks) + "。请相关单位对照问题清单，逐项制定整改措施，限期销号。")
    return paragraphs


# --- 旬报汇总 -------------------------------------------------------------------------------------


def gather_tenday(spec: Spec) -> dict[str, Any]:
    q, period = spec.scope.task_q, spec.period
    as_of = spec.today  # states and lights are as of the build; lists are for the period
    due = due_date_for(period)
    is_due = due < spec.today
    scope_items = Task.objects.filter(q, is_leaf=True)
    reports = []
    for f in (
        Feedback.objects.filter(kind=Feedback.Kind.TENDAY, period_end=period.end, task__in=scope_items)
        .select_related("task__lead_unit", "unit", "submitted_by")
        .order_by("task__lead_unit__path", "task__sort_key", "submitted_at")
    ):
        reports.append(
            {
                "code": f.task.code,
                "title": f.task.title,
                "lead_unit": f.task.lead_unit.name,
                "unit": f.unit.name,
                "by": f.submitted_by.display_name,
                "at": timezone.localtime(f.submitted_at).strftime("%m-%d %H:%M"),
                "on_time": f.on_time,
                "progress": figures._num(f.progress),
                "text": f.text,
            }
        )
    reported = {r["code"] for r in reports}
    missing = []
    for m in (
        MissedReport.objects.filter(period_end=period.end, task__in=scope_items)
        .select_related("task__lead_unit")
        .order_by("task__sort_key")
    ):
        if m.task.code not in reported:
            missing.append(
                {"code": m.task.code, "title": m.task.title, "unit": m.task.lead_unit.name, "state": "逾期未报"}
            )
    recorded = {m["code"] for m in missing}
    for t in items_owing_report(period).filter(q):
        if t.code not in recorded:
            missing.append(
                {
                    "code": t.code,
                    "title": t.title,
                    "unit": t.lead_unit.name,
                    "state": "逾期未报" if is_due else "尚未报送（未到期）",
                }
            )
    missing.sort(key=lambda m: (m["unit"], m["code"]))
    per_unit: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for r in reports:
        if r["code"] in seen:  # the lead and a cooperating unit both reported on the item
            continue
        seen.add(r["code"])
        unit = per_unit.setdefault(r["lead_unit"], {"name": r["lead_unit"], "on_time": 0, "late": 0, "missing": 0})
        unit["on_time" if r["on_time"] else "late"] += 1
    for m in missing:
        per_unit.setdefault(m["unit"], {"name": m["unit"], "on_time": 0, "late": 0, "missing": 0})["missing"] += 1
    units = list(per_unit.values())
    for u in units:
        u["expected"] = u["on_time"] + u["late"] + u["missing"]
        u["rate"] = figures.rate(u["on_time"], u["expected"])
    units.sort(key=lambda u: (u["rate"] if u["rate"] is not None else 101, u["name"]))
    head = figures.headline(q, as_of)
    on_time = sum(u["on_time"] for u in units)
    expected = len(reported) + len(missing)
    data = {
        "as_of": as_of,
        "as_of_text": cn_date(as_of),
        "due_text": cn_date(due),
        "head": head,
        "reports": reports,
        "missing": missing,
        "units": units,
        "counts": {
            "expected": expected,
            "filed": len(reported),
            "on_time": on_time,
            "late": len(reported) - on_time,
            "missing": len(missing),
            "rate": pct(figures.rate(on_time, expected)),
        },
        "domains": figures.lights_by_domain(q, as_of),
    }
    if is_due:
        first = (
            f"{period.label}旬报应于{cn_date(due)}前报送。{spec.scope.label}应报旬报的事项 {expected} 项，"
            f"已报送 {len(reported)} 项（其中按时报送 {on_time} 项、逾期补报 {len(reported) - on_time} 项），"
            f"未报送 {len(missing)} 项，按时报送率 {data['counts']['rate']}。"
        )
    else:
        first = (
            f"{period.label}旬报将于{cn_date(due)}前报送。截至{cn_md(spec.today)}，{spec.scope.label}应报旬报的事项 "
            f"{expected} 项，已报送 {len(reported)} 项，尚未报送 {len(missing)} 项。"
        )
    data["summary"] = [
        first,
        f"截至{cn_md(as_of)}，在办事项 {head['open']} 项，红灯 {head['red']} 项、黄灯 {head['yellow']} 项、"
        f"绿灯 {head['green']} 项，事项平均进度 {head['progress']:g}%。",
    ]
    data["sections"] = _sections("报送概况", "分单位报送情况", "未报送事项", "旬报内容")
    return data


# --- 月报 -----------------------------------------------------------------------------------------


def gather_monthly(spec: Spec) -> dict[str, Any]:
    q, period = spec.scope.task_q, spec.period
    as_of = spec.today  # states and lights are as of the build; lists are for the period
    head = figures.headline(q, as_of)
    data = {
        "as_of": as_of,
        "as_of_text": cn_date(as_of),
        "head": head,
        "domains": figures.lights_by_domain(q, as_of),
        "units": figures.lights_by_unit(q, as_of),
        "closed": figures.closed_in_period(q, period, as_of),
        "newly_overdue": figures.newly_overdue(q, period, as_of),
        "overdue": figures.overdue_items(q, as_of),
        "instructions": figures.instructions(q, period, as_of),
        "notices": figures.notices_in_period(q, period),
        "evaluations": figures.evaluations_in_period(q, period),
        "punctuality": figures.punctuality(q, period.start, period.end, spec.today),
        "ranking": figures.ranking(q, period, as_of, spec.scope.domain_id, spec.scope.programme_id),
        "indicators": figures.worst_indicators(q),
    }
    closed_on_time = sum(1 for r in data["closed"] if r["on_time"])
    ins, notices, punct = data["instructions"], data["notices"], data["punctuality"]
    data["summary"] = [
        f"{period.label}，{spec.scope.label}数字化改革新办结事项 {len(data['closed'])} 项（按期 {closed_on_time} 项），"
        f"累计办结 {head['closed']} 项，办结率 {pct(head['closure_rate'])}；"
        f"本月到期未办结 {len(data['newly_overdue'])} 项，"
        f"累计逾期未办结 {head['overdue']} 项。",
        f"本月领导批示 {ins['issued']} 件，批示落实率 {pct(ins['follow_through'])}；发出督办通知 {notices['total']} 件"
        f"（升级督办 {notices['escalated']} 件）；旬报按时报送率 {pct(punct['rate'])}；"
        f"完成评价 {len(data['evaluations'])} 项。",
        f"截至{cn_md(as_of)}，在办事项红灯 {head['red']} 项、黄灯 {head['yellow']} 项、绿灯 {head['green']} 项。",
    ]
    data["sections"] = _sections(
        "总体情况",
        "分领域推进情况",
        "本月办结事项",
        "本月到期未办结事项",
        "领导批示与督办",
        "旬报报送情况",
        "评价情况",
        "指标预警",
        "红黑榜",
    )
    return data


# --- 任务档案 -------------------------------------------------------------------------------------


def _d(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def gather_dossier(spec: Spec) -> dict[str, Any]:
    task = (
        Task.objects.select_related("domain", "lead_unit", "owner")
        .prefetch_related("cooperating_units")
        .get(programme_id=spec.scope.programme_id, code=spec.scope.task_code)
    )
    in_programme = Task.objects.filter(programme_id=task.programme_id)
    ancestors = list(in_programme.filter(code__in=_ancestor_codes(task.code)).order_by("depth").values("code", "title"))
    lower = in_programme.filter(code__startswith=task.code + ".")
    # A unit admin's dossier is read by the unit's subtree: an item another unit leads, without this
    # subtree cooperating, shows only its code and progress (as on the task page; docs/SECURITY.md).
    seen = (
        set(lower.filter(responsible_q(OrgUnit(path=spec.scope.unit_path))).values_list("pk", flat=True))
        if spec.scope.unit_path
        else None
    )
    children = [
        (
            {
                "code": c.code,
                "title": c.title,
                "unit": c.lead_unit.name,
                "status": c.status_label,
                "rag": c.rag,
                "rag_label": c.get_rag_display(),
                "progress": figures._num(c.progress),
                "deadline": _d(c.deadline),
            }
            if seen is None or c.pk in seen
            else {
                "code": c.code,
                "title": str(REDACTED_TITLE),
                "unit": "—",
                "status": "—",
                "rag": "none",
                "rag_label": "—",
                "progress": figures._num(c.progress),
                "deadline": "—",
            }
        )
        for c in lower.select_related("lead_unit").order_by("sort_key")
    ]
    indicators = []
    for ind in task.indicators.prefetch_related("measurements", "trajectory").all():
        measurements = list(ind.measurements.all())
        plan = {t.period_end: t.expected_value for t in ind.trajectory.all()}
        latest = measurements[-1] if measurements else None
        indicators.append(
            {
                "name": ind.name,
                "unit": ind.unit,
                "direction": ind.get_direction_display(),
                "baseline": f"{figures._num(ind.baseline_value)}（{_d(ind.baseline_date)}）",
                "target": f"{figures._num(ind.target_value)}（{_d(ind.target_date)}）",
                "latest": figures._num(latest.value) if latest else "",
                "achievement": figures._num(indicator_achievement(ind, latest.value)) if latest else "",
                "source": ind.data_source,
                "history": [
                    {
                        "period": _d(m.period_end),
                        "value": figures._num(m.value),
                        "plan": figures._num(plan.get(m.period_end)),
                    }
                    for m in measurements[-12:]
                ],
            }
        )
    timeline = [
        {
            "seq": item.seq,
            "at": _d(item.at),
            "actor": item.actor,
            "label": item.label,
            "states": _states(item.from_state, item.to_state),
            "summary": item.summary,
        }
        for item in task_timeline_items(task)
    ]
    data = {
        "task": {
            "code": task.code,
            "title": task.title,
            "description": task.description,
            "domain": task.domain.name,
            "dimensions": task.dimension_label,
            "lead_unit": task.lead_unit.name,
            "cooperating": "、".join(u.name for u in task.cooperating_units.all()),
            "owner": task.owner_name or (task.owner.display_name if task.owner else ""),
            "start": _d(task.start_date),
            "deadline": _d(task.deadline) or "持续推进",
            "weight": figures._num(task.weight),
            "progress": figures._num(task.progress),
            "status": task.status_label,
            "rag": task.rag,
            "rag_label": task.get_rag_display(),
            "rag_reason": task.rag_reason,
            "rag_rules": [r.get("reason", "") for r in (task.rag_rules or [])],
            "closed_at": _d(task.closed_at),
            "is_leaf": task.is_leaf,
        },
        "ancestors": ancestors,
        "children": children,
        "milestones": [{"title": m.title, "due": _d(m.due_date), "done": _d(m.done_at)} for m in task.milestones.all()],
        "measures": [m.text for m in task.measures.all()],
        "task_forces": [
            {"name": f.name, "members": f.members_text or "、".join(u.display_name for u in f.members.all())}
            for f in task.task_forces.prefetch_related("members")
        ],
        "policies": [
            {"title": p.title, "doc_number": p.doc_number, "issuer": p.issuer, "date": _d(p.issued_on)}
            for p in task.policies.all()
        ],
        "criteria": [
            {"name": c.name, "weight": figures._num(c.weight), "max": figures._num(c.max_score), "method": c.method}
            for c in task.criteria.all()
        ],
        "indicators": indicators,
        "instructions": [
            {
                "date": _d(i.created_at),
                "author": i.author.display_name,
                "text": i.text,
                "due": _d(i.due_date),
                "state": i.get_state_display(),
                "response": i.response,
                "responded_at": _d(i.responded_at),
            }
            for i in task.instructions.select_related("author").order_by("created_at")
        ],
        "notices": [
            {
                "date": _d(n.created_at),
                "level": n.get_level_display(),
                "source": n.get_source_display(),
                "reason": n.reason,
                "state": n.get_state_display(),
                "lifted_at": _d(n.lifted_at),
            }
            for n in task.notices.order_by("created_at")
        ],
        "feedbacks": [
            {
                "kind": f.get_kind_display(),
                "period": _d(f.period_end),
                "unit": f.unit.name,
                "at": _d(f.submitted_at),
                "on_time": f.on_time,
                "progress": figures._num(f.progress),
                "text": f.text,
            }
            for f in task.feedbacks.select_related("unit").order_by("submitted_at")
        ],
        "missed": [
            {"period": _d(m.period_end), "due": _d(m.due_date)} for m in task.missed_reports.order_by("period_end")
        ],
        "problems": [
            {
                "date": _d(p.created_at),
                "unit": p.unit.name,
                "text": p.text,
                "state": p.get_state_display(),
                "response": p.response,
            }
            for p in task.problems.select_related("unit").order_by("created_at")
        ],
        "corrections": [
            {
                "date": _d(c.created_at),
                "requirement": c.requirement,
                "due": _d(c.due_date),
                "state": c.get_state_display(),
                "answer": c.answer,
            }
            for c in task.corrections.order_by("created_at")
        ],
        "extensions": [
            {
                "date": _d(x.created_at),
                "old": _d(x.old_deadline),
                "new": _d(x.requested_deadline),
                "reason": x.reason,
                "state": x.get_state_display(),
                "comment": x.decision_comment,
            }
            for x in task.extensions.order_by("created_at")
        ],
        "evaluations": [
            {
                "period": _d(e.period_end),
                "total": figures._num(e.total),
                "grade": e.grade,
                "evaluator": e.evaluator.display_name,
                "comment": e.comment,
            }
            for e in task.evaluations.select_related("evaluator").order_by("created_at")
        ],
        "timeline": timeline,
        "trace": trace_anchor(task),
        "as_of_text": cn_date(spec.today),
    }
    data["summary"] = [dossier_summary(data)]
    data["sections"] = _sections("基本情况", "工作体系与政策体系", "指标体系", "督办与反馈记录", "全程留痕")
    return data


def dossier_summary(data: dict[str, Any]) -> str:
    t = data["task"]
    light = f"当前{t['rag_label']}" + (f"（{t['rag_reason']}）" if t["rag_reason"] else "")
    return (
        f"任务“{t['title']}”（{t['code']}）由{t['lead_unit']}牵头，完成时限{t['deadline']}，当前状态为“{t['status']}”，"
        f"进度 {t['progress']}%，{light}。"
        f"共收到领导批示 {len(data['instructions'])} 件、督办通知 {len(data['notices'])} 件，"
        f"报送进度反馈 {len(data['feedbacks'])} 次，留痕记录 {len(data['timeline'])} 条。"
    )


def _states(from_state: str, to_state: str) -> str:
    if not from_state and not to_state:
        return ""
    return f"{from_state} → {to_state}" if from_state and to_state else (to_state or from_state)


def _ancestor_codes(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]
