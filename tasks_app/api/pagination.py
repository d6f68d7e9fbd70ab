"""Keyset (cursor) pagination: pages are "rows after this key", so inserts never shift or repeat a row.

The cursor is an opaque base64 token holding the last row's key, e.g. ``(sort_key, id)`` for tasks.
Rows inserted before the cursor are not seen by the following pages; rows inserted after it are.
No COUNT query is ever run.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from reform.errors import ValidationError


class KeysetPagination(BasePagination):
    """Order by ``ordering`` (all ascending, or all descending with ``descending``) and page by key."""

    ordering: tuple[str, ...] = ("id",)
    key_types: tuple[type, ...] = (int,)
    descending = False
    default_page_size = 50
    max_page_size = 500
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        self.next_token: str | None = None
        self.request: Request | None = None

    # --- reading the request -------------------------------------------------------------------

    def page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.default_page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            message = _("每页条数应为 1 到 %(max)d 之间的整数") % {"max": self.max_page_size}
            raise ValidationError(message, fields={self.page_size_query_param: [message]})
        return size

    def decode(self, token: str) -> list[Any]:
        try:
            padded = token + "=" * (-len(token) % 4)
            key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        except (ValueError, UnicodeError):
            key = None
        if not (isinstance(key, list) and len(key) == len(self.ordering) and all(map(self.sane, key, self.key_types))):
            message = _("分页游标无效，请从第一页重新开始")
            raise ValidationError(message, fields={self.cursor_query_param: [message]})
        return key

    @staticmethod
    def sane(value: Any, kind: type) -> bool:
        """A key part the database can compare: the right type, no NUL, an int within BIGINT."""
        if isinstance(value, bool) or not isinstance(value, kind):
            return False
        if isinstance(value, int):
            return -(2**63) <= value < 2**63
        return "\x00" not in value

    @staticmethod
    def encode(key: list[Any]) -> str:
        raw = json.dumps(key, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    # --- the page ------------------------------------------------------------------------------

    def after(self, key: list[Any]) -> Q:
        """Rows strictly after ``key`` in the order; the leading ``>=`` lets the database range-scan an index."""
        op = "lt" if self.descending else "gt"
        lead = f"{self.ordering[0]}__{op}e"
        strictly = Q()
        for i in range(len(self.ordering)):
            step = Q(**{f"{self.ordering[i]}__{op}": key[i]})
            for j in range(i):
                step &= Q(**{self.ordering[j]: key[j]})
            strictly |= step
        return Q(**{lead: key[0]}) & strictly

    def order_by(self) -> list[str]:
        return [f"-{f}" if self.descending else f for f in self.ordering]

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any]:
        """Return one page of ``queryset`` (models or ``.values()`` dicts) and remember the next cursor."""
        self.request = request
        size = self.page_size(request)
        token = request.query_params.get(self.cursor_query_param)
        if token:
            queryset = queryset.filter(self.after(self.decode(token)))
        rows = list(queryset.order_by(*self.order_by())[: size + 1])
        self.next_token = self.encode(self.key_of(rows[size - 1])) if len(rows) > size else None
        return rows[:size]

    def key_of(self, row: Any) -> list[Any]:
        values = [row[f] if isinstance(row, dict) else getattr(row, f) for f in self.ordering]
        return [v if isinstance(v, (int, str)) else str(v) for v in values]

    def next_link(self) -> str | None:
        if self.next_token is None or self.request is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.next_token)

    def first_link(self) -> str | None:
        if self.request is None:
            return None
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.next_link(), "results": data})

    # --- the schema ----------------------------------------------------------------------------

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": _("下一页的完整地址（含 cursor 参数）；已是最后一页时为 null"),
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": _("分页游标：取上一页答复中 next 链接里的值；不传则从第一页开始"),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": _("每页条数，1 到 %(max)d，默认 %(default)d")
                % {"max": self.max_page_size, "default": self.default_page_size},
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class TaskPagination(KeysetPagination):
    """Tasks in tree order: ``sort_key`` (zero-padded code) then ``id``; up to 500 a page, 50 by default."""

    ordering = ("sort_key", "id")
    key_types = (str, int)


class NewestFirstPagination(KeysetPagination):
    """Newest first by id (notifications)."""

    ordering = ("id",)
    descending = True
    default_page_size = 30
    max_page_size = 200
