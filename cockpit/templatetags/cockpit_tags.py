"""Number formats for the cockpit: thousands separators and rates as Chinese reports print them."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """``100000`` → ``100,000``; empty → ``—``."""
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def pct(value: Any) -> str:
    """``91.94`` → ``91.9%``; no denominator → ``—``."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.1f}%"


@register.filter
def get(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
