"""Django admin for indicators (指标体系): the office edits targets and trajectories; measured values are read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from reform.admin_access import RoleAccess, RoleInline

from .models import Indicator, Measurement, TrajectoryPoint


class TrajectoryPointInline(RoleInline, admin.TabularInline):
    model = TrajectoryPoint
    fields = ("period_end", "expected_value")


@admin.register(Indicator)
class IndicatorAdmin(RoleAccess, admin.ModelAdmin):
    list_display = ("name", "task_code", "direction", "baseline_value", "target_value", "unit", "target_date")
    list_select_related = ("task",)
    list_filter = ("direction", "period_kind", "task__domain")
    search_fields = ("name", "^task__code", "task__title")
    autocomplete_fields = ("task",)
    ordering = ("task__sort_key", "id")
    inlines = (TrajectoryPointInline,)

    @admin.display(description=_("任务编号"), ordering="task__sort_key")
    def task_code(self, obj: Indicator) -> str:
        return obj.task.code


@admin.register(Measurement)
class MeasurementAdmin(RoleAccess, admin.ModelAdmin):
    """Measured values come from reports and imports (traced); the admin shows them only."""

    editable = False
    list_display = ("indicator", "task_code", "period_end", "value", "source", "reported_by", "reported_at")
    list_select_related = ("indicator__task", "reported_by")
    list_filter = ("source",)
    search_fields = ("indicator__name", "^indicator__task__code")
    ordering = ("-period_end", "indicator_id")

    @admin.display(description=_("任务编号"), ordering="indicator__task__sort_key")
    def task_code(self, obj: Measurement) -> str:
        return obj.indicator.task.code

    def has_delete_permission(self, request: HttpRequest, obj: Measurement | None = None) -> bool:
        return False
