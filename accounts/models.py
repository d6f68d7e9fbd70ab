from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from reform.roles import UNIT_ROLES, Role

if TYPE_CHECKING:
    from orgs.models import OrgUnit

# Roles held over a unit subtree (``scope``); unit roles act for their own unit.
SCOPED_ROLES = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR})
SCOPED_LABELS = {Role.LEADER: _("领导"), Role.OFFICE: _("督查室"), Role.AUDITOR: _("审计员")}


class User(AbstractUser):
    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("所属单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    must_change_password = models.BooleanField(_("首次登录须修改密码"), default=False)
    scope = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("管辖范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("领导、督查室和审计员所管辖的单位（含下级单位）；为空表示全部（如市领导、市督查室）"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def role(self) -> str | None:
        """Return the user's role (the first role group it belongs to), cached per instance."""
        cached = self.__dict__.get("_role_cache", "")
        if cached != "":
            return cached
        names = {g.name for g in self.groups.all()}
        role = next((r.value for r in Role if r.value in names), None)
        self.__dict__["_role_cache"] = role
        return role

    @property
    def role_label(self) -> str:
        """The role as people say it: 市领导, 东城区领导, 东城区督查室, 单位经办人 …"""
        if not self.role:
            return ""
        if self.role in SCOPED_ROLES and self.scope is not None:
            return f"{self.scope.name}{SCOPED_LABELS[self.role]}"
        return str(Role(self.role).label)

    @property
    def governs_all(self) -> bool:
        """Whether the role covers every unit: superusers, and leaders, offices and auditors with no scope."""
        return bool(self.is_superuser) or (self.role in SCOPED_ROLES and self.scope_id is None)

    @property
    def jurisdiction(self) -> OrgUnit | None:
        """The unit subtree the account acts over: its scope (leaders, offices, auditors) or its unit (unit roles).

        None means every unit for ``governs_all`` accounts, and no unit for anyone else.
        """
        if self.role in SCOPED_ROLES:
            return self.scope
        if self.role in UNIT_ROLES:
            return self.unit
        return None
