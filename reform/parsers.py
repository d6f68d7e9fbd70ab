"""Request body parsers of the API (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

Its own module: DRF imports the parser classes while ``rest_framework.views`` is still loading, so
this file imports nothing that imports the views.
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def json_depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a nesting limit (``API_JSON_MAX_DEPTH``) and Chinese errors.

    The body itself is already bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``; 100,000 nested brackets fit
    in that and would otherwise end in a ``RecursionError`` (a 500) inside the JSON decoder.
    """

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.API_JSON_MAX_DEPTH
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON 嵌套层数超过上限 %(n)d 层") % {"n": limit}) from exc
        except ParseError as exc:
            detail = str(exc.detail).removeprefix("JSON parse error - ")
            raise ParseError(_("不是有效的 JSON（%(detail)s）") % {"detail": detail[:120]}) from exc
        if json_depth(data) > limit:
            raise ParseError(_("JSON 嵌套层数超过上限 %(n)d 层") % {"n": limit})
        return data
