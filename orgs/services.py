"""Writes of the unit tree: creating a unit computes its materialised path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from reform.errors import ValidationError
from reform.roles import Role, require_role

from .models import OrgUnit

if TYPE_CHECKING:
    from accounts.models import User

UNIT_MANAGERS = frozenset({Role.OFFICE})


def orgunit_create(
    *, actor: User | None, name: str, short_code: str, level: str, parent: OrgUnit | None = None
) -> OrgUnit:
    """Create a unit under ``parent``; its materialised path is the parent's plus its own id."""
    if actor is not None:
        require_role(actor, UNIT_MANAGERS, _("管理单位"))
    name = name.strip()
    if not name:
        raise ValidationError(_("单位名称不能为空"), fields={"name": [_("必填")]})
    if level not in OrgUnit.Level.values:
        raise ValidationError(_("未知的单位层级：%(level)s") % {"level": level}, fields={"level": [_("无效")]})
    with transaction.atomic():
        if OrgUnit.objects.filter(name=name).exists():
            raise ValidationError(_("单位“%(name)s”已存在") % {"name": name}, fields={"name": [_("重复")]})
        unit = OrgUnit.objects.create(
            name=name,
            short_code=short_code,
            level=level,
            parent=parent,
            path=f"tmp-{short_code}",
            depth=(parent.depth + 1) if parent else 0,
        )
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.save(update_fields=["path"])
    return unit
