"""Celery adapter: build one report. Idempotent (a done or running report is left alone) and safe to redeliver."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def build_report(report_id: int) -> str:
    report = services.report_build(report_id)
    return report.status if report is not None else "missing"
