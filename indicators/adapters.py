"""Source adapters: pull indicator values from other systems (data platforms, statistics bureaus).

A source is a :class:`MeasurementSource` whose ``fetch()`` yields :class:`MeasurementRow` objects in
the upload's shape (任务编号, 指标名称, 期间, 数值); ``indicators.services.measurements_pull`` feeds
them through the same checks as an upload, all or nothing. Sources register under a short kind so a
job or a setting can name one (``build_source("csv", location=...)``). A source that cannot be read
raises :class:`SourceError` with a Chinese message; the pull reports it as an error.

To add a system: subclass ``MeasurementSource``, implement ``fetch``, decorate with ``@register("kind")``.
"""

from __future__ import annotations

import abc
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .tabular import MeasurementRow, read_table

__all__ = ["REGISTRY", "CsvSource", "MeasurementRow", "MeasurementSource", "SourceError", "build_source", "register"]


class SourceError(Exception):
    """The source as a whole could not be read (unreachable, refused, malformed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MeasurementSource(abc.ABC):
    """A system that supplies indicator values."""

    kind = ""

    @property
    def label(self) -> str:
        """How the source is named in reports and in the trace."""
        return _("外部数据源")

    @abc.abstractmethod
    def fetch(self) -> Iterable[MeasurementRow]:
        """Return the rows to record; raise SourceError when the source cannot be read."""


REGISTRY: dict[str, type[MeasurementSource]] = {}


def register(kind: str) -> Callable[[type[MeasurementSource]], type[MeasurementSource]]:
    def decorate(cls: type[MeasurementSource]) -> type[MeasurementSource]:
        cls.kind = kind
        REGISTRY[kind] = cls
        return cls

    return decorate


def build_source(kind: str, **options: Any) -> MeasurementSource:
    """Instantiate the source registered as ``kind`` with ``options``."""
    try:
        cls = REGISTRY[kind]
    except KeyError as exc:
        raise SourceError(_("未知的数据源类型“%(k)s”") % {"k": kind}) from exc
    return cls(**options)


@register("csv")
class CsvSource(MeasurementSource):
    """A CSV (columns 任务编号, 指标名称, 期间, 数值[, 佐证材料]) at a local path or an http(s) URL."""

    def __init__(self, location: str | Path, *, timeout: float = 10.0) -> None:
        self.location = str(location)
        self.timeout = timeout

    @property
    def label(self) -> str:
        return _("CSV 数据源 %(loc)s") % {"loc": self.location}

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))

    def read(self) -> bytes:
        limit = settings.IMPORT_MAX_BYTES
        if self.is_url:
            try:
                # The scheme is checked above: only http(s), never file:// or ftp://.
                with urllib.request.urlopen(self.location, timeout=self.timeout) as response:  # noqa: S310
                    content = response.read(limit + 1)
            except urllib.error.HTTPError as exc:
                raise SourceError(
                    _("数据源返回错误 %(code)s：%(loc)s") % {"code": exc.code, "loc": self.location}
                ) from exc
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise SourceError(_("无法连接数据源：%(loc)s") % {"loc": self.location}) from exc
        elif "://" in self.location:
            raise SourceError(_("只支持本地路径或 http(s) 地址：%(loc)s") % {"loc": self.location})
        else:
            try:
                with Path(self.location).open("rb") as handle:
                    content = handle.read(limit + 1)
            except OSError as exc:
                raise SourceError(_("无法读取数据源文件：%(loc)s") % {"loc": self.location}) from exc
        if len(content) > limit:
            raise SourceError(_("数据源内容过大：%(loc)s") % {"loc": self.location})
        return content

    def fetch(self) -> Iterable[MeasurementRow]:
        rows, errors, _sheet = read_table(name="source.csv", content=self.read(), sheet=self.label)
        if errors:
            raise SourceError("；".join(e["message"] for e in errors))
        return rows
