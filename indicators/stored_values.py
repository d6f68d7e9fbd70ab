"""Find indicator values already stored outside what may be stored (``reform.numbers``): a read, no writes.

Values are read as text (``CAST(… AS TEXT)``), never as decimals: on SQLite a value outside the
column cannot be read back as a decimal at all, which is what this looks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Model, Q
from django.db.models.functions import Cast

from reform.numbers import READABLE_LIMIT, VALUE_LIMIT

from .models import Indicator, Measurement, TrajectoryPoint


@dataclass(frozen=True)
class StoredValue:
    """One stored value that is out of range; ``unreadable`` when pages cannot even read it."""

    model: str
    pk: int
    field: str
    value: str
    indicator_id: int
    period_end: str
    unreadable: bool


COLUMNS: list[tuple[type[Model], str, str, str]] = [
    (Measurement, "value", "indicator_id", "period_end"),
    (TrajectoryPoint, "expected_value", "indicator_id", "period_end"),
    (Indicator, "baseline_value", "pk", ""),
    (Indicator, "target_value", "pk", ""),
]


def out_of_range_values() -> list[StoredValue]:
    """Every stored measurement, trajectory point, baseline or target with ``|value| ≥ VALUE_LIMIT``."""
    found: list[StoredValue] = []
    for model, field, indicator_field, period_field in COLUMNS:
        manager = Measurement.stored if model is Measurement else model._default_manager
        outside = ~Q(**{f"{field}__gt": -VALUE_LIMIT, f"{field}__lt": VALUE_LIMIT})
        unreadable = ~Q(**{f"{field}__gt": -READABLE_LIMIT, f"{field}__lt": READABLE_LIMIT})
        columns = ["pk", "text", indicator_field] + ([period_field] if period_field else [])
        rows = manager.filter(outside).annotate(text=Cast(field, CharField())).order_by("pk")
        unreadable_ids = set(manager.filter(unreadable).values_list("pk", flat=True))
        for row in rows.values(*columns):
            found.append(
                StoredValue(
                    model=model._meta.label,
                    pk=row["pk"],
                    field=field,
                    value=str(row["text"]),
                    indicator_id=row[indicator_field],
                    period_end=str(row.get(period_field, "") or ""),
                    unreadable=row["pk"] in unreadable_ids,
                )
            )
    return found


def limit_text() -> str:
    return f"{Decimal(VALUE_LIMIT):,.0f}"
