"""The task API's reads, the ranking, the notifications and the task-list import/export.

The actions (workflow transitions and supervision) are answered by one dispatcher over the action
registry, ``tasks_app.api.actions``. Domain exceptions become ``{"code", "message", "fields"}`` in
``reform.errors.api_exception_handler``.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from reform.api import (
    ApiView,
    ErrorSerializer,
    FirstRendererNegotiation,
    responses,
    validated,
)
from reform.errors import NotFound, ValidationError
from reform.params import MAX_ID, PlausibleDateField, parse_bool

from .. import access, services, tree
from ..models import Notification, Task
from ..selectors import api as selectors
from ..selectors import task_timeline_items, unit_ranking
from ..selectors.programmes import home_programme, programme_choices, programme_from
from ..tasklist.export import tasklist_export
from ..tasklist.importer import tasklist_import
from . import inputs
from . import serializers as s
from .actions import OBJECT_ID, TASK_ID, detail_response
from .filters import TaskFilter, domain_by_code_or_id
from .pagination import NewestFirstPagination, TaskPagination

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Programmes ---------------------------------------------------------------------------------


class ProgrammeListView(ApiView):
    @extend_schema(
        operation_id="programmes_list",
        summary="专项列表",
        description=(
            "部署中的全部专项（三年行动计划、年度重点工作、会议议定事项、批示件等），各自的领域清单，"
            "调用者在其中可见的任务数；home 为调用者默认所在的专项（其他接口不传 programme 时即用它）。"
        ),
        responses=responses(s.ProgrammeSerializer(many=True)),
        tags=["任务"],
    )
    def get(self, request: Request) -> Response:
        home = home_programme(request.user)
        rows = [
            {
                "id": p.pk,
                "name": p.name,
                "short_name": p.short_name,
                "kind": p.kind,
                "kind_label": p.get_kind_display(),
                "year": p.year,
                "owner": {"id": p.owner_id, "name": p.owner.name} if p.owner is not None else None,
                "is_default": p.is_default,
                "is_active": p.is_active,
                "home": p.pk == home.pk,
                "domains": [{"code": d.code, "name": d.name} for d in p.domains.all()],
                "tasks": visible,
            }
            for p, visible in programme_choices(request.user)
        ]
        return Response(rows)


# --- Tasks --------------------------------------------------------------------------------------


class TaskListView(ApiView, GenericAPIView):
    serializer_class = s.TaskSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilter
    pagination_class = TaskPagination

    def get_queryset(self) -> QuerySet[Task]:
        return selectors.task_list_queryset(self.request.user)  # type: ignore[arg-type]

    @extend_schema(
        operation_id="tasks_list",
        summary="任务清单（分页、筛选）",
        description=(
            "调用者可见范围内的任务，按编号树序（sort_key, id）排列。游标分页：答复中的 next 为下一页完整地址，"
            "期间新增的任务不会导致翻页重复或遗漏。domain 以 {code, name} 表示。"
        ),
        responses=responses(s.TaskSerializer(many=True), 400),
        tags=["任务"],
    )
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        paginator = self.paginator
        assert paginator is not None
        page = paginator.paginate_queryset(queryset.values(*selectors.TASK_VALUES), request, view=self)
        return paginator.get_paginated_response(selectors.task_rows(user=request.user, rows=page))  # type: ignore[arg-type]


class TaskDetailView(ApiView):
    @extend_schema(
        operation_id="tasks_retrieve",
        summary="任务详情",
        description="含指标（最近实测值与达成度）、里程碑、举措、专班、政策、评价标准和未办结的督办对象。",
        parameters=[TASK_ID],
        responses=responses(s.TaskDetailSerializer, 404),
        tags=["任务"],
    )
    def get(self, request: Request, pk: int) -> Response:
        return detail_response(request.user, pk)


class TaskTraceView(ApiView):
    @extend_schema(
        operation_id="tasks_trace",
        summary="任务留痕（时间线）",
        parameters=[TASK_ID],
        responses=responses(s.TimelineItemSerializer(many=True), 404),
        tags=["任务"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = access.access_task(request.user, pk)
        items = task_timeline_items(task)
        return Response(s.TimelineItemSerializer(items, many=True).data)


# --- Ranking ------------------------------------------------------------------------------------


class RankingQuerySerializer(drf_serializers.Serializer):
    start = PlausibleDateField(required=False, help_text="期间开始（含），默认当年 1 月 1 日")
    end = PlausibleDateField(required=False, help_text="期间结束（含），默认今天")
    domain = drf_serializers.CharField(required=False, help_text="改革领域：代码或 id")
    programme = drf_serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="专项 id；不传则为调用者所在的专项"
    )


class RankingView(ApiView):
    @extend_schema(
        operation_id="ranking",
        summary="单位红黑榜",
        description=(
            "按期间排名牵头单位：按期办结率 40%、评价平均分 40%、批示落实率 20%，每个逾期事项扣 5 分；缺项按 100 计。"
        ),
        parameters=[RankingQuerySerializer],
        responses=responses(s.RankingSerializer, 400),
        tags=["红黑榜"],
    )
    def get(self, request: Request) -> Response:
        params = validated(RankingQuerySerializer, request.query_params.dict())  # "" is a value, not "absent"
        today = timezone.localdate()
        end: date = params.get("end") or today
        start: date = params.get("start") or date(end.year, 1, 1)
        if end < start:
            message = _("结束日期不能早于开始日期")
            raise ValidationError(message, fields={"end": [message]})
        programme = programme_from(params, request.user)
        domain = domain_by_code_or_id(params["domain"], programme) if params.get("domain") else None
        within = access.ranking_within(request.user)
        rows = unit_ranking(start=start, end=end, domain=domain, programme=programme, within=within)
        return Response(
            {
                "programme": {"id": programme.pk, "name": programme.name},
                "start": start.isoformat(),
                "end": end.isoformat(),
                "domain": {"code": domain.code, "name": domain.name} if domain else None,
                "rows": [{"rank": i, **row.__dict__} for i, row in enumerate(rows, start=1)],
            }
        )


# --- Notifications ------------------------------------------------------------------------------


class NotificationListView(ApiView, GenericAPIView):
    serializer_class = s.NotificationSerializer
    pagination_class = NewestFirstPagination
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user)  # type: ignore[misc]

    @extend_schema(
        operation_id="notifications_list",
        summary="我的消息通知（新的在前）",
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="true：只列未读")],
        responses=responses(s.NotificationSerializer(many=True), 400),
        tags=["消息"],
    )
    def get(self, request: Request) -> Response:
        queryset = self.get_queryset()
        if parse_bool(request.query_params.get("unread", ""), "unread"):
            queryset = queryset.filter(read_at__isnull=True)
        paginator = self.paginator
        assert paginator is not None
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(s.NotificationSerializer(page, many=True).data)


class NotificationReadView(ApiView):
    @extend_schema(
        operation_id="notifications_read",
        summary="标记一条消息为已读",
        parameters=[OBJECT_ID],
        request=None,
        responses=responses(s.CountSerializer, 404),
        tags=["消息"],
    )
    def post(self, request: Request, pk: int) -> Response:
        count = services.notification_mark_read(actor=request.user, notification_id=pk)  # type: ignore[arg-type]
        return Response({"updated": count})


class NotificationReadAllView(ApiView):
    @extend_schema(
        operation_id="notifications_read_all",
        summary="全部标记为已读",
        request=None,
        responses=responses(s.CountSerializer),
        tags=["消息"],
    )
    def post(self, request: Request) -> Response:
        return Response({"updated": services.notification_mark_read(actor=request.user)})  # type: ignore[arg-type]


# --- Task-list import / export ------------------------------------------------------------------


class TasklistImportView(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="tasklist_import",
        summary="导入任务清单（督查室）",
        description=(
            "上传 .xlsx（导入模板格式）。全部成功才保存；有任何错误则不保存，答复 400 及逐个单元格的错误报告。"
            "dry_run=true 只检查不保存。"
        ),
        request={"multipart/form-data": inputs.TasklistImportInput},
        responses={
            200: s.ImportReportSerializer,
            400: OpenApiResponse(s.ImportFailedSerializer, description="文件有错误，未保存任何数据"),
            401: OpenApiResponse(ErrorSerializer, description="未登录或令牌无效"),
            403: OpenApiResponse(ErrorSerializer, description="仅督查室可以导入"),
        },
        tags=["任务清单导入导出"],
    )
    def post(self, request: Request) -> Response:
        access.IMPORT_TASKLIST.check_role(request.user)
        data = validated(inputs.TasklistImportInput, request.data)
        report = tasklist_import(
            actor=request.user,  # type: ignore[arg-type]
            file=data["file"],
            dry_run=data["dry_run"],
            create_units=data["create_units"],
            programme=data["programme"],
        )
        body = {"dry_run": report.dry_run, "sha256": report.sha256, **report.as_dict()}
        if report.errors:
            message = _("导入失败：发现 %(n)d 处错误，未保存任何数据") % {"n": len(report.errors)}
            return Response({"code": "invalid", "message": message, "fields": {}, "report": body}, status=400)
        return Response(body)


class TasklistExportView(ApiView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        operation_id="tasklist_export",
        summary="导出任务清单 .xlsx（督查室）",
        description="与导入模板同格式；root 为任务编号时只导出该任务及其下级任务。",
        parameters=[
            OpenApiParameter("root", OpenApiTypes.STR, description="任务编号（可选）"),
            OpenApiParameter("programme", OpenApiTypes.INT, description="专项 id（可选，默认为调用者所在的专项）"),
        ],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="任务清单工作簿"),
            **{code: r for code, r in responses(None, 400, 403, 404).items() if code != 200},
        },
        tags=["任务清单导入导出"],
    )
    def get(self, request: Request) -> HttpResponse:
        access.EXPORT_TASKLIST.check_role(request.user)
        root = tree.normalise_code(request.query_params.get("root") or "") or None
        if root is not None and tree.code_error(root):
            raise NotFound(_("任务“%(c)s”不存在") % {"c": root})
        programme = programme_from(request.query_params, request.user)
        content = tasklist_export(actor=request.user, root_code=root, programme=programme)  # type: ignore[arg-type]
        stamp = timezone.localdate().strftime("%Y%m%d")
        name = f"tasklist-{root}-{stamp}.xlsx" if root else f"tasklist-{stamp}.xlsx"
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
