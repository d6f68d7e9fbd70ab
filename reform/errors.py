"""Domain exceptions raised by services, and the one place that turns them into HTTP answers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response

from .logging import current_request_id


class DomainError(Exception):
    """Base class: a message a user can read, a machine code and an HTTP status."""

    code = "error"
    http_status = 400

    def __init__(self, message: str | Promise, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationError(DomainError):
    code = "invalid"
    http_status = 400


class PermissionDenied(DomainError):
    """The actor's role may never do this (403)."""

    code = "permission_denied"
    http_status = 403


class NotFound(DomainError):
    """The object does not exist or is outside the actor's scope (404: the two look the same)."""

    code = "not_found"
    http_status = 404


class InvalidTransition(DomainError):
    """The action is not allowed from the object's current state (409)."""

    code = "invalid_transition"
    http_status = 409


class ConflictError(DomainError):
    """Someone else changed the object first (409)."""

    code = "conflict"
    http_status = 409


def _drf_fields(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    return {}


def database_busy(exc: BaseException) -> bool:
    """SQLite gave up waiting for another writer ("database is locked"): a conflict, not a server fault."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def busy_conflict() -> ConflictError:
    return ConflictError(_("其他人正在修改同一数据，系统稍候后仍未能完成您的操作，请刷新后重试"))


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer every error with one shape: {"code", "message", "fields"}."""
    if database_busy(exc):
        exc = busy_conflict()
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "；".join(exc.messages)
        return Response({"code": "invalid", "message": message, "fields": fields}, status=400)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return Response({"code": "not_found", "message": _("对象不存在或无权访问"), "fields": {}}, status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"code": "permission_denied", "message": _("无权执行此操作"), "fields": {}}, status=403)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
        return Response(_request_too_big(exc), status=400)
    if isinstance(exc, drf_exceptions.ParseError):
        message = _("请求体无法解析：%(why)s") % {"why": _parse_reason(exc)}
        return Response({"code": "invalid", "message": message, "fields": {}}, status=400)
    if isinstance(exc, drf_exceptions.UnsupportedMediaType):
        message = _("不支持的请求体格式“%(t)s”，请使用 application/json 或 multipart/form-data") % {
            "t": str(getattr(exc, "args", [""])[0] or "")[:80]
        }
        return Response({"code": "unsupported_media_type", "message": message, "fields": {}}, status=415)
    if isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        if isinstance(exc, drf_exceptions.ValidationError):
            fields = _drf_fields(detail)
            message = _("提交的数据有误，请检查标注的字段")
            if isinstance(detail, list):
                message = "；".join(str(d) for d in detail)
            return Response({"code": "invalid", "message": message, "fields": fields}, status=400)
        code_map = {
            status.HTTP_401_UNAUTHORIZED: ("not_authenticated", _("请先登录")),
            status.HTTP_403_FORBIDDEN: ("permission_denied", _("无权执行此操作")),
            status.HTTP_404_NOT_FOUND: ("not_found", _("对象不存在或无权访问")),
            status.HTTP_405_METHOD_NOT_ALLOWED: ("method_not_allowed", _("不支持此请求方法")),
            status.HTTP_429_TOO_MANY_REQUESTS: ("throttled", _("请求过于频繁，请稍后再试")),
        }
        code, message = code_map.get(exc.status_code, (str(getattr(exc, "default_code", "error")), str(detail)))
        if exc.status_code == status.HTTP_401_UNAUTHORIZED and isinstance(exc, drf_exceptions.AuthenticationFailed):
            message = str(detail)
        response = Response({"code": code, "message": message, "fields": {}}, status=exc.status_code)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        return response
    return None


def _parse_reason(exc: drf_exceptions.ParseError) -> str:
    """The Chinese reason of a parse error: ours are already Chinese; DRF's JSON and multipart ones are not."""
    detail = str(exc.detail)
    if any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        return detail
    if detail.startswith("JSON parse error"):
        return _("不是有效的 JSON（%(detail)s）") % {"detail": detail.removeprefix("JSON parse error - ")[:120]}
    return _("格式不正确（%(detail)s）") % {"detail": detail[:120]}


def _request_too_big(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, TooManyFieldsSent):
        message = _("提交的字段过多（上限 %(n)d 个）") % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
    else:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        message = _("请求体过大（上限 %(mb)s MB）；上传文件请使用 multipart/form-data") % {"mb": f"{limit:g}"}
    return {"code": "invalid", "message": message, "fields": {}}


# --- Django's error views (handler400/403/404/500 in reform.urls): JSON under /api/, pages elsewhere ---


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json_error(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400 outside the views (an oversized body, too many fields, a suspicious request)."""
    if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
        body = _request_too_big(exception)
    else:
        body = {"code": "invalid", "message": _("请求无效，请检查后重试"), "fields": {}}
    if is_api_request(request):
        return _json_error(400, body)
    template = loader.get_template("400.html")
    return HttpResponse(template.render({"message": body["message"]}), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return _json_error(403, {"code": "permission_denied", "message": _("无权执行此操作"), "fields": {}})
    return defaults.permission_denied(request, exception or DjangoPermissionDenied())


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return _json_error(404, {"code": "not_found", "message": _("对象不存在或无权访问"), "fields": {}})
    return defaults.page_not_found(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    """500: the request id lets the administrator find the logged traceback; nothing else is revealed."""
    request_id = getattr(request, "request_id", "") or current_request_id()
    message = _("服务器内部错误，请稍后重试；如果问题持续，请把请求编号 %(id)s 告知系统管理员") % {"id": request_id}
    if is_api_request(request):
        return _json_error(500, {"code": "server_error", "message": message, "fields": {}})
    template = loader.get_template("500.html")
    return HttpResponse(template.render({"message": message}), status=500)
