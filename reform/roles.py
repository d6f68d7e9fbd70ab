"""The product's roles (角色): a vocabulary every app shares, and the role-level check of a use case.

A role says what a person may ever do (403 when never); which objects they may do it to is decided
by the access layer of the app that owns the objects (404 for what they may not see).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import PermissionDenied


class Role(models.TextChoices):
    """Roles are Django groups with these names; a user has exactly one."""

    LEADER = "leader", gettext_lazy("市领导")
    OFFICE = "office", gettext_lazy("督查室")
    UNIT_ADMIN = "unit_admin", gettext_lazy("单位管理员")
    UNIT_HANDLER = "unit_handler", gettext_lazy("单位经办人")
    AUDITOR = "auditor", gettext_lazy("审计员")


UNIT_ROLES = frozenset({Role.UNIT_ADMIN, Role.UNIT_HANDLER})


def has_role(user: Any, roles: Collection[str]) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in roles


def require_role(user: Any, roles: Collection[str], action: str) -> None:
    """Raise PermissionDenied (403) unless the user's role may ever perform ``action``."""
    if not has_role(user, roles):
        raise PermissionDenied(_("您的角色无权%(action)s") % {"action": action})
