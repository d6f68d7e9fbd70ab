"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

``RequestIdMiddleware`` takes the id from the proxy's ``X-Request-ID`` header (or makes a uuid4),
keeps it in a context variable for the life of the request and returns it on the response.
``RequestIdFilter`` copies it onto every log record, whichever logger wrote it, and
``JsonFormatter`` renders the record. ``GunicornJsonLogger`` gives gunicorn's own error and access
logs the same shape, so one log pipeline reads web, worker and proxy-side lines alike.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.core.signals import request_finished
from gunicorn import glogging

REQUEST_ID_HEADER = "X-Request-ID"
NO_REQUEST = "-"
# Ids from the proxy are trusted only in a shape that cannot forge log lines or bloat them.
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str:
    """Return the id of the request being served, or ``"-"`` outside a request."""
    return request_id_var.get()


def clean_request_id(candidate: str | None) -> str:
    """Return ``candidate`` if it is a well-formed id, else a new uuid4 (hex)."""
    if candidate and _VALID_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id: the proxy's ``X-Request-ID`` when well formed, else a new uuid4."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Kept until request_finished, not reset on the way out: Django logs 4xx/5xx responses
        # ("Not Found: …", tracebacks) after the middleware chain has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


def _forget_request_id(**kwargs: Any) -> None:
    request_id_var.set(NO_REQUEST)


request_finished.connect(_forget_request_id, dispatch_uid="reform.logging.forget_request_id")


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record that passes (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get()
        return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


class JsonFormatter(logging.Formatter):
    """Render a record as one line of JSON: time, level, logger, message, request id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = _jsonable(value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class GunicornJsonLogger(glogging.Logger):
    """gunicorn's logger with JSON lines: error log as ``JsonFormatter`` records, access log as fields."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        try:
            response_headers = {str(k).lower(): v for k, v in (resp.headers or [])}
            request_headers = {str(k).lower(): v for k, v in getattr(req, "headers", [])}
            status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
            duration_ms = round(request_time.seconds * 1000 + request_time.microseconds / 1000, 3)
            fields = {
                "request_id": response_headers.get("x-request-id") or request_headers.get("x-request-id") or "-",
                "remote_addr": environ.get("REMOTE_ADDR", "-"),
                "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR", ""),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "query": environ.get("QUERY_STRING", ""),
                "protocol": environ.get("SERVER_PROTOCOL"),
                "status": int(status),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": duration_ms,
                "referer": environ.get("HTTP_REFERER", ""),
                "user_agent": environ.get("HTTP_USER_AGENT", ""),
            }
            message = f"{fields['method']} {fields['path']} {fields['status']}"
            self.access_log.info(message, extra=fields)
        except Exception:
            self.error_log.exception("access log line failed")
