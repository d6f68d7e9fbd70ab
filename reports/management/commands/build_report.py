"""Build a report synchronously with the same builder the Celery task uses, and write the PDF to a file.

    manage.py build_report --kind bulletin --scope programme --period 2026-11-2 -o 通报.pdf

The report is recorded like one requested on the page (issue number, parameters, trace anchor).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reform.errors import DomainError
from reports import services
from reports.models import Report


class Command(BaseCommand):
    help = "生成报告（督查通报/旬报汇总/月报/任务档案）并写入 PDF 文件"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--kind", required=True, choices=Report.Kind.values, help="bulletin|tenday|monthly|dossier")
        parser.add_argument(
            "--scope", default="programme", help="programme | domain:<领域代码> | unit:<单位编号> | task:<任务编号>"
        )
        parser.add_argument("--period", default="", help="2026-11（月）或 2026-11-2（旬）；默认当前期间")
        parser.add_argument("-o", "--output", required=True, help="输出的 PDF 文件路径")

    def handle(self, *args: object, **options: object) -> None:
        try:
            report = services.queue_report(
                actor=None,
                kind=str(options["kind"]),
                scope=str(options["scope"]),
                period=str(options["period"] or ""),
                schedule=False,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        built = services.report_build(report.pk)
        assert built is not None
        if built.status != Report.Status.DONE:
            self.stderr.write(built.error)
            sys.exit(1)
        output = Path(str(options["output"]))
        output.parent.mkdir(parents=True, exist_ok=True)
        with built.file.open("rb") as source, output.open("wb") as target:
            shutil.copyfileobj(source, target)
        timings = "，".join(f"{k} {v:.2f}s" for k, v in built.timings.items())
        self.stdout.write(
            f"已生成“{built.title}”（{built.doc_number}，{built.page_count} 页）→ {output}；耗时：{timings}；"
            f"依据留痕第 {built.trace_first_seq}—{built.trace_last_seq} 条"
        )
