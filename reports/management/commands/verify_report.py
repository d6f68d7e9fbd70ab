"""Check a report against the trace: the chain is intact, the printed chain hash is that of the entry it
names, and the stored PDF is the one that was built. Exit 0 when all hold, 1 otherwise."""

from __future__ import annotations

import hashlib
import sys

from django.core.management.base import BaseCommand, CommandError

from reports.models import Report
from trail.models import TraceEntry
from trail.verify import verify_chain


class Command(BaseCommand):
    help = "核验报告：留痕链完整、报告所印链哈希与留痕记录一致、报告文件未被改动"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("report_id", type=int, help="系统报告编号（见报告末页“数据来源与核验”）")

    def handle(self, *args: object, **options: object) -> None:
        report = Report.objects.filter(pk=options["report_id"]).first()
        if report is None:
            raise CommandError(f"没有编号为 {options['report_id']} 的报告")
        if report.status != Report.Status.DONE:
            raise CommandError(f"报告尚未生成完成（当前状态：{report.get_status_display()}）")
        problems = []
        chain = verify_chain()
        if not chain.ok:
            problems.append(f"留痕链已断裂：序号 {chain.broken_seq}：{chain.reason}")
        if report.trace_last_seq:
            stored = TraceEntry.objects.filter(seq=report.trace_last_seq).values_list("hash", flat=True).first()
            if stored != report.chain_hash:
                problems.append(f"第 {report.trace_last_seq} 条留痕记录的哈希与报告所印不一致")
        if report.file:
            with report.file.open("rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            if digest != report.sha256:
                problems.append("报告文件与生成时不一致（SHA-256 不同）")
        if problems:
            for problem in problems:
                self.stdout.write(f"核验失败：{problem}")
            sys.exit(1)
        self.stdout.write(
            f"核验通过：“{report.title}”（{report.doc_number}）依据留痕第 {report.trace_first_seq}—"
            f"{report.trace_last_seq} 条，链哈希 {report.chain_hash}；留痕链完整（共 {chain.count} 条）；文件未被改动。"
        )
