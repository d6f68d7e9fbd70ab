from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from indicators import rag


class Command(BaseCommand):
    help = "重新计算全部任务的红黄绿灯（与夜间任务相同，幂等：只写入发生变化的任务）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--chunk-size", type=int, default=5000, help="每批处理的任务数")

    def handle(self, *args: Any, **options: Any) -> None:
        result = rag.recompute_all(chunk_size=options["chunk_size"])
        self.stdout.write(
            f"已重新计算 {result['tasks']} 项任务的亮灯，其中 {result['changed']} 项发生变化；"
            f"红灯 {result['red']}，黄灯 {result['yellow']}，绿灯 {result['green']}，无灯 {result['none']}"
        )
