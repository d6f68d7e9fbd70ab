"""Benchmark: generate a 20,000-row task list and time its import (and export) end to end.

By default the database is a fresh SQLite file (the brief's target: ≤ 20 s on SQLite on a 2-core
machine); ``--postgres`` uses a throwaway PostgreSQL database ``reform_bench_import`` instead.

    .venv/bin/python benchmarks/import_tasklist.py --rows 20000
    .venv/bin/python benchmarks/import_tasklist.py --rows 20000 --postgres
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import ROOT, setup_django  # noqa: E402

DOMAINS = ["党政机关整体智治", "数字政府", "数字经济", "数字社会", "数字法治"]


def build_workbook(rows: int, units: list[str]) -> tuple[bytes, dict[str, int]]:
    """A three-level list (major → 10 sub-tasks → items) with measures, criteria, indicators and policies."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    tasks = wb.create_sheet("任务清单")
    tasks.append(
        [
            "编号",
            "任务名称",
            "领域",
            "维度",
            "牵头单位",
            "配合单位",
            "责任人",
            "开始日期",
            "完成时限",
            "权重",
            "工作举措",
            "评价标准",
        ]
    )
    items: list[str] = []
    written = 0
    major = 0
    deadlines = ["2026-12-31", "2026年12月", "2027/6/30", "2026年底", "持续推进", "2027年3月31日"]
    while written < rows:
        major += 1
        tasks.append([str(major), f"重大任务{major}", DOMAINS[major % 5], "治理、服务", units[major % len(units)]])
        written += 1
        for sub in range(1, 11):
            if written >= rows:
                break
            code = f"{major}.{sub}"
            tasks.append([code, f"子任务{code}", "", "治理", units[(major + sub) % len(units)], "", "", "2026-01-01"])
            written += 1
            for item in range(1, 200):
                if written >= rows or item > (rows // 1000 + 8):
                    break
                code = f"{major}.{sub}.{item}"
                lead = units[(major + sub + item) % len(units)]
                coop = "、".join({units[(major + item) % len(units)], units[(sub + item) % len(units)]} - {lead})
                tasks.append(
                    [
                        code,
                        f"推进第{code}项数字化改革事项",
                        "",
                        "服务",
                        lead,
                        coop,
                        "张三",
                        "2026/2/1",
                        deadlines[item % len(deadlines)],
                        2 if item % 7 == 0 else None,
                        "制定实施方案\n完成系统上线",
                        "按期完成率（60%）\n群众满意度（40%）",
                    ]
                )
                items.append(code)
                written += 1
    indicators = wb.create_sheet("指标体系")
    indicators.append(
        ["任务编号", "指标名称", "计量单位", "指标方向", "基线值", "基线日期", "目标值", "目标日期", "数据来源"]
    )
    indicator_codes = items[::4]
    for n, code in enumerate(indicator_codes):
        direction = "反向" if n % 5 == 0 else "正向"
        indicators.append([code, "事项办结率", "", direction, "60%", "2025-12-31", "≥90%", "2026年底", "业务系统"])
    policies = wb.create_sheet("政策体系")
    policies.append(["任务编号", "政策名称", "文号", "发文机关", "发布日期"])
    policy_codes = items[::4]
    for n, code in enumerate(policy_codes):
        number = n % 200 + 1
        policies.append(
            [code, f"数字化改革配套政策第{number}号", f"演政发〔2026〕{number}号", "演示市人民政府", "2026-03-01"]
        )
    out = io.BytesIO()
    wb.save(out)
    counts = {
        "indicators": len(indicator_codes),
        "policy_rows": len(policy_codes),
        "policies": min(200, len(policy_codes)),
    }
    return out.getvalue(), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL (database reform_bench_import)")
    args = parser.parse_args()
    if not args.postgres and "DATABASE_URL" not in os.environ:
        out_dir = ROOT / "benchmarks" / "out"
        out_dir.mkdir(parents=True, exist_ok=True)
        db = out_dir / "import_tasklist.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    setup_django("reform_bench_import")

    from django.db import connection

    from orgs.models import OrgUnit
    from orgs.services import orgunit_create
    from tasks_app.bootstrap import ensure_reference_data
    from tasks_app.models import Task
    from tasks_app.tasklist.export import tasklist_export
    from tasks_app.tasklist.importer import tasklist_import
    from trail.verify import verify_chain

    ensure_reference_data()
    city = OrgUnit.objects.filter(parent__isnull=True).first() or orgunit_create(
        actor=None, name="演示市人民政府", short_code="CITY", level="city"
    )
    units = []
    for n in range(1, 21):
        name = f"市直单位{n:02d}"
        unit = OrgUnit.objects.filter(name=name).first()
        units.append(
            (unit or orgunit_create(actor=None, name=name, short_code=f"B{n:02d}", level="city", parent=city)).name
        )

    started = time.perf_counter()
    data, counts = build_workbook(args.rows, units)
    built = time.perf_counter() - started
    print(
        f"database: {connection.vendor}; workbook: {args.rows:,} task rows, {counts['indicators']:,} indicator rows, "
        f"{counts['policy_rows']:,} policy rows ({len(data) / 1024 / 1024:.1f} MB, built in {built:.1f} s)"
    )

    started = time.perf_counter()
    report = tasklist_import(actor=None, file=io.BytesIO(data), dry_run=True)
    dry = time.perf_counter() - started
    assert report.ok, report.errors[:5]
    print(f"dry run (parse + check, nothing saved): {dry:.1f} s")

    started = time.perf_counter()
    report = tasklist_import(actor=None, file=io.BytesIO(data))
    elapsed = time.perf_counter() - started
    assert report.ok, report.errors[:5]
    assert Task.objects.count() == args.rows
    print(f"import: {elapsed:.1f} s — created {report.created}")

    started = time.perf_counter()
    exported = tasklist_export(actor=None)
    print(f"export: {time.perf_counter() - started:.1f} s ({len(exported) / 1024 / 1024:.1f} MB)")

    started = time.perf_counter()
    result = verify_chain()
    print(
        f"verify_trace: {'ok' if result.ok else 'BROKEN'} over {result.count:,} entries "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
