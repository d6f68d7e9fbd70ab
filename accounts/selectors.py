"""Reads for account management: the users and units an account manager may manage (one query each)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from orgs.models import OrgUnit
from reform.roles import Role

from .models import User


def managed_units(actor: User) -> QuerySet[OrgUnit]:
    """The office manages accounts of every unit; a unit admin those of its own unit subtree."""
    units = OrgUnit.objects.order_by("path")
    if actor.role == Role.OFFICE:
        return units
    if actor.role == Role.UNIT_ADMIN and actor.unit is not None:
        return units.filter(path__startswith=actor.unit.path)
    return units.none()


def managed_users(actor: User) -> QuerySet[User]:
    """Accounts the actor manages, with unit and role groups loaded (two queries whatever the count)."""
    users = User.objects.select_related("unit").prefetch_related(Prefetch("groups", queryset=Group.objects.all()))
    if actor.role == Role.UNIT_ADMIN and actor.unit is not None:
        users = users.filter(
            unit__path__startswith=actor.unit.path, groups__name__in=[Role.UNIT_ADMIN, Role.UNIT_HANDLER]
        )
    elif actor.role != Role.OFFICE:
        return users.none()
    return users.order_by("unit__path", "username")


def user_tokens(user: User) -> QuerySet[AuthToken]:
    """The user's own API tokens that are still valid, newest first (digest never shown; the key prefix is)."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
