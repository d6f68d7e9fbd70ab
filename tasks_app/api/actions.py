"""The API's one dispatcher over the action registry (``tasks_app.actions``).

Every action answers ``POST`` at one route, built from its entry:

- a workflow transition at ``/api/tasks/{id}/transitions/<key>/``, answering the task's detail;
- an action that creates a supervision object at the task's collection of them
  (``/api/tasks/{id}/instructions/``, ``…/notices/``, ``…/feedback/``, ``…/problems/``,
  ``…/extensions/``), answering 201 with the new object; the same route lists them with ``GET``;
- an action on a supervision object at ``/api/<objects>/{id}/<verb>/`` (``/api/instructions/{id}/answer/``),
  answering the object as it is now.

Order of checks, the same for every action: scope (404: missing and out-of-scope look the same) →
role (403) → input (400) → the service: unit (403) and state (409). The rule behind each check is the
action's own (``tasks_app.access``); the service checks it again under its row lock.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from reform.api import ApiView, responses, validated
from reform.errors import NotFound
from reform.parsers import BoundedJSONParser
from reform.roles import Role

from .. import access
from ..actions import ACTIONS, Action
from ..selectors import api as selectors
from ..selectors.supervision import SUPERVISION_OF
from . import serializers as s

TASK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="任务 id")
OBJECT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="对象 id")

# Supervision objects in the API: the plural of their routes, their schema tag and their serializer.
KINDS: dict[str, tuple[str, str, type[drf_serializers.Serializer]]] = {
    "instruction": ("instructions", "批示", s.InstructionSerializer),
    "notice": ("notices", "督办", s.NoticeSerializer),
    "feedback": ("feedback", "反馈", s.FeedbackSerializer),
    "problem": ("problems", "问题反馈", s.ProblemSerializer),
    "correction": ("corrections", "整改", s.CorrectionSerializer),
    "extension": ("extensions", "延期申请", s.ExtensionSerializer),
    "evaluation": ("evaluations", "评价", s.EvaluationSerializer),
    "share": ("shares", "配合分工", s.ShareSerializer),
}
LIST_SUMMARIES = {
    "instruction": "任务的领导批示",
    "notice": "任务的督办（提醒、催办、督办、挂牌督办）",
    "feedback": "任务的进度反馈与旬报",
    "problem": "任务的问题反馈",
    "correction": "任务的整改通知",
    "extension": "任务的延期申请",
    "evaluation": "任务的评价",
    "share": "任务的配合单位分工",
}
LIST_DESCRIPTIONS = {
    "correction": "整改通知由流转 request_correction 产生，由流转 submit_completion 的 correction_answer 答复。",
    "evaluation": "评价由流转 evaluate 产生。",
}


def detail_response(user: Any, task_id: int, *, code: int = 200) -> Response:
    data, supervision = selectors.task_detail(user=user, task_id=task_id)
    data["open"] = s.OpenSupervisionSerializer(supervision).data
    return Response(data, status=code)


def serialized(kind: str, task_id: int, pk: int) -> Any:
    """One supervision object as its serializer shows it (loaded with what the serializer reads)."""
    serializer = KINDS[kind][2]
    return serializer(SUPERVISION_OF[kind](task_id).get(pk=pk)).data


def enter(action: Action, user: Any, pk: int) -> Any:
    """The action's target if ``user`` may see it (404), for a role that may ever do the action (403)."""
    if action.on == "task":
        return access.enter_task(user, pk, action.rule)
    return access.enter_object(user, action.model, pk, action.rule)


def perform(action: Action, request: Request, pk: int) -> Response:
    target = enter(action, request.user, pk)
    data = validated(action.serializer, request.data)
    result = action.run(actor=request.user, target=target, **data)
    if action.is_transition or action.route:
        return detail_response(request.user, target.pk)
    if action.creates:
        return Response(serialized(action.creates, target.pk, result.pk), status=201)
    return Response(serialized(action.on, target.task_id, target.pk))


def roles_text(action: Action) -> str:
    return "、".join(str(Role(r).label) for r in sorted(action.rule.roles))


def schema_for(action: Action) -> dict[str, Any]:
    """The OpenAPI description of an action's ``POST``, from its registry entry."""
    ok: Any
    if action.is_transition:
        operation_id, tag, ok, code = f"tasks_transition_{action.key}", "流转", s.TaskDetailSerializer, 200
        summary = f"流转：{action.label}"
    elif action.route:
        operation_id, tag, ok, code = f"tasks_{action.key}", "任务", s.TaskDetailSerializer, 200
        summary = f"{action.label}（{roles_text(action)}）"
    else:
        kind = action.creates or action.on
        plural, tag, ok = KINDS[kind]
        code = 201 if action.creates else 200
        operation_id = f"{plural}_{action.key.split('_')[0]}"
        summary = f"{action.label}（{roles_text(action)}）"
    description = (
        f"可执行角色：{roles_text(action)}。"
        "404：对象不存在或不在可见范围；403：角色或单位无权；400：输入有误；409：当前状态不允许或已被他人处理。"
    )
    return {
        "operation_id": operation_id,
        "summary": summary,
        "description": description,
        "parameters": [TASK_ID if action.on == "task" else OBJECT_ID],
        "request": action.serializer,
        "responses": responses(ok, 400, 403, 404, 409, ok_status=code),
        "tags": [tag],
    }


def action_view(action: Action, *, list_kind: str = "") -> type[ApiView]:
    """A view class for one action's route (with the collection's ``GET`` when it creates objects)."""

    def post(self: ApiView, request: Request, pk: int) -> Response:
        return perform(action, request, pk)

    attrs: dict[str, Any] = {"post": extend_schema(**schema_for(action))(post)}
    if action.key == "report_progress":
        attrs["parser_classes"] = [MultiPartParser, FormParser, BoundedJSONParser]
    if list_kind:
        attrs["get"] = list_get(list_kind)
    name = "".join(part.title() for part in action.key.split("_")) + "ActionView"
    return type(name, (ApiView,), attrs)


def list_get(kind: str) -> Any:
    plural, tag, serializer = KINDS[kind]

    def get(self: ApiView, request: Request, pk: int) -> Response:
        task = access.access_task(request.user, pk)
        return Response(serializer(SUPERVISION_OF[kind](task.pk), many=True).data)

    return extend_schema(
        operation_id=f"{plural}_list",
        summary=LIST_SUMMARIES[kind],
        description=LIST_DESCRIPTIONS.get(kind),
        parameters=[TASK_ID],
        responses=responses(serializer(many=True), 404),
        tags=[tag],
    )(get)


def list_view(kind: str) -> type[ApiView]:
    """A read-only collection of a task's supervision objects (corrections and evaluations)."""
    name = KINDS[kind][0].title() + "ListView"
    return type(name, (ApiView,), {"get": list_get(kind)})


@extend_schema(exclude=True)
class UnknownTransitionView(ApiView):
    """Any name that is not a transition: 404 in the error shape (after the scope check, like the rest)."""

    def post(self, request: Request, pk: int, name: str) -> Response:
        access.access_task(request.user, pk)
        raise NotFound(_("未知的操作：%(name)s") % {"name": name})


def routes() -> list[tuple[str, type[ApiView], str]]:
    """Every action's route as ``(path, view, url name)``, and the read-only collections."""
    found: list[tuple[str, type[ApiView], str]] = []
    collections = set()
    for action in ACTIONS.values():
        if action.is_transition:
            path = f"tasks/<int:pk>/transitions/{action.key}/"
            found.append((path, action_view(action), f"api-task-transition-{action.key}"))
        elif action.route:
            found.append((f"tasks/<int:pk>/{action.route}/", action_view(action), f"api-task-{action.route}"))
        elif action.creates:
            plural = KINDS[action.creates][0]
            collections.add(action.creates)
            view = action_view(action, list_kind=action.creates)
            found.append((f"tasks/<int:pk>/{plural}/", view, f"api-task-{plural}"))
        else:
            plural, verb = KINDS[action.on][0], action.key.split("_")[0]
            found.append((f"{plural}/<int:pk>/{verb}/", action_view(action), f"api-{action.on}-{verb}"))
    for kind in KINDS:
        if kind not in collections:
            plural = KINDS[kind][0]
            found.append((f"tasks/<int:pk>/{plural}/", list_view(kind), f"api-task-{plural}"))
    return found
