"""Direction-aware achievement of an indicator: how far the value has moved from baseline to target.

``achievement = gain / span × 100`` where, for a higher-is-better indicator, gain = actual − baseline
and span = target − baseline; for a lower-is-better one, gain = baseline − actual and
span = baseline − target. So 0 means "still at the baseline", 100 means "target met".

- The result is a percentage clamped to [0, 120]: going backwards counts as 0, and over-achievement
  is capped at 120 so one runaway indicator cannot hide another in an average. A lower-is-better
  indicator that has gone below its target is met (100 or more).
- A zero range (target == baseline) or a target set on the wrong side of the baseline (span < 0)
  has no path to measure along: the indicator is met (100) when the actual value is at or better
  than the target in the indicator's direction, else 0.

``gap_vs_trajectory`` is the shortfall in percentage points of achievement: the achievement the
trajectory expects at a period minus the achievement actually reached (positive = behind).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .models import Indicator

CEILING = Decimal(120)
HUNDRED = Decimal(100)


def achievement(*, actual: Decimal, baseline: Decimal, target: Decimal, direction: str) -> Decimal:
    """Return the achievement percentage (0–120) of ``actual`` between ``baseline`` and ``target``."""
    actual, baseline, target = Decimal(actual), Decimal(baseline), Decimal(target)
    lower = direction == Indicator.Direction.LOWER
    gain = (baseline - actual) if lower else (actual - baseline)
    span = (baseline - target) if lower else (target - baseline)
    if span <= 0:
        met = actual <= target if lower else actual >= target
        return HUNDRED if met else Decimal(0)
    value = gain / span * HUNDRED
    return max(Decimal(0), min(CEILING, value))


def gap_vs_trajectory(
    *, actual: Decimal, expected: Decimal, baseline: Decimal, target: Decimal, direction: str
) -> Decimal:
    """Return how many points of achievement ``actual`` is behind the trajectory's ``expected`` value."""
    reached = achievement(actual=actual, baseline=baseline, target=target, direction=direction)
    planned = achievement(actual=expected, baseline=baseline, target=target, direction=direction)
    return planned - reached


def indicator_achievement(indicator: Indicator, actual: Decimal) -> Decimal:
    return achievement(
        actual=actual,
        baseline=indicator.baseline_value,
        target=indicator.target_value,
        direction=indicator.direction,
    )


def linear_expected(indicator: Indicator, period_end: date) -> Decimal | None:
    """Return the value on the straight line from baseline (at its date) to target (at its date) at ``period_end``.

    Before the baseline date the line stays at the baseline, after the target date at the target;
    ``None`` when the indicator has no usable dates.
    """
    start, end = indicator.baseline_date, indicator.target_date
    if start is None or end is None or end <= start:
        return None
    if period_end <= start:
        return indicator.baseline_value
    if period_end >= end:
        return indicator.target_value
    share = Decimal((period_end - start).days) / Decimal((end - start).days)
    return indicator.baseline_value + (indicator.target_value - indicator.baseline_value) * share
