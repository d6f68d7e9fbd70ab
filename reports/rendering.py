"""Render gathered report data to HTML (Django templates, SVG charts) and to PDF (WeasyPrint).

Nothing here queries the database: the input is the plain data from ``builders.gather``.
Fonts come from fontconfig (Debian ``fonts-noto-cjk``: Noto Serif/Sans CJK SC) and are embedded,
subset, in the PDF.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from . import charts

UNITS_IN_CHART = 15
# WeasyPrint logs every layout step at INFO; only its warnings matter here.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def add_charts(data: dict[str, Any]) -> None:
    """Draw the kind's charts from the gathered figures (pure Python, SVG markup)."""
    kind = data["kind"]
    made: dict[str, Any] = {}
    head = data.get("head")
    if head and kind in ("bulletin", "monthly"):
        made["donut"] = charts.donut(
            [
                ("红灯", head["red"], charts.RED),
                ("黄灯", head["yellow"], charts.YELLOW),
                ("绿灯", head["green"], charts.GREEN),
                ("已办结", head["closed"], charts.GREY),
            ],
            center=str(head["total"]),
            caption="事项总数",
            title="事项亮灯分布",
        )
    if data.get("domains"):
        made["domains"] = charts.stacked_bars(data["domains"], title="各领域亮灯")
        made["progress"] = charts.bars(data["domains"], value_key="progress", marks=(50,), title="各领域平均进度")
    if kind == "bulletin" and data.get("units"):
        worst = [u for u in data["units"] if u["red"] or u["overdue"] or u["yellow"]][:UNITS_IN_CHART]
        worst = worst or data["units"][:UNITS_IN_CHART]
        made["units"] = charts.stacked_bars(worst, series=charts.LIGHT_SERIES[:3], title="各单位亮灯")
        made["units_count"] = len(worst)
    punctuality = data.get("punctuality")
    if punctuality and punctuality.get("units"):
        made["punctuality"] = charts.bars(
            punctuality["units"][:UNITS_IN_CHART], value_key="rate", marks=(90,), title="旬报按时报送率"
        )
    if kind == "tenday":
        counts = data["counts"]
        made["donut"] = charts.donut(
            [
                ("按时报送", counts["on_time"], charts.GREEN),
                ("逾期补报", counts["late"], charts.YELLOW),
                ("未报送", counts["missing"], charts.RED),
            ],
            center=counts["rate"],
            caption="按时报送率",
            title="旬报报送情况",
        )
        if data.get("units"):
            made["units"] = charts.bars(data["units"][:UNITS_IN_CHART], value_key="rate", marks=(90,))
    if kind == "dossier":
        for ind in data["indicators"]:
            points = [(h["period"][2:7], _float(h["value"]), _float(h["plan"])) for h in ind["history"]]
            ind["chart"] = charts.line_chart(points, unit="", title=ind["name"]) if points else ""
    data["charts"] = made


def _float(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def render_html(data: dict[str, Any]) -> str:
    add_charts(data)
    return render_to_string(f"reports/pdf/{data['kind']}.html", data)


@lru_cache(maxsize=1)
def _stylesheet() -> Any:
    from weasyprint import CSS

    path = finders.find("reports/report.css")
    return CSS(filename=path)


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    timings: dict[str, float] = field(default_factory=dict)


def render_pdf(html: str) -> Rendered:
    """Lay the HTML out on A4 pages and write the PDF; time the two phases separately."""
    from weasyprint import HTML

    started = time.perf_counter()
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(stylesheets=[_stylesheet()])
    laid_out = time.perf_counter()
    pdf = document.write_pdf()
    written = time.perf_counter()
    return Rendered(
        pdf=pdf,
        pages=len(document.pages),
        timings={"layout": round(laid_out - started, 3), "write": round(written - laid_out, 3)},
    )
