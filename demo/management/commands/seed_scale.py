"""Generate a synthetic province-scale programme for benchmarks (refused under production settings)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.scale import seed_scale


class Command(BaseCommand):
    help = "生成省级规模的合成改革任务清单（用于性能测试；生产环境拒绝执行，只能在空的任务清单上运行）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--items", type=int, default=100_000, help="事项（最底层任务）数量，默认 100000")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（相同种子生成相同数据）")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith("production") or "production" in os.environ.get(
            "DJANGO_SETTINGS_MODULE", ""
        ):
            raise CommandError("生产环境禁止生成合成数据 (seed_scale refuses to run under production settings)")
        password = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
        try:
            counts = seed_scale(items=options["items"], seed=options["seed"], password=password, log=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        summary = "，".join(f"{k} {v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"合成数据已生成：{summary}"))
