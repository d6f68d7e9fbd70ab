from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from reform.roles import Role


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
        return str(Role(self.role).label) if self.role else ""
