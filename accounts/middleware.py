"""Session timeouts and the forced first-login password change."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

SESSION_STARTED = "_session_started_at"
SESSION_SEEN = "_session_seen_at"
# Automatic polls (the cockpit's auto-refresh) send this header; they are not a person at the keyboard,
# so they do not extend the idle timeout (they are still refused once it has passed).
BACKGROUND_HEADER = "X-Reform-Background"


class SessionTimeoutMiddleware:
    """Log a user out after ``SESSION_IDLE_TIMEOUT`` idle seconds or ``SESSION_ABSOLUTE_TIMEOUT`` in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            started = request.session.get(SESSION_STARTED)
            seen = request.session.get(SESSION_SEEN)
            if started is None:
                request.session[SESSION_STARTED] = now
            elif now - started > settings.SESSION_ABSOLUTE_TIMEOUT or (
                seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT
            ):
                # Read by the logout trace receiver (accounts.signals), so the audit shows why.
                expired_in_all = now - started > settings.SESSION_ABSOLUTE_TIMEOUT
                request.logout_reason = "absolute_timeout" if expired_in_all else "idle_timeout"  # type: ignore[attr-defined]
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                query = urlencode({"next": request.get_full_path(), "expired": 1})
                return redirect(f"{settings.LOGIN_URL}?{query}")
            if seen is None or not request.headers.get(BACKGROUND_HEADER):
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Send a user with a one-time password to the password change page before anything else."""

    ALLOWED_PREFIXES = ("/accounts/password_change/", "/accounts/logout/", "/static/", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                # The same session must not reach the API round the web page's redirect.
                message = _("请先修改管理员设置的一次性密码")
                body = {"code": "password_change_required", "message": message, "fields": {}}
                return JsonResponse(body, status=403, json_dumps_params={"ensure_ascii": False})
            return redirect("/accounts/password_change/")
        return self.get_response(request)


class LanguageMiddleware:
    """Chinese unless the user chose another language (cookie or ?lang); the browser's wish is ignored.

    Government staff often run English-language browsers; the product's working language is Chinese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        available = {code for code, _ in settings.LANGUAGES}
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
