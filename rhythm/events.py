"""Rhythm event types: a ten-day report not filed by its due date (traced once, the unit is told)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trail.events import Audience, EventType

REPORT_MISSED = EventType(
    "report.missed", _("旬报未按时报送"), audience=Audience.LEAD_UNIT, title="旬报未按时报送：{task}"
)
