"""The one check for a number that is stored as a measurement or an indicator value.

Every path that stores such a value (the web form, the ten-day report, the API, file imports, the
task-list import of indicators, trajectories) calls :func:`indicator_number`. A value passes when it
is a finite number, fits the column (``max_digits=18, decimal_places=4``: at most 14 digits before
the point, rounded to 4 after it) with room to spare, and lies in the sane range of its unit of
measure (a percentage within ±1000, a count or a duration not negative). Anything else is a
``ValidationError`` whose Chinese message names the field.

Why a margin below the column's 14 digits: SQLite (the demo) keeps a decimal as a 64-bit float and
Django reads it back with 15 significant digits, so ``99999999999999.98`` is stored, comes back as
``1E+14`` and no longer fits the column: every page that reads it fails. Twelve digits before the
point read back exactly enough (a trillion of any unit is beyond any indicator this system tracks).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .errors import ValidationError

DECIMAL_PLACES = 4
QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
# Inclusive bound of what may be stored: |value| < 10^12.
VALUE_LIMIT = Decimal(10) ** 12
# What the column can still read back on SQLite (15 significant digits, 18 in all): values at or past
# this are hidden from reads (``indicators.models.ReadableMeasurements``) and reported by the
# ``check_stored_values`` command.
READABLE_LIMIT = Decimal(10) ** 14 - 1
PERCENT_UNITS = frozenset({"%", "％", "百分比", "个百分点"})
PERCENT_LIMIT = Decimal(1000)
# Units of measure that count or time something: a negative value cannot be real.
NON_NEGATIVE_UNITS = frozenset(
    {"个", "项", "次", "万次", "件", "家", "户", "人", "人次", "万人", "万人次", "天", "个工作日", "工作日"}
    | {"小时", "分钟", "秒", "个月", "年", "台", "套", "条", "座", "所", "张", "份", "篇", "PB", "TB", "PFlops"}
)


def _display(raw: Any) -> str:
    text = str(raw).strip()
    return text if len(text) <= 40 else text[:37] + "…"


def to_number(raw: Any) -> Decimal | None:
    """``Decimal`` of ``raw`` (int, float, Decimal or text), or ``None`` when it is not a finite number."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw).strip()) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def number_problem(number: Decimal, *, unit: str = "") -> str:
    """Why ``number`` cannot be stored for an indicator measured in ``unit`` (empty when it can)."""
    if number.copy_abs() >= VALUE_LIMIT:  # copy_abs: no context, so 1e999999999 cannot overflow
        return _("超出允许范围（绝对值应小于 %(limit)s）") % {"limit": f"{VALUE_LIMIT:,.0f}"}
    unit = (unit or "").strip()
    if unit in PERCENT_UNITS and number.copy_abs() > PERCENT_LIMIT:
        return _("单位为“%(unit)s”的数值应在 -%(limit)s 到 %(limit)s 之间") % {"unit": unit, "limit": PERCENT_LIMIT}
    if unit in NON_NEGATIVE_UNITS and number < 0:
        return _("单位为“%(unit)s”的数值不能为负数") % {"unit": unit}
    return ""


def indicator_number(raw: Any, *, field: str, label: str, unit: str = "") -> Decimal:
    """The value to store (rounded to four decimal places); a ``ValidationError`` naming ``label`` otherwise."""
    number = raw if isinstance(raw, Decimal) and raw.is_finite() else to_number(raw)
    if number is None:
        message = _("%(label)s必须是数字") % {"label": label}
        raise ValidationError(message, fields={field: [message]})
    problem = number_problem(number, unit=unit)
    if problem:
        message = _("%(label)s%(problem)s（收到“%(v)s”）") % {"label": label, "problem": problem, "v": _display(raw)}
        raise ValidationError(message, fields={field: [message]})
    exponent = number.as_tuple().exponent
    return number.quantize(QUANTUM) if isinstance(exponent, int) and exponent < -DECIMAL_PLACES else number


def number_or_problem(raw: Any, *, label: str, unit: str = "") -> tuple[Decimal | None, str]:
    """For row-by-row imports: the value to store, or ``None`` and the Chinese reason."""
    try:
        return indicator_number(raw, field="value", label=label, unit=unit), ""
    except ValidationError as exc:
        return None, exc.message
