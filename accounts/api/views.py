"""The account API: exchange a password for a token (under the login lockout), who am I, the units."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from orgs.models import OrgUnit
from reform.api import ApiView, ErrorSerializer, responses, validated
from tasks_app.models import Notification

from ..auth import authenticate_or_lockout
from ..services import token_issue
from . import serializers as s


class TokenView(ApiView):
    """``POST /api/auth/token/``: the same lockout as the login form counts every wrong password."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token",
        summary="用用户名和密码换取 API 令牌",
        description=(
            "之后的请求带请求头 Authorization: Token <token>。每次调用都签发一个新令牌；令牌闲置超过会话超时"
            "（默认 30 分钟）或签发满 30 天（可配置）即失效，修改或重置密码后全部失效；可在网页“我的令牌”中吊销。"
            "同一用户连续失败 5 次（可配置）即被锁定，锁定期间答复 429（与登录页同一锁定计数）。"
            "需要首次修改密码的账号须先在网页上修改密码。"
        ),
        request=s.TokenInputSerializer,
        responses={
            200: s.TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="用户名或密码错误"),
            403: OpenApiResponse(
                ErrorSerializer, description="password_change_required：账号须先在网页上修改管理员设置的一次性密码"
            ),
            429: OpenApiResponse(ErrorSerializer, description="登录失败次数过多，已被临时锁定"),
        },
        auth=[],
        tags=["账号"],
    )
    def post(self, request: Request) -> Response:
        data = validated(s.TokenInputSerializer, request.data)
        user = authenticate_or_lockout(request, data["username"], data["password"])  # 400 / 403 / 429
        return Response({"token": token_issue(user=user)})  # a new key every time; only its digest is kept


class MeView(ApiView):
    @extend_schema(operation_id="me", summary="当前用户", responses=responses(s.MeSerializer), tags=["账号"])
    def get(self, request: Request) -> Response:
        user: Any = request.user
        unit = user.unit
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "full_name": user.full_name,
                "role": user.role,
                "role_label": user.role_label,
                "unit": {"id": unit.pk, "name": unit.name} if unit else None,
                "unread_notifications": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
            }
        )


def unit_dicts() -> list[dict[str, Any]]:
    """Every unit in tree order (one query)."""
    labels = {k: str(v) for k, v in OrgUnit.Level.choices}
    return [
        {**row, "parent": row.pop("parent_id"), "level_label": labels.get(row["level"], row["level"])}
        for row in OrgUnit.objects.order_by("path").values(
            "id", "name", "short_code", "level", "parent_id", "path", "depth"
        )
    ]


class UnitListView(ApiView):
    @extend_schema(
        operation_id="units_list",
        summary="责任单位（按层级树序的平铺列表）",
        responses=responses(s.UnitSerializer(many=True)),
        tags=["单位"],
    )
    def get(self, request: Request) -> Response:
        return Response(unit_dicts())


class UnitTreeView(ApiView):
    @extend_schema(
        operation_id="units_tree",
        summary="责任单位树",
        responses=responses(s.UnitTreeSerializer(many=True)),
        tags=["单位"],
    )
    def get(self, request: Request) -> Response:
        nodes = {}
        roots = []
        for row in unit_dicts():  # tree order: a parent always comes before its children
            node = {**row, "children": []}
            nodes[row["id"]] = node
            parent = nodes.get(row["parent"])
            (parent["children"] if parent else roots).append(node)
        return Response(roots)
