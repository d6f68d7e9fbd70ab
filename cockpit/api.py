"""``/api/cockpit/``: the cockpit figures as JSON, with the same filters as the page (domain, unit, period).

Every figure is ``{"value": …, "url": "/tasks/?…"}``: the link lists exactly what it counted. The
response is ``cockpit.services.cockpit_figures`` (cached on the trace head, so an unchanged programme
answers in one query) plus what the user may do from the cockpit.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from reform.api import ApiView, responses

from . import selectors, services
from .filters import actions_for, require_cockpit_access

FILTER_PARAMETERS = [
    OpenApiParameter("domain", str, description="领域代码"),
    OpenApiParameter("unit", int, description="责任单位 id（含下级单位）"),
    OpenApiParameter("period", str, description="统计周期，如 2026-11、2026-Q4、2026"),
]
SEARCH_RESULT = inline_serializer(
    name="CockpitTaskSearch",
    fields={
        "results": serializers.ListField(
            child=inline_serializer(
                name="CockpitTaskHit",
                fields={
                    "id": serializers.IntegerField(),
                    "code": serializers.CharField(),
                    "title": serializers.CharField(),
                    "label": serializers.CharField(),
                    "unit": serializers.CharField(),
                    "rag": serializers.CharField(),
                    "cooperating": serializers.ListField(child=serializers.DictField()),
                },
            )
        )
    },
)


class CockpitView(ApiView):
    """GET the cockpit figures; 403 for roles without a cockpit, 404 for a unit outside the user's subtree."""

    @extend_schema(
        summary="驾驶舱指标", parameters=FILTER_PARAMETERS, responses=responses(OpenApiTypes.OBJECT, 400, 403, 404)
    )
    def get(self, request: Request) -> Response:
        payload = services.cockpit_figures(user=request.user, params=request.query_params)  # type: ignore[arg-type]
        response = Response({**payload, "actions": actions_for(request.user)})
        response["Cache-Control"] = "private, no-store"
        return response


class TaskSearchView(ApiView):
    """GET ``?q=``: open tasks the user may see, for the cockpit's instruction and notice forms."""

    @extend_schema(
        summary="驾驶舱任务检索",
        parameters=[OpenApiParameter("q", str, description="任务编号或名称")],
        responses=responses(SEARCH_RESULT, 403),
    )
    def get(self, request: Request) -> Response:
        require_cockpit_access(request.user)  # type: ignore[arg-type]
        text = (request.query_params.get("q") or "").strip()
        rows = selectors.task_search(user=request.user, text=text) if text else []  # type: ignore[arg-type]
        return Response({"results": rows})


urlpatterns = [
    path("", CockpitView.as_view(), name="cockpit-api"),
    path("tasks/", TaskSearchView.as_view(), name="cockpit-api-tasks"),
]
