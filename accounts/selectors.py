"""Reads for account management: the users and units an account manager may manage (one query each)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from reform.roles import Role

from .models import User

if TYPE_CHECKING:
    from orgs.models import OrgUnit


def managed_units(actor: User) -> QuerySet[OrgUnit]:
    """The office manages accounts of every unit; a unit admin those of its own unit subtree."""
    from orgs.models import OrgUnit

    units = OrgUnit.objects.order_by("path")
    if actor.role == Role.OFFICE:
        return units
    if actor.role == Role.UNIT_ADMIN and actor.unit is not None:
        return units.filter(path__startswith=actor.unit.path)
    return units.none()


def managed_users(actor: User) -> QuerySet[User]:
    """Accounts the actor manages, with unit and role groups loaded (two queries whatever the count)."""
    from django.contrib.auth.models import Group

    users = User.objects.select_related("unit").prefetch_related(Prefetch("groups", queryset=Group.objects.all()))
    if actor.role == Role.UNIT_ADMIN and actor.unit is not None:
        users = users.filter(
            unit__path__startswith=actor.unit.path, groups__name__in=[Role.UNIT_ADMIN, Role.UNIT_HANDLER]
        )
    elif actor.role != Role.OFFICE:
        return users.none()
    return users.order_by("unit__path", "username")
