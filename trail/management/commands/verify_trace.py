"""Walk the trace hash chain: exit 0 with the count and head hash when intact, 1 naming the first broken entry."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand

from trail.models import TraceVerification
from trail.verify import verify_and_record


class Command(BaseCommand):
    help = "核验留痕哈希链是否完整（完整退出码 0，被篡改退出码 1 并指出第一条断裂记录）；结果记入核验记录"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        result = verify_and_record(TraceVerification.Source.COMMAND)
        elapsed = time.perf_counter() - started
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": result.ok,
                        "count": result.count,
                        "head_hash": result.head_hash,
                        "broken_id": result.broken_id,
                        "broken_seq": result.broken_seq,
                        "reason": result.reason,
                        "seconds": round(elapsed, 3),
                    },
                    ensure_ascii=False,
                )
            )
        elif result.ok:
            self.stdout.write(
                f"留痕链完整：共 {result.count} 条记录，链头哈希 {result.head_hash}（用时 {elapsed:.1f} 秒）"
            )
        else:
            self.stdout.write(
                f"留痕链已断裂：第一条异常记录 id={result.broken_id}（序号 {result.broken_seq}）：{result.reason}；"
                f"此前 {result.count} 条记录完整"
            )
        if not result.ok:
            sys.exit(1)
