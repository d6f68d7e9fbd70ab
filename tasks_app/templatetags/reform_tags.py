from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def days_left(deadline: date | None, today: date) -> str:
    """「剩 3 天」, 「今天到期」, 「逾期 5 天」 or 「持续推进」."""
    if deadline is None:
        return _("持续推进")
    days = (deadline - today).days
    if days > 0:
        return ngettext("剩 %(n)d 天", "剩 %(n)d 天", days) % {"n": days}
    if days == 0:
        return _("今天到期")
    return ngettext("逾期 %(n)d 天", "逾期 %(n)d 天", -days) % {"n": -days}


@register.filter
def deadline_class(task: Any, today: date) -> str:
    """A CSS class for the deadline: overdue (open and past), soon (within 3 days) or plain."""
    deadline = getattr(task, "deadline", None)
    if deadline is None or getattr(task, "is_final", False):
        return "due-none"
    days = (deadline - today).days
    if days < 0:
        return "due-over"
    return "due-soon" if days <= 3 else "due-ok"


@register.filter
def num(value: Decimal | float | int | None) -> str:
    """A number without trailing zeros: 12.50 → 12.5, 3.0000 → 3."""
    if value is None:
        return "—"
    number = Decimal(str(value)).normalize()
    return format(number.quantize(Decimal(1)) if number == number.to_integral() else number, "f")


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.simple_tag
def reason_of(task: Any, reasons: Any = None, reason: Any = None) -> str:
    """The light's reason to show: ``reason`` if given, else the row's in ``reasons`` (redacted), else the task's."""
    if reason:
        return str(reason)
    if isinstance(reasons, dict) and task.pk in reasons:
        return str(reasons[task.pk])
    return str(task.rag_reason or "")


@register.simple_tag
def object_key(kind: str, obj: Any) -> str:
    return f"{kind}-{obj.pk}"


SPARK_W, SPARK_H, SPARK_PAD = 132, 36, 3


def _points(series: list[tuple[date, Decimal]], start: date, span_days: int, low: Decimal, span: Decimal) -> str:
    out = []
    for day, value in series:
        x = SPARK_PAD + (SPARK_W - 2 * SPARK_PAD) * ((day - start).days / span_days if span_days else 1)
        y = SPARK_H - SPARK_PAD - (SPARK_H - 2 * SPARK_PAD) * float((Decimal(value) - low) / span if span else 0.5)
        out.append(f"{x:.1f},{y:.1f}")
    return " ".join(out)


@register.simple_tag
def sparkline(history: list[tuple[date, Decimal]], plan: list[tuple[date, Decimal]], unit: str = "") -> SafeString:
    """An inline SVG trend: measured values (solid) over the planned trajectory (dashed), drawn server-side."""
    if not history:
        return format_html('<span class="muted">{}</span>', _("暂无数据"))
    start, end = history[0][0], history[-1][0]
    plan = [(d, v) for d, v in plan if start <= d <= end]
    values = [v for _d, v in history] + [v for _d, v in plan]
    low, high = min(values), max(values)
    span_days = (end - start).days
    actual = _points(history, start, span_days, low, high - low)
    planned = _points(plan, start, span_days, low, high - low) if len(plan) > 1 else ""
    last_x, last_y = actual.split(" ")[-1].split(",")
    label = _("近 %(n)d 期实际值：%(values)s") % {
        "n": len(history),
        "values": "、".join(f"{num(v)}{unit}" for _d, v in history),
    }
    parts = [
        format_html(
            '<svg class="spark" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
            "<title>{}</title>",
            SPARK_W,
            SPARK_H,
            SPARK_W,
            SPARK_H,
            label,
            label,
        )
    ]
    if planned:
        parts.append(format_html('<polyline class="spark-plan" points="{}"/>', planned))
    parts.append(format_html('<polyline class="spark-line" points="{}"/>', actual))
    parts.append(format_html('<circle class="spark-dot" cx="{}" cy="{}" r="2.6"/>', last_x, last_y))
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant closing tag
    return format_html_join("", "{}", ((p,) for p in parts))
