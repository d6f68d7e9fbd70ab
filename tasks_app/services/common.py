"""Input checks every task service shares: text, numbers, and field errors reported together."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from reform.errors import ValidationError


def to_decimal(value: Any, field: str, label: str) -> Decimal:
    """A finite number, or a ValidationError naming the field."""
    try:
        result = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(_("%(label)s必须是数字") % {"label": label}, fields={field: [_("必须是数字")]}) from exc
    if not result.is_finite():
        raise ValidationError(_("%(label)s必须是数字") % {"label": label}, fields={field: [_("必须是数字")]})
    return result


def raise_if(errors: dict[str, list[str]]) -> None:
    """Raise one ValidationError carrying every field's problems (nothing is saved)."""
    if errors:
        message = "；".join(m for msgs in errors.values() for m in msgs)
        raise ValidationError(message, fields=errors)


def require_text(value: str | None, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("请填写%(label)s") % {"label": label}, fields={field: [_("必填")]})
    return text
