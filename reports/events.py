"""Report event types: a bulletin or report asked for, and asked for again after a failure."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trail.events import EventType

REPORT_REQUESTED = EventType("report.request", _("申请生成报告"))
REPORT_RETRIED = EventType("report.retry", _("重新生成报告"))
