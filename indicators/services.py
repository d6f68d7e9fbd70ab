"""Writes for indicators: trajectories and measurements (form, upload, source adapters).

Every write checks permission first, runs in one transaction, is traced, and refreshes the lights of
the task and its ancestors in that same transaction. ``actor=None`` means the system (source
adapters run by a job, the demo). A write that would change nothing (the same value re-reported,
the same trajectory regenerated) stores nothing and leaves no trace entry, so jobs and the demo are
safe to run twice.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reform.errors import NotFound, PermissionDenied, ValidationError
from reform.numbers import indicator_number, number_or_problem
from reform.params import EARLIEST_DATE, check_date
from reform.periods import Period, period_of
from tasks_app import access
from tasks_app.models import Attachment, Programme, Task
from tasks_app.selectors.programmes import default_programme, home_programme
from tasks_app.services import schedule_light_refresh
from trail.chain import append_many

from . import events
from .achievement import linear_expected
from .adapters import MeasurementSource, SourceError
from .models import Indicator, Measurement, TrajectoryPoint
from .tabular import DEFAULT_SHEET, MeasurementRow, issue, parse_number, parse_period, read_table

if TYPE_CHECKING:
    from accounts.models import User


FOUR_PLACES = Decimal("0.0001")


def plain(number: Decimal | None) -> str | None:
    """``Decimal("62.5000")`` → ``"62.5"``: how a value reads in the trace and in messages."""
    if number is None:
        return None
    text = format(Decimal(number).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _quantize(number: Decimal) -> Decimal:
    return number.quantize(FOUR_PLACES)


def _may_report(actor: User, task: Task) -> Task:
    """The office, or a unit admin/handler of the lead or a cooperating unit (404 outside scope, else 403)."""
    task = access.access_task(actor, task.pk, queryset=Task.objects.select_related("lead_unit"))
    access.REPORT_INDICATOR.check(actor, task)
    return task


def _reportable_period(indicator: Indicator, day: Any, today: date) -> Period:
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise ValidationError(_("请填写统计期间"), fields={"period_end": [_("必须是日期")]})
    check_date(day, "period_end", label=_("统计期间"))
    period = period_of(day, indicator.period_kind)
    if period.start > today:
        raise ValidationError(
            _("%(label)s尚未开始，不能填报") % {"label": period.label}, fields={"period_end": [_("期间尚未开始")]}
        )
    return period


def measurement_record(
    *,
    actor: User | None,
    indicator: Indicator,
    period_end: date,
    value: Decimal | int | float | str,
    evidence: str = "",
    attachment: Attachment | None = None,
    source: str = Measurement.Source.WEB,
) -> Measurement:
    """Record (or correct) an indicator's value for the period containing ``period_end``.

    One value per indicator and period: a second report replaces the first and the trace keeps both
    (old and new value). Re-reporting the same value, evidence and attachment changes nothing.
    """
    task = indicator.task
    if actor is not None:
        task = _may_report(actor, task)
    parsed = parse_number(value)
    number = indicator_number(
        value if parsed is None else parsed,
        field="value",
        label=_("指标数值"),
        unit=indicator.unit,
    )
    period = _reportable_period(indicator, period_end, timezone.localdate())
    if source not in Measurement.Source.values:
        raise ValidationError(_("未知的数据来源"), fields={"source": [_("无效")]})
    if attachment is not None and attachment.task_id != task.pk:
        raise ValidationError(_("佐证附件不属于该任务"), fields={"attachment": [_("无效")]})
    evidence = (evidence or "").strip()
    with transaction.atomic():
        # A value stored before numbers were checked that cannot be read back is replaced, not read.
        Measurement.stored.unreadable().filter(indicator=indicator, period_end=period.end).delete()
        measurement = Measurement.objects.select_for_update().filter(indicator=indicator, period_end=period.end).first()
        old_value = measurement.value if measurement is not None else None
        if measurement is not None and (measurement.value, measurement.evidence, measurement.attachment_id) == (
            number,
            evidence,
            attachment.pk if attachment is not None else None,
        ):
            return measurement
        if measurement is None:
            measurement = Measurement(indicator=indicator, period_end=period.end)
        measurement.value = number
        measurement.evidence = evidence
        measurement.attachment = attachment
        measurement.reported_by = actor
        measurement.source = source
        measurement.save()
        events.MEASURED(
            actor=actor,
            obj=measurement,
            task=task,
            payload={
                "indicator": indicator.name,
                "indicator_id": indicator.pk,
                "period_end": period.end,
                "period": period.label,
                "old_value": plain(old_value),
                "new_value": plain(number),
                "unit": indicator.unit,
                "source": source,
                "evidence": evidence[:200],
                "attachment": attachment.pk if attachment is not None else None,
            },
        )
        schedule_light_refresh([task.pk])
    return measurement


def trajectory_set(
    *,
    actor: User | None,
    indicator: Indicator,
    points: Mapping[date, Decimal | int | float | str],
    replace: bool = False,
    mode: str = "manual",
) -> int:
    """Enter the expected value per period by hand; return how many points changed.

    Each date is read as the period containing it. With ``replace`` the trajectory becomes exactly
    ``points`` (other periods are removed); otherwise only the given periods are set.
    """
    if actor is not None:
        access.check_on_task(actor, indicator.task_id, access.SET_TRAJECTORY)
    if not points:
        raise ValidationError(_("指标轨迹至少需要一个期间的目标值"), fields={"points": [_("不能为空")]})
    clean: dict[date, Decimal] = {}
    errors: dict[str, list[str]] = {}
    for day, raw in points.items():
        key = str(day)
        if isinstance(day, datetime):
            day = day.date()
        if not isinstance(day, date) or day < EARLIEST_DATE:
            errors[key] = [_("期间必须是 %(d)s 以后的日期") % {"d": EARLIEST_DATE.isoformat()}]
            continue
        parsed = parse_number(raw)
        number, problem = number_or_problem(
            raw if parsed is None else parsed, label=_("%(day)s 的目标值") % {"day": key}, unit=indicator.unit
        )
        if number is None:
            errors[key] = [problem]
            continue
        end = period_of(day, indicator.period_kind).end
        if end in clean and clean[end] != number:
            errors[key] = [_("与同一期间的另一目标值冲突")]
            continue
        clean[end] = number
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, fields=errors)
    with transaction.atomic():
        existing = {p.period_end: p for p in TrajectoryPoint.objects.select_for_update().filter(indicator=indicator)}
        created = [
            TrajectoryPoint(indicator=indicator, period_end=end, expected_value=value)
            for end, value in clean.items()
            if end not in existing
        ]
        updated = []
        for end, value in clean.items():
            point = existing.get(end)
            if point is not None and point.expected_value != value:
                point.expected_value = value
                updated.append(point)
        removed = [p.pk for end, p in existing.items() if replace and end not in clean]
        if not (created or updated or removed):
            return 0
        TrajectoryPoint.objects.bulk_create(created)
        TrajectoryPoint.objects.bulk_update(updated, ["expected_value"])
        TrajectoryPoint.objects.filter(pk__in=removed).delete()
        ordered = sorted(clean.items())
        events.TRAJECTORY_SET(
            actor=actor,
            obj=indicator,
            task=indicator.task,
            payload={
                "indicator": indicator.name,
                "mode": mode,
                "created": len(created),
                "updated": len(updated),
                "removed": len(removed),
                "points": [[end, plain(value)] for end, value in ordered[:60]],
            },
        )
        schedule_light_refresh([indicator.task_id])
    return len(created) + len(updated) + len(removed)


def linear_trajectory(indicator: Indicator) -> dict[date, Decimal]:
    """Return the straight line from baseline to target, one point per period between their dates."""
    if indicator.baseline_date is None or indicator.target_date is None:
        raise ValidationError(
            _("指标“%(n)s”缺少基线日期或目标日期，无法生成轨迹") % {"n": indicator.name},
            fields={"target_date": [_("不能为空")]},
        )
    if indicator.target_date <= indicator.baseline_date:
        raise ValidationError(
            _("指标“%(n)s”的目标日期应晚于基线日期") % {"n": indicator.name}, fields={"target_date": [_("无效")]}
        )
    points: dict[date, Decimal] = {}
    period = period_of(indicator.baseline_date, indicator.period_kind)
    if period.end == indicator.baseline_date:
        period = period.next()  # the baseline closes its period; the line starts with the next one
    while period.start <= indicator.target_date:
        value = linear_expected(indicator, min(period.end, indicator.target_date))
        points[period.end] = _quantize(Decimal(value))  # type: ignore[arg-type]
        period = period.next()
    return points


def trajectory_generate(*, actor: User | None, indicator: Indicator) -> int:
    """Replace the trajectory with a straight line from the baseline (at its date) to the target (at its date).

    One point per period (the indicator's month or 旬) from the period after the baseline's to the
    period containing the target date, which expects the target itself. Returns how many points changed.
    """
    if actor is not None:
        access.check_on_task(actor, indicator.task_id, access.SET_TRAJECTORY)
    return trajectory_set(
        actor=actor, indicator=indicator, points=linear_trajectory(indicator), replace=True, mode="linear"
    )


# --- Uploads and source adapters -----------------------------------------------------------------


def _report(**counts: Any) -> dict[str, Any]:
    return {"created": 0, "updated": 0, "unchanged": 0, "errors": [], "warnings": [], **counts}


def measurements_apply(
    *,
    actor: User | None,
    rows: Iterable[MeasurementRow],
    source: str,
    sheet: str = DEFAULT_SHEET,
    label: str = "",
    dry_run: bool = False,
    programme: Programme | None = None,
) -> dict[str, Any]:
    """Check every row, then save all of them or none; the one path for uploads and source adapters.

    Task codes are read within ``programme`` (default: the actor's own programme, or the default one).

    Returns ``{"created", "updated", "unchanged", "errors", "warnings"}``; every error and warning
    names the sheet, row and column. Each task whose values changed gets one ``indicator.import``
    trace entry listing its old and new values.
    """
    rows = list(rows)
    report = _report()
    errors, warnings = report["errors"], report["warnings"]
    today = timezone.localdate()
    programme = programme or (home_programme(actor) if actor is not None else default_programme())
    indicators = {
        (i.task.code, i.name): i
        for i in Indicator.objects.filter(
            task__programme=programme, task__code__in={r.task_code for r in rows}
        ).select_related("task__lead_unit")
    }
    allowed: dict[int, bool] = {}
    seen: dict[tuple[int, date], int] = {}
    clean: list[tuple[Indicator, date, Decimal, str]] = []
    for r in rows:
        if not r.task_code:
            errors.append(issue(sheet, r.row, "任务编号", _("任务编号不能为空")))
            continue
        if not r.indicator_name:
            errors.append(issue(sheet, r.row, "指标名称", _("指标名称不能为空")))
            continue
        indicator = indicators.get((r.task_code, r.indicator_name))
        if indicator is None:
            message = _("任务“%(c)s”下没有指标“%(n)s”") % {"c": r.task_code, "n": r.indicator_name}
            errors.append(issue(sheet, r.row, "指标名称", message))
            continue
        if actor is not None:
            if indicator.task_id not in allowed:
                try:
                    _may_report(actor, indicator.task)
                    allowed[indicator.task_id] = True
                except (PermissionDenied, NotFound):  # the row is named; nothing else about the task is revealed
                    allowed[indicator.task_id] = False
            if not allowed[indicator.task_id]:
                errors.append(issue(sheet, r.row, "任务编号", _("无权填报任务“%(c)s”的指标") % {"c": r.task_code}))
                continue
        parsed = parse_period(r.period, indicator.period_kind)
        if parsed.error:
            errors.append(issue(sheet, r.row, "期间", parsed.error))
        period_end = parsed.end
        if period_end is not None and period_end < EARLIEST_DATE:
            message = _("期间应在 %(d)s 以后") % {"d": EARLIEST_DATE.isoformat()}
            errors.append(issue(sheet, r.row, "期间", message))
            period_end = None
        if period_end is not None and (period := period_of(period_end, indicator.period_kind)).start > today:
            errors.append(issue(sheet, r.row, "期间", _("%(label)s尚未开始，不能填报") % {"label": period.label}))
            period_end = None
        if parsed.warning:
            warnings.append(issue(sheet, r.row, "期间", parsed.warning))
        number = parse_number(r.value)
        if number is None:
            shown = "" if r.value is None else str(r.value).strip()
            message = _("数值“%(v)s”不是数字") % {"v": shown} if shown else _("数值不能为空")
            errors.append(issue(sheet, r.row, "数值", message))
        else:
            number, problem = number_or_problem(number, label=_("数值"), unit=indicator.unit)
            if number is None:
                errors.append(issue(sheet, r.row, "数值", problem))
        if period_end is None or number is None:
            continue
        key = (indicator.pk, period_end)
        if key in seen:
            message = _("与第 %(row)s 行是同一指标的同一期间") % {"row": seen[key]}
            errors.append(issue(sheet, r.row, "期间", message))
            continue
        seen[key] = r.row
        clean.append((indicator, period_end, number, r.evidence or label))
    if errors:
        return report
    with transaction.atomic():
        unreadable = Measurement.stored.unreadable().filter(indicator__in={i.pk for i, *_ in clean})
        unreadable.filter(period_end__in={p for _, p, *_ in clean}).delete()
        existing = {
            (m.indicator_id, m.period_end): m
            for m in Measurement.objects.select_for_update().filter(
                indicator__in={i.pk for i, *_ in clean}, period_end__in={p for _, p, *_ in clean}
            )
        }
        created: list[Measurement] = []
        updated: list[Measurement] = []
        changes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        tasks: dict[int, Task] = {}
        for indicator, period_end, number, evidence in clean:
            measurement = existing.get((indicator.pk, period_end))
            if measurement is not None and measurement.value == number:
                report["unchanged"] += 1
                continue
            old = measurement.value if measurement is not None else None
            if measurement is None:
                created.append(
                    Measurement(
                        indicator=indicator,
                        period_end=period_end,
                        value=number,
                        reported_by=actor,
                        source=source,
                        evidence=evidence,
                    )
                )
            else:
                measurement.value, measurement.reported_by = number, actor
                measurement.source, measurement.evidence = source, evidence
                updated.append(measurement)
            tasks[indicator.task_id] = indicator.task
            changes[indicator.task_id].append(
                {
                    "indicator": indicator.name,
                    "period_end": period_end,
                    "old_value": plain(old),
                    "new_value": plain(number),
                }
            )
        report["created"], report["updated"] = len(created), len(updated)
        if dry_run or not changes:
            return report
        Measurement.objects.bulk_create(created, batch_size=1000)
        # ``reported_at`` is auto_now: bulk_update does not call save(), so set it here.
        now = timezone.now()
        for measurement in updated:
            measurement.reported_at = now
        Measurement.objects.bulk_update(
            updated, ["value", "reported_by", "source", "evidence", "reported_at"], batch_size=1000
        )
        append_many(
            actor=actor,
            items=[
                events.IMPORTED.item(
                    task=tasks[task_id],
                    payload={"source": source, "label": label, "values": task_changes},
                )
                for task_id, task_changes in sorted(changes.items())
            ],
        )
        schedule_light_refresh(sorted(changes))
    return report


def _read_upload(file: Any) -> tuple[str, bytes]:
    """Return the display name and bytes of a path, an uploaded file or a binary file object, size-checked."""
    limit = settings.IMPORT_MAX_BYTES
    if isinstance(file, (str, Path)):
        path = Path(file)
        try:
            if path.stat().st_size > limit:
                raise ValidationError(_("文件过大，请拆分后分批导入"), fields={"file": [_("文件过大")]})
            return path.name, path.read_bytes()
        except OSError as exc:
            raise ValidationError(
                _("无法读取文件“%(n)s”") % {"n": path.name}, fields={"file": [_("无法读取")]}
            ) from exc
    name = os.path.basename(str(getattr(file, "name", "") or "")) or "upload.csv"
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(_("文件过大，请拆分后分批导入"), fields={"file": [_("文件过大")]})
    return name, content


def measurements_import(
    *,
    actor: User | None,
    file: Any = None,
    dry_run: bool = False,
    name: str | None = None,
    content: bytes | None = None,
) -> dict[str, Any]:
    """Import indicator values from a CSV or xlsx upload (任务编号, 指标名称, 期间, 数值[, 佐证材料]).

    ``file`` is a path, an uploaded file or a binary file object; callers already holding the bytes
    may pass ``name`` and ``content`` instead. All or nothing: any error saves nothing, and every
    error names its sheet, row and column. A dry run checks everything and saves nothing.
    """
    if actor is not None:
        access.IMPORT_MEASUREMENTS.check_role(actor)
    if file is not None:
        name, content = _read_upload(file)
    if name is None or content is None:
        raise ValidationError(_("请选择要导入的文件"), fields={"file": [_("不能为空")]})
    rows, errors, sheet = read_table(name=name, content=content)
    if errors:
        return _report(errors=errors)
    digest = hashlib.sha256(content).hexdigest()
    return measurements_apply(
        actor=actor,
        rows=rows,
        source=Measurement.Source.UPLOAD,
        sheet=sheet,
        label=_("文件导入：%(n)s（SHA-256 %(d)s）") % {"n": name, "d": digest[:16]},
        dry_run=dry_run,
    )


def measurements_pull(*, actor: User | None, source: MeasurementSource, dry_run: bool = False) -> dict[str, Any]:
    """Pull values from a source adapter (``indicators.adapters``) through the same checks as an upload."""
    if actor is not None:
        access.PULL_MEASUREMENTS.check_role(actor)
    try:
        rows = list(source.fetch())
    except SourceError as exc:
        return _report(errors=[issue(source.label, None, "", exc.message)])
    return measurements_apply(
        actor=actor,
        rows=rows,
        source=Measurement.Source.ADAPTER,
        sheet=source.label,
        label=source.label,
        dry_run=dry_run,
    )
