"""The indicator API: a task's indicators, an indicator's measurements, recording and importing values."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from reform.api import ApiView, ErrorSerializer, responses, validated
from reform.errors import NotFound, ValidationError
from tasks_app import access
from tasks_app.access import access_task, visible_tasks
from tasks_app.models import Attachment
from tasks_app.selectors.api import task_indicators

from ..models import Indicator, Measurement
from ..services import measurement_record, measurements_import
from . import serializers as s

TASK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="任务 id")
INDICATOR_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="指标 id")


def visible_indicator(user: Any, pk: int) -> Indicator:
    indicator = (
        Indicator.objects.select_related("task").filter(pk=pk, task__in=visible_tasks(user).values("pk")).first()
    )
    if indicator is None:
        raise NotFound(_("指标不存在或无权访问"))
    return indicator


def measurements_of(indicator: Indicator) -> QuerySet[Measurement]:
    return Measurement.objects.filter(indicator=indicator).select_related("reported_by").order_by("-period_end")


class TaskIndicatorsView(ApiView):
    @extend_schema(
        operation_id="indicators_list",
        summary="任务的指标（含最近实测值与达成度）",
        parameters=[TASK_ID],
        responses=responses(s.IndicatorSerializer(many=True), 404),
        tags=["指标"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = access_task(request.user, pk)  # type: ignore[arg-type]
        return Response(task_indicators(task))


class MeasurementsView(ApiView):
    @extend_schema(
        operation_id="measurements_list",
        summary="指标的各期实测值（新的在前）",
        parameters=[INDICATOR_ID],
        responses=responses(s.MeasurementSerializer(many=True), 404),
        tags=["指标"],
    )
    def get(self, request: Request, pk: int) -> Response:
        indicator = visible_indicator(request.user, pk)
        return Response(s.MeasurementSerializer(measurements_of(indicator), many=True).data)

    @extend_schema(
        operation_id="measurements_record",
        summary="填报（或更正）一期实测值（督查室、牵头或配合单位）",
        description="同一指标同一期间只保留一个值：再次填报即更正，留痕记录新旧值；填报相同的值不产生变化。",
        parameters=[INDICATOR_ID],
        request=s.MeasurementInputSerializer,
        responses=responses(s.MeasurementSerializer, 400, 403, 404),
        tags=["指标"],
    )
    def post(self, request: Request, pk: int) -> Response:
        indicator = visible_indicator(request.user, pk)
        access.REPORT_INDICATOR.check_role(request.user)
        data = validated(s.MeasurementInputSerializer, request.data)
        attachment = None
        if data["attachment"] is not None:
            attachment = Attachment.objects.filter(pk=data["attachment"], task_id=indicator.task_id).first()
            if attachment is None:
                message = _("佐证附件不属于该任务")
                raise ValidationError(message, fields={"attachment": [message]})
        measurement = measurement_record(
            actor=request.user,  # type: ignore[arg-type]
            indicator=indicator,
            period_end=data["period_end"],
            value=data["value"],
            evidence=data["evidence"],
            attachment=attachment,
            source=Measurement.Source.API,
        )
        return Response(s.MeasurementSerializer(measurements_of(indicator).get(pk=measurement.pk)).data)


class MeasurementImportView(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="measurements_import",
        summary="批量导入指标实测值（CSV / .xlsx）",
        description="全部通过才保存；有任何错误则不保存，答复 400 及逐行的错误报告。dry_run=true 只检查不保存。",
        request={"multipart/form-data": s.MeasurementImportInputSerializer},
        responses={
            200: s.MeasurementImportReportSerializer,
            400: OpenApiResponse(s.MeasurementImportFailedSerializer, description="文件有错误，未保存任何数据"),
            401: OpenApiResponse(ErrorSerializer, description="未登录或令牌无效"),
            403: OpenApiResponse(ErrorSerializer, description="角色无权导入"),
        },
        tags=["指标"],
    )
    def post(self, request: Request) -> Response:
        access.IMPORT_MEASUREMENTS.check_role(request.user)
        data = validated(s.MeasurementImportInputSerializer, request.data)
        report = measurements_import(actor=request.user, file=data["file"], dry_run=data["dry_run"])  # type: ignore[arg-type]
        if report["errors"]:
            message = _("导入失败：发现 %(n)d 处错误，未保存任何数据") % {"n": len(report["errors"])}
            return Response({"code": "invalid", "message": message, "fields": {}, "report": report}, status=400)
        return Response(report)
