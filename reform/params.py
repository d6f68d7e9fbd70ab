"""One parser per kind of query-string parameter: ids, whole numbers, dates, choices, booleans.

Every page and API view reads its query string through these, so an odd value (``?unit=²``,
``?before=-1``, ``?start=0001-01-01``, a 30-digit id) is the same Chinese 400 everywhere —
``reform.errors.ValidationError`` naming the parameter — and never a 500. ``str.isdigit()`` is not a
test for a number: it is true for ``²`` and ``٣``, which ``int()`` refuses; these parsers accept ASCII
digits only.

Dates people type into a filter or a form are real dates of this programme: from 2000-01-01 to
2099-12-31 (``EARLIEST_DATE`` / ``LATEST_DATE``). A year-0001 date is never real here, and date
arithmetic near ``date.min`` overflows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from .errors import ValidationError

MAX_ID = 2**63 - 1
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
ASCII_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, fields={field: [message]})


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def parse_int(raw: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """A whole number written in ASCII digits, within [minimum, maximum]; ``None`` when blank."""
    text = _text(raw)
    if not text:
        return None
    if not ASCII_INTEGER.fullmatch(text):
        raise _invalid(field, _("参数“%(f)s”应为整数，收到“%(v)s”") % {"f": field, "v": text[:40]})
    value = int(text)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        low = "" if minimum is None else str(minimum)
        high = "" if maximum is None else str(maximum)
        raise _invalid(
            field,
            _("参数“%(f)s”应在 %(lo)s 到 %(hi)s 之间，收到“%(v)s”") % {"f": field, "lo": low, "hi": high, "v": text},
        )
    return value


def parse_id(raw: Any, field: str) -> int | None:
    """An object id (1 … 2⁶³−1); ``None`` when blank; 400 for anything else."""
    text = _text(raw)
    if text and not (text.isascii() and text.isdigit()):
        raise _invalid(field, _("参数“%(f)s”应为对象编号（正整数），收到“%(v)s”") % {"f": field, "v": text[:40]})
    return parse_int(text, field, minimum=1, maximum=MAX_ID)


def clamp_int(raw: Any, *, default: int, minimum: int, maximum: int) -> int:
    """A lenient whole number for display settings (``?refresh=``): anything unreadable is ``default``."""
    text = _text(raw)
    if not ASCII_INTEGER.fullmatch(text):
        return default
    return max(minimum, min(maximum, int(text)))


def check_date(day: date, field: str, *, label: str = "") -> date:
    """``day`` when it lies between ``EARLIEST_DATE`` and ``LATEST_DATE``, else a 400 naming the field."""
    if isinstance(day, datetime):
        day = day.date()
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        message = _("%(f)s应在 %(lo)s 到 %(hi)s 之间，收到 %(v)s") % {
            "f": label or field,
            "lo": EARLIEST_DATE.isoformat(),
            "hi": LATEST_DATE.isoformat(),
            "v": day.isoformat(),
        }
        raise _invalid(field, message)
    return day


def parse_date(raw: Any, field: str) -> date | None:
    """A date written ``YYYY-MM-DD`` between 2000-01-01 and 2099-12-31; ``None`` when blank."""
    if isinstance(raw, date):
        return check_date(raw, field)
    text = _text(raw)
    if not text:
        return None
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        message = _("参数“%(f)s”应为日期（YYYY-MM-DD），收到“%(v)s”") % {"f": field, "v": text[:40]}
        raise _invalid(field, message) from exc
    return check_date(day, field)


def parse_choice(raw: Any, field: str, choices: Iterable[str] | Mapping[str, Any]) -> str:
    """One of ``choices``; ``""`` when blank."""
    text = _text(raw)
    allowed = list(choices)
    if text and text not in allowed:
        message = _("参数“%(f)s”的取值无效：“%(v)s”，应为 %(c)s") % {
            "f": field,
            "v": text[:40],
            "c": "、".join(str(c) for c in allowed),
        }
        raise _invalid(field, message)
    return text


def parse_bool(raw: Any, field: str) -> bool:
    """A query-string or form boolean: true/false/1/0 (case-insensitive, blank is false), else 400."""
    if isinstance(raw, bool):
        return raw
    text = _text(raw).lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0", ""):
        return False
    raise ValidationError(_("“%(f)s”应为 true 或 false") % {"f": field}, fields={field: [_("应为 true 或 false")]})


class PlausibleDateField(serializers.DateField):
    """A DRF date between 2000-01-01 and 2099-12-31; anything else is the API's Chinese 400."""

    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        try:
            return check_date(day, self.field_name or "date", label=str(self.label or ""))
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message) from exc
