"""Receivers for work done elsewhere that changes the figures without writing trace entries."""

from __future__ import annotations

from typing import Any

from . import services

LIGHT_RECOMPUTE_TASK = "indicators.tasks.recompute_lights_nightly"


def after_task(sender: Any = None, state: str | None = None, **kwargs: Any) -> None:
    """Celery ``task_postrun``: the nightly light recompute changes lights without trace entries, so compare again."""
    if getattr(sender, "name", "") == LIGHT_RECOMPUTE_TASK and state == "SUCCESS":
        services.rollup_rebuild("nightly light recompute")
