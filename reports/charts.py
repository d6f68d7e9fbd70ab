"""Small SVG charts for the PDF reports (no browser): horizontal bars, stacked bars and a donut.

Each helper returns SVG markup sized in points, with Chinese labels in Noto Sans CJK SC, ready to
embed in a template (``{{ chart|safe }}``); WeasyPrint lays it out like any other inline box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans CJK SC"
RED = "#c8102e"
YELLOW = "#e8a317"
GREEN = "#2e8b57"
GREY = "#a7adb4"
BLUE = "#1f5fa8"
INK = "#222222"
MUTED = "#666666"
RULE = "#d5d8dc"

LIGHT_SERIES = (("红灯", RED, "red"), ("黄灯", YELLOW, "yellow"), ("绿灯", GREEN, "green"), ("已办结", GREY, "closed"))


def text_width(text: str, size: float) -> float:
    """Approximate rendered width: CJK characters are square, Latin digits about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.56 for ch in text)


def _fit(text: str, size: float, width: float) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _svg(width: float, height: float, body: list[str], title: str = "") -> SafeString:
    label = f' aria-label="{escape(title)}"' if title else ""
    return mark_safe(  # noqa: S308 - every text node below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width:.0f}pt" height="{height:.0f}pt" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="{FONT}"{label}>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, *, size: float = 8, anchor: str = "start", fill: str = INK, bold=False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{weight}>'
        f"{escape(text)}</text>"
    )


def _legend(entries: Sequence[tuple[str, str]], x: float, y: float, size: float = 7.5) -> list[str]:
    parts = []
    for label, color in entries:
        parts.append(f'<rect x="{x:.1f}" y="{y - size + 1:.1f}" width="{size}" height="{size}" fill="{color}"/>')
        parts.append(_text(x + size + 3, y, label, size=size, fill=MUTED))
        x += size + 3 + text_width(label, size) + 12
    return parts


def stacked_bars(
    rows: Sequence[dict[str, object]],
    *,
    series: Sequence[tuple[str, str, str]] = LIGHT_SERIES,
    label_key: str = "name",
    width: float = 460,
    bar: float = 12,
    gap: float = 6,
    title: str = "",
) -> SafeString:
    """One horizontal bar per row, split into ``series`` (label, colour, key); the total printed at the end."""
    size = 8
    label_w = min(150.0, max((text_width(str(r[label_key]), size) for r in rows), default=40) + 8)
    total_w = 34
    plot_w = width - label_w - total_w
    top = 18
    height = top + len(rows) * (bar + gap) + 4
    biggest = max((sum(float(r[k] or 0) for _l, _c, k in series) for r in rows), default=0) or 1  # type: ignore[arg-type]
    body = _legend([(label, color) for label, color, _k in series], label_w, 9)
    for i, row in enumerate(rows):
        y = top + i * (bar + gap)
        body.append(_text(label_w - 6, y + bar - 2.5, _fit(str(row[label_key]), size, label_w - 8), anchor="end"))
        x = label_w
        total = 0.0
        for _label, color, key in series:
            value = float(row[key] or 0)  # type: ignore[arg-type]
            total += value
            w = plot_w * value / biggest
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar}" fill="{color}"/>')
                if w >= 14:
                    body.append(_text(x + w / 2, y + bar - 3, f"{value:g}", size=6.5, anchor="middle", fill="#fff"))
            x += w
        body.append(_text(x + 4, y + bar - 2.5, f"{total:g}", size=7, fill=MUTED))
    return _svg(width, height, body, title)


def bars(
    rows: Sequence[dict[str, object]],
    *,
    value_key: str,
    label_key: str = "name",
    width: float = 460,
    maximum: float | None = 100,
    suffix: str = "%",
    color: str = BLUE,
    bar: float = 11,
    gap: float = 6,
    marks: Sequence[float] = (),
    title: str = "",
) -> SafeString:
    """Horizontal bars for one value per row (e.g. a rate in %), with optional reference lines."""
    size = 8
    label_w = min(150.0, max((text_width(str(r[label_key]), size) for r in rows), default=40) + 8)
    value_w = 40
    plot_w = width - label_w - value_w
    top = 6
    height = top + len(rows) * (bar + gap) + 14
    values = [float(r[value_key]) if r[value_key] is not None else None for r in rows]  # type: ignore[arg-type]
    top_value = maximum or max((v for v in values if v is not None), default=1) or 1
    body = []
    plot_bottom = top + len(rows) * (bar + gap)
    for mark in marks:
        x = label_w + plot_w * mark / top_value
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 2}" x2="{x:.1f}" y2="{plot_bottom:.1f}" stroke="{MUTED}" '
            f'stroke-width="0.6" stroke-dasharray="2,2"/>'
        )
        body.append(_text(x, plot_bottom + 9, f"{mark:g}{suffix}", size=6.5, anchor="middle", fill=MUTED))
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        y = top + i * (bar + gap)
        body.append(_text(label_w - 6, y + bar - 2.5, _fit(str(row[label_key]), size, label_w - 8), anchor="end"))
        body.append(f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{plot_w:.1f}" height="{bar}" fill="#f1f2f4"/>')
        if value is None:
            body.append(_text(label_w + 4, y + bar - 2.5, "无数据", size=7, fill=MUTED))
            continue
        w = plot_w * min(value, top_value) / top_value
        body.append(f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar}" fill="{color}"/>')
        body.append(_text(label_w + plot_w + 4, y + bar - 2.5, f"{value:g}{suffix}", size=7.5))
    return _svg(width, height, body, title)


def donut(
    segments: Sequence[tuple[str, float, str]],
    *,
    center: str = "",
    caption: str = "",
    size: float = 130,
    legend_width: float = 110,
    title: str = "",
) -> SafeString:
    """A donut of (label, value, colour) segments with a centre figure and a legend with counts and shares."""
    total = sum(v for _l, v, _c in segments)
    r_outer, r_inner = size / 2 - 4, size / 2 - 24
    cx = cy = size / 2
    body: list[str] = []
    if total <= 0:
        body.append(
            f'<circle cx="{cx}" cy="{cy}" r="{(r_outer + r_inner) / 2}" fill="none" stroke="{RULE}" '
            f'stroke-width="{r_outer - r_inner}"/>'
        )
    else:
        angle = -math.pi / 2
        for _label, value, color in segments:
            if value <= 0:
                continue
            sweep = 2 * math.pi * value / total
            if sweep >= 2 * math.pi - 1e-6:
                body.append(
                    f'<circle cx="{cx}" cy="{cy}" r="{(r_outer + r_inner) / 2:.2f}" fill="none" stroke="{color}" '
                    f'stroke-width="{r_outer - r_inner:.2f}"/>'
                )
                break
            end = angle + sweep
            large = 1 if sweep > math.pi else 0
            p = [
                (cx + r_outer * math.cos(angle), cy + r_outer * math.sin(angle)),
                (cx + r_outer * math.cos(end), cy + r_outer * math.sin(end)),
                (cx + r_inner * math.cos(end), cy + r_inner * math.sin(end)),
                (cx + r_inner * math.cos(angle), cy + r_inner * math.sin(angle)),
            ]
            body.append(
                f'<path d="M{p[0][0]:.2f},{p[0][1]:.2f} A{r_outer:.2f},{r_outer:.2f} 0 {large} 1 {p[1][0]:.2f},'
                f"{p[1][1]:.2f} L{p[2][0]:.2f},{p[2][1]:.2f} A{r_inner:.2f},{r_inner:.2f} 0 {large} 0 "
                f'{p[3][0]:.2f},{p[3][1]:.2f} Z" fill="{color}" stroke="#fff" stroke-width="0.8"/>'
            )
            angle = end
    if center:
        body.append(_text(cx, cy + 3, center, size=15, anchor="middle", bold=True))
    if caption:
        body.append(_text(cx, cy + 15, caption, size=7, anchor="middle", fill=MUTED))
    y = cy - len(segments) * 8 + 8
    for label, value, color in segments:
        share = f"{value * 100 / total:.1f}%" if total else "—"
        body.append(f'<rect x="{size + 8}" y="{y - 7}" width="8" height="8" fill="{color}"/>')
        body.append(_text(size + 20, y, f"{label} {value:g} 项（{share}）", size=8))
        y += 16
    return _svg(size + legend_width, size, body, title)


def line_chart(
    points: Sequence[tuple[str, float | None, float | None]],
    *,
    width: float = 440,
    height: float = 120,
    unit: str = "",
    title: str = "",
) -> SafeString:
    """Actual values (solid, blue) against the planned trajectory (dashed, grey) per period."""
    left, right, top, bottom = 34.0, 10.0, 16.0, 20.0
    values = [v for _l, a, p in points for v in (a, p) if v is not None]
    if not points or not values:
        return _svg(width, 20, [_text(0, 12, "无数据", size=8, fill=MUTED)], title)
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    pad = (high - low) * 0.1
    low, high = low - pad, high + pad
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - (v - low) / (high - low))

    body = _legend([("实际值", BLUE), ("目标轨迹", GREY)], left, 9)
    for frac in (0, 0.5, 1):
        value = low + (high - low) * frac
        y = top + plot_h * (1 - frac)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{RULE}" stroke-width="0.5"/>'
        )
        body.append(_text(left - 3, y + 2.5, f"{value:.4g}{unit}", size=6.5, anchor="end", fill=MUTED))
    for key, color, dash in ((2, GREY, ' stroke-dasharray="3,2"'), (1, BLUE, "")):
        coords = [xy(i, p[key]) for i, p in enumerate(points) if p[key] is not None]  # type: ignore[arg-type]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.4"{dash}/>')
        for x, y in coords:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="{color}"/>')
    every = max(1, len(points) // 8)
    for i, (label, _a, _p) in enumerate(points):
        if i % every == 0 or i == len(points) - 1:
            body.append(_text(left + i * step, height - 6, label, size=6.5, anchor="middle", fill=MUTED))
    return _svg(width, height, body, title)
