"""Responsible units (责任单位) and their hierarchy: province → city → district → street → community."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnit(models.Model):
    """A responsible unit; ``path`` is a materialised path of ids so a subtree is one prefix query."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("区县")
        STREET = "street", _("街镇")
        COMMUNITY = "community", _("村社")
        DIVISION = "division", _("内设处室")  # a department's own division, below it in the tree

    name = models.CharField(_("单位名称"), max_length=100, unique=True)
    short_code = models.CharField(_("单位简码"), max_length=32, unique=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("深度"), default=0, editable=False)

    class Meta:
        # The table predates this app (the unit model lived in tasks_app): the name is kept.
        db_table = "tasks_app_orgunit"
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: OrgUnit | None) -> bool:
        """Return whether ``other`` is this unit or lies below it."""
        return other is not None and within(other.path, self.path)


def within(path: str, ancestor_path: str) -> bool:
    """Return whether the unit at ``path`` is the unit at ``ancestor_path`` or lies in its subtree."""
    return bool(ancestor_path) and path.startswith(ancestor_path)
