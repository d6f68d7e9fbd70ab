"""Credential checks outside the login form (the API token endpoint) under the same lockout as the form.

django-axes counts failures through ``django.contrib.auth.authenticate(request=...)``; anything that
checks a password another way (``user.check_password``) would slip past the lockout, so every
password check other than the login form goes through ``authenticate_or_lockout``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from reform.errors import DomainError, ValidationError

if TYPE_CHECKING:
    from .models import User


class AccountLockedOut(DomainError):
    """Too many failed logins for this user from this address (429, as axes answers the login form)."""

    code = "locked_out"
    http_status = 429


class PasswordChangeRequired(DomainError):
    """The credentials are right but still the one-time password an admin set (403)."""

    code = "password_change_required"
    http_status = 403


def cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message() -> str:
    message = _(
        "登录失败次数过多，该账号在此地址已被锁定 %(minutes)d 分钟（锁定期间再次尝试将重新计时），"
        "请稍后再试或联系单位管理员。"
    )
    return message % {"minutes": cooloff_minutes()}


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address for the lockout (AXES_CLIENT_IP_CALLABLE).

    Behind ``AXES_PROXY_COUNT`` trusted proxies the client is the entry the outermost of them added to
    X-Forwarded-For, counted from the right; anything further left was sent by the client and is
    ignored. With no proxy configured, REMOTE_ADDR. (django-ipware is not installed, so without this
    axes would see only the proxy's own address: every user would share one lockout counter.)
    """
    count = settings.AXES_IPWARE_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def _http_request(request: Any) -> HttpRequest:
    # A DRF Request wraps the HttpRequest; axes flags the inner one, which the middleware sees.
    return getattr(request, "_request", request)


def authenticate_or_lockout(request: Any, username: str, password: str) -> User:
    """Return the user for these credentials, counting failures towards the axes lockout.

    Raise ``AccountLockedOut`` (429) when this user+address is locked (including on the failure that
    locks it), ``ValidationError`` (400) for wrong credentials or an inactive account,
    ``PasswordChangeRequired`` (403) while the password is still an admin's one-time one. On success the
    login is announced like a form login: last_login, the axes counter reset and an ``auth.login``
    trace entry (``via: api``), but no login session (axes may still create an empty one for its access log).
    """
    http_request = _http_request(request)
    user = authenticate(request=http_request, username=username, password=password)
    if getattr(http_request, "axes_locked_out", False):
        raise AccountLockedOut(lockout_message())
    if user is None:
        raise ValidationError(_("用户名或密码错误"), fields={"password": [_("用户名或密码错误")]})
    if getattr(user, "must_change_password", False):
        # A one-time password is known to the admin who set it: it opens the password page only.
        raise PasswordChangeRequired(_("请先登录网页修改管理员设置的一次性密码"))
    user_logged_in.send(sender=user.__class__, request=http_request, user=user)
    return user


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """Answer a locked-out attempt (AXES_LOCKOUT_CALLABLE): the API error shape under /api/, else the Chinese page."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response: HttpResponse
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        body = AccountLockedOut(lockout_message()).as_dict()
        response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": cooloff_minutes()}
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
    response["Retry-After"] = retry_after
    return response
