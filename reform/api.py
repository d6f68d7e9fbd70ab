"""What every API view shares: authentication order, the error shape in the schema, helpers for inputs.

Every error answers ``{"code", "message", "fields"}`` (``reform.errors.api_exception_handler``); the
schema documents that shape once, as the ``Error`` component, and each operation lists the statuses
it can answer with it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from .token_auth import ExpiringTokenAuthentication


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    code = serializers.CharField(
        help_text=gettext_lazy(
            "机器可读的错误代码：invalid（输入有误）、not_authenticated（未登录）、permission_denied（角色无权）、"
            "not_found（不存在或无权访问）、invalid_transition（当前状态不允许）、conflict（与他人操作冲突）、"
            "locked_out（登录失败次数过多）、password_change_required（须先修改一次性密码）、throttled、method_not_allowed"
        )
    )
    message = serializers.CharField(help_text=gettext_lazy("给用户看的中文说明"))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy("按字段列出的错误（字段名 → 说明列表）；与具体字段无关时为空对象"),
    )


ERROR_DESCRIPTIONS = {
    400: gettext_lazy("输入有误（fields 按字段说明）"),
    401: gettext_lazy("未登录或令牌无效"),
    403: gettext_lazy("角色无权执行此操作"),
    404: gettext_lazy("对象不存在或不在您的可见范围内（二者答复相同）"),
    409: gettext_lazy("当前状态不允许此操作，或已被他人抢先处理"),
    429: gettext_lazy("登录失败次数过多，已被临时锁定"),
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an operation: always 401, plus ``statuses``."""
    codes = sorted({401, *statuses})
    return {code: OpenApiResponse(ErrorSerializer, description=str(ERROR_DESCRIPTIONS[code])) for code in codes}


def responses(ok: Any, *statuses: int, ok_status: int = 200) -> dict[int, Any]:
    """``{ok_status: ok, 401: Error, <statuses>: Error}`` for ``extend_schema(responses=...)``."""
    return {ok_status: ok, **error_responses(*statuses)}


class ApiView(APIView):
    """Token first, so an anonymous call answers 401 with ``WWW-Authenticate: Token``; the web session second."""

    authentication_classes = [ExpiringTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


class FirstRendererNegotiation(DefaultContentNegotiation):
    """For downloads: answer in the view's own format whatever ``Accept`` says (errors stay JSON)."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: str | None = None) -> Any:
        renderer = renderers[0]
        return renderer, renderer.media_type


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """Validate ``data``; 400 in the standard shape when it is wrong."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
