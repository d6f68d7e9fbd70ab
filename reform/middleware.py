"""Answering a busy database (SQLite's "database is locked" after its busy timeout) as a conflict: 409.

DRF views get the same answer from ``reform.errors.api_exception_handler``; this covers everything else
(the web pages, the cockpit, a write that raced past the view).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from .errors import busy_conflict, database_busy, is_api_request

log = logging.getLogger(__name__)


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_busy(exception):
            return None
        log.warning("database busy, answered 409: %s %s", request.method, request.path)
        conflict = busy_conflict()
        if is_api_request(request):
            return JsonResponse(conflict.as_dict(), status=409, json_dumps_params={"ensure_ascii": False})
        html = loader.get_template("409.html").render({"message": conflict.message}, request)
        return HttpResponse(html, status=409)
