"""Indicator event types: values measured, imported or pulled, and trajectories set."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trail.events import EventType

MEASURED = EventType("indicator.measure", _("填报指标"))
IMPORTED = EventType("indicator.import", _("导入指标数据"))
TRAJECTORY_SET = EventType("indicator.trajectory", _("设置指标轨迹"))
