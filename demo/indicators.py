"""Demo history for indicators: twelve months of linear trajectory and measured values per indicator.

``build_indicator_history(today)`` runs through the services as the system (``actor=None``), so the
trace and the lights are real. It is idempotent: a second run with the same ``today`` stores nothing
and adds no trace entry (the services skip writes that change nothing).

Every indicator follows one of four patterns, by its position in task-list order, with the deviation
growing month by month to its full size in the latest month: ahead of the line (+8 points of
achievement), on it (+1), a little behind (−15: a yellow light) and far behind (−27: a red light).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from indicators.achievement import linear_expected
from indicators.models import Indicator, Measurement
from indicators.services import linear_trajectory, measurements_apply, trajectory_set
from indicators.tabular import MeasurementRow
from reform.periods import Period, period_of

HISTORY_MONTHS = 12
PATTERNS = (Decimal("0.08"), Decimal("0.01"), Decimal("-0.15"), Decimal("-0.27"))
CENT = Decimal("0.01")


def history_months(today: date, count: int = HISTORY_MONTHS) -> list[Period]:
    """Return the ``count`` months that ended before ``today``, oldest first."""
    months = [period_of(today, "month").previous()]
    while len(months) < count:
        months.append(months[-1].previous())
    return list(reversed(months))


def _line(indicator: Indicator, months: list[Period]) -> Indicator:
    """The indicator's own baseline→target line, or one across the history when its dates are missing."""
    if indicator.baseline_date and indicator.target_date and indicator.target_date > indicator.baseline_date:
        return indicator
    return Indicator(
        baseline_value=indicator.baseline_value,
        baseline_date=indicator.baseline_date or months[0].start - timedelta(days=1),
        target_value=indicator.target_value,
        target_date=indicator.target_date or months[-1].end + timedelta(days=61),
    )


def _is_share(indicator: Indicator) -> bool:
    """A percentage that cannot leave 0–100 (一网通办率, 掌上可办事项比例)."""
    bounded = all(0 <= v <= 100 for v in (indicator.baseline_value, indicator.target_value))
    return bounded and (indicator.unit in ("%", "％") or indicator.name.endswith(("率", "比例")))


def demo_value(indicator: Indicator, line: Indicator, month: Period, step: int, pattern: Decimal) -> Decimal:
    """The value for ``month`` (the ``step``-th of the history, from 1): the line plus a growing deviation."""
    expected = linear_expected(line, month.end)
    assert expected is not None  # _line always has usable dates
    span = indicator.target_value - indicator.baseline_value
    value = expected + span * pattern * Decimal(step) / Decimal(HISTORY_MONTHS)
    if _is_share(indicator):
        value = min(Decimal(100), max(Decimal(0), value))
    return value.quantize(CENT)


def build_indicator_history(today: date) -> dict[str, Any]:
    """Give every indicator a linear trajectory and twelve months of values ending before ``today``."""
    months = history_months(today)
    indicators = list(Indicator.objects.select_related("task").order_by("task__sort_key", "pk"))
    changed_points = 0
    rows: list[MeasurementRow] = []
    for position, indicator in enumerate(indicators):
        line = _line(indicator, months)
        points: dict[date, Decimal] = {}
        if line is indicator:
            points.update(linear_trajectory(indicator))  # the whole plan, as trajectory_generate stores it
        for month in months:
            end = period_of(month.end, indicator.period_kind).end
            points.setdefault(end, Decimal(linear_expected(line, month.end)).quantize(Decimal("0.0001")))  # type: ignore[arg-type]
        changed_points += trajectory_set(actor=None, indicator=indicator, points=points, replace=True, mode="linear")
        pattern = PATTERNS[position % len(PATTERNS)]
        rows += [
            MeasurementRow(
                task_code=indicator.task.code,
                indicator_name=indicator.name,
                period=month.end,
                value=demo_value(indicator, line, month, step, pattern),
                row=len(rows) + step,
            )
            for step, month in enumerate(months, start=1)
        ]
    report = measurements_apply(
        actor=None,
        rows=rows,
        source=Measurement.Source.UPLOAD,
        sheet="演示指标历史",
        label="指标历史数据补录（演示）",
    )
    if report["errors"]:
        raise RuntimeError(f"demo indicator history rejected: {report['errors'][:3]}")
    return {
        "indicators": len(indicators),
        "trajectory_points_changed": changed_points,
        "created": report["created"],
        "updated": report["updated"],
        "unchanged": report["unchanged"],
    }
