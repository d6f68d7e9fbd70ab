"""Reads of the unit tree: a subtree is one prefix query on the materialised path."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import OrgUnit


def unit_subtree(unit: OrgUnit) -> QuerySet[OrgUnit]:
    """The unit and every unit below it, in tree order."""
    return OrgUnit.objects.filter(path__startswith=unit.path).order_by("path")


def unit_by_id(unit_id: int) -> OrgUnit | None:
    return OrgUnit.objects.filter(pk=unit_id).first()
