"""Single cell values: reading dates, numbers, lists, dimensions and criteria (pure), and writing them back."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from reform.params import EARLIEST_DATE, LATEST_DATE
from reform.text import clean_text

from .schema import BLANK_MARKS, DIMENSIONS, NO_DEADLINE_WORDS

LIST_SPLIT = re.compile(r"[、，,;；\n\r]+")
DIMENSION_SPLIT = re.compile(r"[、，,;；+＋/和及\s]+")
LINE_SPLIT = re.compile(r"[\n\r]+")
CRITERIA_SPLIT = re.compile(r"[\n\r;；]+")
CRITERION_WEIGHT = re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?:权重\s*[:：]?\s*)?(?P<w>\d+(?:\.\d+)?)\s*%?\s*[)）]$")
DATE_YMD = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
DATE_YM = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
DATE_CN_YMD = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$")
DATE_CN_YM = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月(?:份)?(?:底|末)?$")
DATE_CN_Y = re.compile(r"^(\d{4})\s*年(?:度)?(?:底|末)?$")
DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DEADLINE_SUFFIX = re.compile(r"(?:之前|以前|前)$")
NUMBER_PREFIX = re.compile(r"^(?:≥|≤|>=|<=|>|<|≧|≦|约|不低于|不高于|不少于|不多于|不超过|达到|超过|低于|高于|~)\s*")
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
DATE_HINT = "2026-12-31、2026/12/31、2026年12月31日、2026年12月、2026年底 或 持续推进"


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as is."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))  # no bidi or other invisible controls in what is imported


def _normalise(text: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms (“２０２６／１２” → “2026/12”)."""
    return unicodedata.normalize("NFKC", text).strip()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(value: Any, *, deadline: bool = False) -> date | None:
    """A date as people write it (see ``_parse_date``), between 2000-01-01 and 2099-12-31."""
    day = _parse_date(value, deadline=deadline)
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(
            _("日期“%(v)s”不在 %(lo)s 到 %(hi)s 之间")
            % {"v": day.isoformat(), "lo": EARLIEST_DATE.isoformat(), "hi": LATEST_DATE.isoformat()}
        )
    return day


def _parse_date(value: Any, *, deadline: bool = False) -> date | None:
    """Read a date as spreadsheets hold it; blank and “持续推进”/“长期” mean none (an ongoing task).

    ``2021年12月`` is the month's last day; ``2021年``, ``2021年底`` and ``2021年末`` are 31 December.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(_("无法识别的日期“%(v)s”") % {"v": value})
    if isinstance(value, (int, float)):
        if 20000 <= value <= 80000:  # an Excel serial date whose cell lost its date format
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()
        value = _text(value)
    text = _normalise(str(value))
    if not text or text in BLANK_MARKS or any(text.startswith(word) for word in NO_DEADLINE_WORDS):
        return None
    if deadline:
        text = DEADLINE_SUFFIX.sub("", text).strip()
    try:
        if m := DATE_YMD.match(text) or DATE_CN_YMD.match(text) or DATE_DIGITS.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := DATE_CN_YM.match(text) or DATE_YM.match(text):
            return _month_end(int(m[1]), int(m[2]))
        if m := DATE_CN_Y.match(text):
            return date(int(m[1]), 12, 31)
    except ValueError as exc:
        raise CellError(_("日期“%(v)s”不存在") % {"v": value}) from exc
    raise CellError(_("无法识别的日期“%(v)s”，应为 %(hint)s") % {"v": value, "hint": DATE_HINT})


def parse_number(value: Any, *, percent_format: bool = False) -> tuple[Decimal | None, str]:
    """Read a number; return it and the unit it carried (“≥85%” → 85 and “%”). Blank is ``None``."""
    if value is None:
        return None, ""
    if isinstance(value, bool):
        raise CellError(_("“%(v)s”不是数字") % {"v": value})
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        if not number.is_finite():
            raise CellError(_("“%(v)s”不是数字") % {"v": value})
        if percent_format:  # a cell typed as “85%” holds 0.85 with a percent format
            return (number * 100).normalize(), "%"
        return number, ""
    text = _normalise(str(value))
    if not text or text in BLANK_MARKS:
        return None, ""
    unit = ""
    body = NUMBER_PREFIX.sub("", text).replace(",", "").strip()
    if body.endswith("%"):
        unit, body = "%", body[:-1].strip()
    if not NUMBER.match(body):
        raise CellError(_("“%(v)s”不是数字") % {"v": value})
    return Decimal(body), unit


def split_list(value: Any) -> list[str]:
    """Split a cell listing several names (、 ， , ; or a new line), dropping blanks and repeats."""
    seen: dict[str, None] = {}
    for part in LIST_SPLIT.split(_text(value)):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def parse_dimensions(value: Any) -> tuple[bool, bool]:
    """“治理”, “服务”, or both joined by 、 or +; return (governance, service)."""
    flags = {"is_governance": False, "is_service": False}
    for part in DIMENSION_SPLIT.split(_normalise(_text(value))):
        token = part.strip().removesuffix("维度")
        if not token:
            continue
        if token not in DIMENSIONS:
            raise CellError(_("未知的维度“%(v)s”，应为：治理、服务，或“治理、服务”") % {"v": part})
        flags[DIMENSIONS[token]] = True
    return flags["is_governance"], flags["is_service"]


def parse_criteria(value: Any) -> list[tuple[str, Decimal]]:
    """One criterion a line (or ；-separated), with an optional weight: “按期完成率（40%）” → weight 40."""
    criteria = []
    for part in CRITERIA_SPLIT.split(_text(value)):
        part = part.strip()
        if not part:
            continue
        m = CRITERION_WEIGHT.match(part)
        if m and Decimal(m["w"]) > 0:
            criteria.append((m["name"].strip(), Decimal(m["w"])))
        else:
            criteria.append((part, Decimal(1)))
    return criteria


def format_criterion(name: str, weight: Decimal) -> str:
    """The cell text ``parse_criteria`` reads back: the weight in brackets unless it is 1."""
    return name if weight == 1 else f"{name}（{format(weight.normalize(), 'f')}%）"


def _cell_number(number: Decimal | None) -> int | float | None:
    if number is None:
        return None
    normal = number.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


__all__ = [
    "parse_criteria",
    "parse_date",
    "parse_dimensions",
    "parse_number",
    "split_list",
]
