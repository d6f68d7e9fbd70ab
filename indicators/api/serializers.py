"""Shapes of the indicator API (the indicator itself is described by ``tasks_app.api.serializers``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from reform.params import MAX_ID, PlausibleDateField
from tasks_app.api.serializers import ImportIssueSerializer, IndicatorSerializer, MeasurementSerializer

__all__ = ["IndicatorSerializer", "MeasurementSerializer"]


class MeasurementInputSerializer(serializers.Serializer):
    period_end = PlausibleDateField(help_text=_("统计期间内的任一日期（按指标的统计周期：月或旬）"))
    value = serializers.DecimalField(max_digits=18, decimal_places=4, coerce_to_string=False)
    evidence = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    attachment = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("佐证附件 id（须属于同一任务）"),
    )


class MeasurementImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV 或 .xlsx：任务编号、指标名称、期间、数值[、佐证材料]"))
    dry_run = serializers.BooleanField(default=False, help_text=_("只检查，不保存"))


class MeasurementImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = ImportIssueSerializer(many=True)  # type: ignore[assignment]  # the JSON key shadows Serializer.errors
    warnings = ImportIssueSerializer(many=True)


class MeasurementImportFailedSerializer(serializers.Serializer):
    """The error shape; with ``report`` when the file was read and has errors (nothing was saved)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]
    report = MeasurementImportReportSerializer(required=False, help_text=_("逐行的错误报告（文件已读取时）"))
