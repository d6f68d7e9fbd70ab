"""The task API: thin views that parse input, call one service or selector and answer.

Order of checks for every write: scope (404: missing and out-of-scope look the same) → role (403) →
input (400) → state (409), the same order as the services, whose domain exceptions
``reform.errors.api_exception_handler`` turns into ``{"code", "message", "fields"}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.access import get_visible_task, visible_tasks
from orgs.models import OrgUnit
from reform.api import (
    ApiView,
    ErrorSerializer,
    FirstRendererNegotiation,
    parse_bool,
    responses,
    validated,
)
from reform.errors import NotFound, PermissionDenied, ValidationError
from reform.roles import UNIT_ROLES, Role, require_role

from .. import services, tree, workflow
from ..models import (
    CorrectionOrder,
    Evaluation,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    Notification,
    ProblemReport,
    Task,
)
from ..selectors import task_timeline_items, unit_ranking
from . import selectors
from . import serializers as s
from .filters import TaskFilter, domain_by_code_or_id
from .pagination import NewestFirstPagination, TaskPagination

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICE = frozenset({Role.OFFICE})
OFFICE_OR_LEADER = frozenset({Role.OFFICE, Role.LEADER})
TASK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="任务 id")
OBJECT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="对象 id")


def visible(model: type[Any], user: Any, pk: int, queryset: QuerySet[Any] | None = None) -> Any:
    """A supervision object on a task the user may see; NotFound (404) otherwise, like a missing one."""
    qs = model.objects.all() if queryset is None else queryset
    obj = qs.filter(pk=pk, task__in=visible_tasks(user).values("pk")).first()
    if obj is None:
        raise NotFound(_("对象不存在或无权访问"))
    return obj


def detail_response(user: Any, task_id: int, *, code: int = status.HTTP_200_OK) -> Response:
    data, supervision = selectors.task_detail(user=user, task_id=task_id)
    data["open"] = s.OpenSupervisionSerializer(supervision).data
    return Response(data, status=code)


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


class TransitionView(ApiView):
    """``POST /api/tasks/{id}/transitions/{name}/``: fire one workflow transition; answer the task's detail."""

    transition = ""

    def post(self, request: Request, pk: int, name: str | None = None) -> Response:
        name = name or self.transition
        if name not in services.TRANSITION_SERVICES:
            get_visible_task(request.user, pk)  # type: ignore[arg-type]
            raise NotFound(_("未知的操作：%(name)s") % {"name": name})
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        label = str(workflow.TRANSITIONS[name]["label"])
        if not workflow.role_may(name, request.user):  # type: ignore[arg-type]
            raise PermissionDenied(_("您的角色无权%(action)s") % {"action": label})
        data = validated(s.TRANSITION_INPUTS[name], request.data)
        expected = data.pop("expected_status", None)
        services.TRANSITION_SERVICES[name](actor=request.user, task=task, expected_status=expected, **data)
        return detail_response(request.user, task.pk)


def transition_view(name: str) -> Any:
    """A view class per transition, so the schema documents each one's own request body."""
    spec = workflow.TRANSITIONS[name]
    roles = "、".join(str(Role(r).label) for r in sorted(spec["roles"]))

    def post(self: TransitionView, request: Request, pk: int) -> Response:
        return TransitionView.post(self, request, pk)

    view = type(f"{name.title().replace('_', '')}TransitionView", (TransitionView,), {"transition": name})
    view.post = extend_schema(
        operation_id=f"tasks_transition_{name}",
        summary=f"流转：{spec['label']}",
        description=(
            f"可执行角色：{roles}（单位角色仅限牵头单位）。成功答复更新后的任务详情。"
            "404：任务不存在或不在可见范围；403：角色无权；400：输入有误；409：当前状态不允许或已被他人处理。"
        ),
        parameters=[TASK_ID],
        request=s.TRANSITION_INPUTS[name],
        responses=responses(s.TaskDetailSerializer, 400, 403, 404, 409),
        tags=["流转"],
    )(post)
    return view


TRANSITION_VIEWS = {name: transition_view(name) for name in workflow.TRANSITIONS}


@extend_schema(exclude=True)
class UnknownTransitionView(TransitionView):
    """Any name that is not a transition: 404 in the error shape (after the scope check, like the rest)."""


class TaskTraceView(ApiView):
    @extend_schema(
        operation_id="tasks_trace",
        summary="任务留痕（时间线）",
        parameters=[TASK_ID],
        responses=responses(s.TimelineItemSerializer(many=True), 404),
        tags=["任务"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        items = task_timeline_items(task)
        return Response(s.TimelineItemSerializer(items, many=True).data)


# --- Supervision objects on a task --------------------------------------------------------------


def instructions_of(task: Task) -> QuerySet[Instruction]:
    return (
        Instruction.objects.filter(task=task)
        .select_related("task", "author", "responded_by")
        .prefetch_related(Prefetch("target_units", queryset=OrgUnit.objects.order_by("path")))
        .order_by("-created_at", "-id")
    )


class TaskInstructionsView(ApiView):
    @extend_schema(
        operation_id="instructions_list",
        summary="任务的领导批示",
        parameters=[TASK_ID],
        responses=responses(s.InstructionSerializer(many=True), 404),
        tags=["批示"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        return Response(s.InstructionSerializer(instructions_of(task), many=True).data)

    @extend_schema(
        operation_id="instructions_issue",
        summary="作出批示（领导）",
        parameters=[TASK_ID],
        request=s.InstructionIssueInputSerializer,
        responses=responses(s.InstructionSerializer, 400, 403, 404, 409, ok_status=201),
        tags=["批示"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        require_role(request.user, {Role.LEADER}, _("作出批示"))
        data = validated(s.InstructionIssueInputSerializer, request.data)
        instruction = services.instruction_issue(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            text=data["text"],
            due_date=data["due_date"],
            target_units=data.get("target_units") or None,
        )
        return Response(s.InstructionSerializer(instructions_of(task).get(pk=instruction.pk)).data, status=201)


class InstructionAnswerView(ApiView):
    @extend_schema(
        operation_id="instructions_answer",
        summary="回复批示（承办单位）",
        parameters=[OBJECT_ID],
        request=s.InstructionAnswerInputSerializer,
        responses=responses(s.InstructionSerializer, 400, 403, 404, 409),
        tags=["批示"],
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = visible(Instruction, request.user, pk)
        require_role(request.user, UNIT_ROLES, _("回复批示"))
        data = validated(s.InstructionAnswerInputSerializer, request.data)
        services.instruction_answer(actor=request.user, instruction=instruction, response=data["response"])  # type: ignore[arg-type]
        return Response(s.InstructionSerializer(instructions_of(instruction.task).get(pk=pk)).data)


class InstructionReviewView(ApiView):
    @extend_schema(
        operation_id="instructions_review",
        summary="审核批示回复（督查室、领导）",
        description="approve=true 确认已落实；false 退回重办，须填写 comment。",
        parameters=[OBJECT_ID],
        request=s.ReviewInputSerializer,
        responses=responses(s.InstructionSerializer, 400, 403, 404, 409),
        tags=["批示"],
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = visible(Instruction, request.user, pk)
        require_role(request.user, OFFICE_OR_LEADER, _("审核批示回复"))
        data = validated(s.ReviewInputSerializer, request.data)
        services.instruction_review(
            actor=request.user,  # type: ignore[arg-type]
            instruction=instruction,
            approve=data["approve"],
            comment=data["comment"],
        )
        return Response(s.InstructionSerializer(instructions_of(instruction.task).get(pk=pk)).data)


def notices_of(task: Task) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(task=task).select_related("task", "issued_by", "lifted_by").order_by("-created_at", "-id")
    )


class TaskNoticesView(ApiView):
    @extend_schema(
        operation_id="notices_list",
        summary="任务的督办（提醒、催办、督办、挂牌督办）",
        parameters=[TASK_ID],
        responses=responses(s.NoticeSerializer(many=True), 404),
        tags=["督办"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        return Response(s.NoticeSerializer(notices_of(task), many=True).data)

    @extend_schema(
        operation_id="notices_issue",
        summary="发出督办（督查室、领导）",
        parameters=[TASK_ID],
        request=s.NoticeIssueInputSerializer,
        responses=responses(s.NoticeSerializer, 400, 403, 404, 409, ok_status=201),
        tags=["督办"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        require_role(request.user, OFFICE_OR_LEADER, _("发出督办"))
        data = validated(s.NoticeIssueInputSerializer, request.data)
        notice = services.notice_issue(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            level=int(data["level"]),
            reason=data["reason"],
            deadline=data["deadline"],
        )
        return Response(s.NoticeSerializer(notices_of(task).get(pk=notice.pk)).data, status=201)


class NoticeLiftView(ApiView):
    @extend_schema(
        operation_id="notices_lift",
        summary="督办销号（督查室）",
        parameters=[OBJECT_ID],
        request=s.CommentInputSerializer,
        responses=responses(s.NoticeSerializer, 400, 403, 404, 409),
        tags=["督办"],
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = visible(Notice, request.user, pk)
        require_role(request.user, OFFICE, _("督办销号"))
        data = validated(s.CommentInputSerializer, request.data)
        services.notice_lift(actor=request.user, notice=notice, comment=data["comment"])  # type: ignore[arg-type]
        return Response(s.NoticeSerializer(notices_of(notice.task).get(pk=pk)).data)


def feedback_of(task: Task) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(task=task)
        .select_related("task", "unit", "submitted_by")
        .prefetch_related("attachments")
        .order_by("-submitted_at", "-id")
    )


class TaskFeedbackView(ApiView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="feedback_list",
        summary="任务的进度反馈与旬报",
        parameters=[TASK_ID],
        responses=responses(s.FeedbackSerializer(many=True), 404),
        tags=["反馈"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        return Response(s.FeedbackSerializer(feedback_of(task), many=True).data)

    @extend_schema(
        operation_id="feedback_submit",
        summary="报送旬报 / 进度反馈（牵头、配合单位）",
        description=(
            "multipart/form-data 可附多个文件（字段 files，按内容检查类型，单个文件有大小上限）；"
            "indicator_values 为 {指标 id: 数值}（multipart 中为 JSON 字符串）。牵头单位的报送更新任务进度。"
        ),
        parameters=[TASK_ID],
        request=s.FeedbackInputSerializer,
        responses=responses(s.FeedbackSerializer, 400, 403, 404, 409, ok_status=201),
        tags=["反馈"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        require_role(request.user, UNIT_ROLES, _("报送进度"))
        data = validated(s.FeedbackInputSerializer, request.data)
        feedback = services.feedback_submit(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            text=data["text"],
            progress=data["progress"],
            kind=data["kind"],
            period_end=data["period_end"],
            indicator_values=data["indicator_values"] or None,
            files=data["files"],
        )
        return Response(s.FeedbackSerializer(feedback_of(task).get(pk=feedback.pk)).data, status=201)


def problems_of(task: Task) -> QuerySet[ProblemReport]:
    return (
        ProblemReport.objects.filter(task=task)
        .select_related("task", "unit", "reported_by", "responded_by")
        .order_by("-created_at", "-id")
    )


class TaskProblemsView(ApiView):
    @extend_schema(
        operation_id="problems_list",
        summary="任务的问题反馈",
        parameters=[TASK_ID],
        responses=responses(s.ProblemSerializer(many=True), 404),
        tags=["问题反馈"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        return Response(s.ProblemSerializer(problems_of(task), many=True).data)

    @extend_schema(
        operation_id="problems_report",
        summary="反馈问题（牵头、配合单位）",
        parameters=[TASK_ID],
        request=s.ProblemReportInputSerializer,
        responses=responses(s.ProblemSerializer, 400, 403, 404, 409, ok_status=201),
        tags=["问题反馈"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        require_role(request.user, UNIT_ROLES, _("反馈问题"))
        data = validated(s.ProblemReportInputSerializer, request.data)
        problem = services.problem_report(actor=request.user, task=task, text=data["text"])  # type: ignore[arg-type]
        return Response(s.ProblemSerializer(problems_of(task).get(pk=problem.pk)).data, status=201)


class ProblemAnswerView(ApiView):
    @extend_schema(
        operation_id="problems_answer",
        summary="答复问题（督查室、领导）",
        parameters=[OBJECT_ID],
        request=s.ProblemAnswerInputSerializer,
        responses=responses(s.ProblemSerializer, 400, 403, 404, 409),
        tags=["问题反馈"],
    )
    def post(self, request: Request, pk: int) -> Response:
        problem = visible(ProblemReport, request.user, pk)
        require_role(request.user, OFFICE_OR_LEADER, _("答复问题"))
        data = validated(s.ProblemAnswerInputSerializer, request.data)
        services.problem_answer(
            actor=request.user,  # type: ignore[arg-type]
            problem=problem,
            response=data["response"],
            resolve=data["resolve"],
        )
        return Response(s.ProblemSerializer(problems_of(problem.task).get(pk=pk)).data)


class TaskCorrectionsView(ApiView):
    @extend_schema(
        operation_id="corrections_list",
        summary="任务的整改通知",
        description="整改通知由流转 request_correction 产生，由流转 submit_completion 的 correction_answer 答复。",
        parameters=[TASK_ID],
        responses=responses(s.CorrectionSerializer(many=True), 404),
        tags=["整改"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        rows = (
            CorrectionOrder.objects.filter(task=task)
            .select_related("task", "issued_by", "answered_by")
            .order_by("-created_at", "-id")
        )
        return Response(s.CorrectionSerializer(rows, many=True).data)


def extensions_of(task: Task) -> QuerySet[ExtensionRequest]:
    return (
        ExtensionRequest.objects.filter(task=task)
        .select_related("task", "requested_by", "decided_by")
        .order_by("-created_at", "-id")
    )


class TaskExtensionsView(ApiView):
    @extend_schema(
        operation_id="extensions_list",
        summary="任务的延期申请",
        parameters=[TASK_ID],
        responses=responses(s.ExtensionSerializer(many=True), 404),
        tags=["延期申请"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        return Response(s.ExtensionSerializer(extensions_of(task), many=True).data)

    @extend_schema(
        operation_id="extensions_request",
        summary="申请延期（牵头单位）",
        parameters=[TASK_ID],
        request=s.ExtensionRequestInputSerializer,
        responses=responses(s.ExtensionSerializer, 400, 403, 404, 409, ok_status=201),
        tags=["延期申请"],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        require_role(request.user, UNIT_ROLES, _("申请延期"))
        data = validated(s.ExtensionRequestInputSerializer, request.data)
        extension = services.extension_request(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            requested_deadline=data["requested_deadline"],
            reason=data["reason"],
        )
        return Response(s.ExtensionSerializer(extensions_of(task).get(pk=extension.pk)).data, status=201)


class ExtensionDecideView(ApiView):
    @extend_schema(
        operation_id="extensions_decide",
        summary="审批延期申请（督查室）",
        description="approve=true 同意（完成时限改为申请的日期）；false 驳回，须填写 comment。",
        parameters=[OBJECT_ID],
        request=s.ReviewInputSerializer,
        responses=responses(s.ExtensionSerializer, 400, 403, 404, 409),
        tags=["延期申请"],
    )
    def post(self, request: Request, pk: int) -> Response:
        extension = visible(ExtensionRequest, request.user, pk)
        require_role(request.user, OFFICE, _("审批延期申请"))
        data = validated(s.ReviewInputSerializer, request.data)
        services.extension_decide(
            actor=request.user,  # type: ignore[arg-type]
            request=extension,
            approve=data["approve"],
            comment=data["comment"],
        )
        return Response(s.ExtensionSerializer(extensions_of(extension.task).get(pk=pk)).data)


class TaskEvaluationsView(ApiView):
    @extend_schema(
        operation_id="evaluations_list",
        summary="任务的评价",
        description="评价由流转 evaluate 产生。",
        parameters=[TASK_ID],
        responses=responses(s.EvaluationSerializer(many=True), 404),
        tags=["评价"],
    )
    def get(self, request: Request, pk: int) -> Response:
        task = get_visible_task(request.user, pk)  # type: ignore[arg-type]
        rows = Evaluation.objects.filter(task=task).select_related("task", "evaluator").order_by("-created_at", "-id")
        return Response(s.EvaluationSerializer(rows, many=True).data)


# --- Ranking ------------------------------------------------------------------------------------


class RankingQuerySerializer(drf_serializers.Serializer):
    start = drf_serializers.DateField(required=False, help_text="期间开始（含），默认当年 1 月 1 日")
    end = drf_serializers.DateField(required=False, help_text="期间结束（含），默认今天")
    domain = drf_serializers.CharField(required=False, help_text="改革领域：代码或 id")


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
        domain = domain_by_code_or_id(params["domain"]) if params.get("domain") else None
        rows = unit_ranking(start=start, end=end, domain=domain)
        return Response(
            {
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
        from ..inbox import notification_mark_read

        count = notification_mark_read(actor=request.user, notification_id=pk)  # type: ignore[arg-type]
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
        from ..inbox import notification_mark_read

        return Response({"updated": notification_mark_read(actor=request.user)})  # type: ignore[arg-type]


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
        request={"multipart/form-data": s.TasklistImportInputSerializer},
        responses={
            200: s.ImportReportSerializer,
            400: OpenApiResponse(s.ImportFailedSerializer, description="文件有错误，未保存任何数据"),
            401: OpenApiResponse(ErrorSerializer, description="未登录或令牌无效"),
            403: OpenApiResponse(ErrorSerializer, description="仅督查室可以导入"),
        },
        tags=["任务清单导入导出"],
    )
    def post(self, request: Request) -> Response:
        from ..tasklist_io import tasklist_import

        require_role(request.user, OFFICE, _("导入任务清单"))
        data = validated(s.TasklistImportInputSerializer, request.data)
        report = tasklist_import(
            actor=request.user,  # type: ignore[arg-type]
            file=data["file"],
            dry_run=data["dry_run"],
            create_units=data["create_units"],
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
        parameters=[OpenApiParameter("root", OpenApiTypes.STR, description="任务编号（可选）")],
        responses={
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="任务清单工作簿"),
            **{code: r for code, r in responses(None, 403, 404).items() if code != 200},
        },
        tags=["任务清单导入导出"],
    )
    def get(self, request: Request) -> HttpResponse:
        from ..tasklist_io import tasklist_export

        require_role(request.user, OFFICE, _("导出任务清单"))
        root = tree.normalise_code(request.query_params.get("root") or "") or None
        if root is not None and tree.code_error(root):
            raise NotFound(_("任务“%(c)s”不存在") % {"c": root})
        content = tasklist_export(actor=request.user, root_code=root)  # type: ignore[arg-type]
        stamp = timezone.localdate().strftime("%Y%m%d")
        name = f"tasklist-{root}-{stamp}.xlsx" if root else f"tasklist-{stamp}.xlsx"
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
