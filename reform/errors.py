"""Domain exceptions raised by services, and the one place that turns them into HTTP answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response


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


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer every error with one shape: {"code", "message", "fields"}."""
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
