"""Build the Chinese demo: units, accounts, the task list and its supervision history.

Idempotent (a second run changes nothing) and refused under production settings. Everything is
made through the same services users call, so the trace is real.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.build import build_demo
from trail.models import TraceVerification
from trail.verify import verify_and_record


class Command(BaseCommand):
    help = "载入中文演示数据（幂等；生产环境拒绝执行）"

    def handle(self, *args: object, **options: object) -> None:
        # Under override_settings (a live test server) SETTINGS_MODULE reads None: ask the environment.
        module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
        if module.endswith("production"):
            raise CommandError("生产环境禁止载入演示数据 (load_demo refuses to run under production settings)")
        summary = build_demo(stdout=self.stdout)
        # Walk the chain once, as the nightly job would, so the demo's readiness report and the admin's
        # 留痕核验记录 show a verified trace from the start.
        verified = verify_and_record(TraceVerification.Source.COMMAND)
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已就绪：{summary}；留痕链核验{'完整' if verified.ok else '断裂'}")
        )
