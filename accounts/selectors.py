"""Reads for account management: the users and units an account manager may manage (one query each)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from orgs.models import OrgUnit
from reform.roles import Role

from .models import User


def managed_units(actor: User) -> QuerySet[OrgUnit]:
    """The city office manages accounts of every unit; a district office those of its district's subtree,
    a unit admin those of its own unit subtree."""
    units = OrgUnit.objects.order_by("path")
    if actor.role == Role.OFFICE and actor.governs_all:
        return units
    jurisdiction = actor.jurisdiction
    if actor.role in (Role.OFFICE, Role.UNIT_ADMIN) and jurisdiction is not None:
        return units.filter(path__startswith=jurisdiction.path)
    return units.none()


def managed_users(actor: User) -> QuerySet[User]:
    """Accounts the actor manages, with unit and role groups loaded (two queries whatever the count)."""
    users = User.objects.select_related("unit", "scope").prefetch_related(
        Prefetch("groups", queryset=Group.objects.all())
    )
    jurisdiction = actor.jurisdiction
    if actor.role == Role.UNIT_ADMIN and jurisdiction is not None:
        users = users.filter(
            unit__path__startswith=jurisdiction.path, groups__name__in=[Role.UNIT_ADMIN, Role.UNIT_HANDLER]
        )
    elif actor.role == Role.OFFICE and not actor.governs_all and jurisdiction is not None:
        # A district office: the unit accounts of its subtree and the accounts scoped within it.
        users = users.filter(
            Q(unit__path__startswith=jurisdiction.path, groups__name__in=[Role.UNIT_ADMIN, Role.UNIT_HANDLER])
            | Q(scope__path__startswith=jurisdiction.path)
        ).distinct()
    elif not (actor.role == Role.OFFICE and actor.governs_all):
        return users.none()
    return users.order_by("unit__path", "username")


def user_tokens(user: User) -> QuerySet[AuthToken]:
    """The user's own API tokens that are still valid, newest first (digest never shown; the key prefix is)."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
