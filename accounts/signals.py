"""Trace every login, logout, failed login and lockout (留痕); never the password."""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from trail.events import EventType

from . import events
from .middleware import SESSION_SEEN, SESSION_STARTED


def _ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(getattr(request, "axes_ip_address", "") or request.META.get("REMOTE_ADDR", ""))


def _record(
    event: EventType, *, user: Any = None, username: str = "", request: HttpRequest | None = None, **extra: str
) -> None:
    with transaction.atomic():
        event(
            actor=user,
            payload={"username": username or getattr(user, "username", ""), "ip": _ip(request), **extra},
        )


@receiver(user_logged_in)
def trace_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    via = "api"
    if request is not None and hasattr(request, "session") and SESSION_KEY in request.session:
        # A form login: both timeouts count from the login itself. A token issued by
        # the API (accounts.auth.authenticate_or_lockout) starts no session.
        request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = time.time()
        via = "web"
    _record(events.LOGGED_IN, user=user, request=request, via=via)


@receiver(user_logged_out)
def trace_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record(events.LOGGED_OUT, user=user, request=request, reason=getattr(request, "logout_reason", "user"))


@receiver(user_login_failed)
def trace_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    _record(events.LOGIN_FAILED, username=str(credentials.get("username", ""))[:150], request=request)


@receiver(user_locked_out)
def trace_lockout(sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any) -> None:
    _record(events.LOCKED_OUT, username=username or "", request=request)
