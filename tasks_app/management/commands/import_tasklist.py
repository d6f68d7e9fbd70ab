"""Import a task-list workbook (任务清单 / 指标体系 / 政策体系): all or nothing, every problem named by cell."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from reform.errors import DomainError
from tasks_app.models import Programme
from tasks_app.tasklist.importer import tasklist_import
from tasks_app.tasklist.report import ImportReport


def _where(issue: dict[str, Any]) -> str:
    parts = [issue["sheet"] or "文件"]
    if issue["row"]:
        parts.append(f"第 {issue['row']} 行")
    if issue["column"]:
        parts.append(f"“{issue['column']}”列")
    return " ".join(parts)


def format_report(report: ImportReport) -> str:
    """The report as a reader wants it: what was (or would be) created, then each error and warning by cell."""
    created = report.created
    counts = (
        f"任务 {created['tasks']} 项、指标 {created['indicators']} 项、"
        f"政策 {created['policies']} 项、新建单位 {created['units']} 个"
    )
    lines = []
    if not report.ok:
        lines.append(f"导入失败：发现 {len(report.errors)} 处错误，未保存任何数据。")
    elif report.dry_run:
        lines.append(f"试导入通过（未保存）：将新增{counts}。")
    else:
        lines.append(f"导入成功：新增{counts}。")
    if report.errors:
        lines.append("错误：")
        lines.extend(f"  [{_where(e)}] {e['message']}" for e in report.errors)
    if report.warnings:
        lines.append("提示：")
        lines.extend(f"  [{_where(w)}] {w['message']}" for w in report.warnings)
    return "\n".join(lines)


class Command(BaseCommand):
    help = "从 Excel（.xlsx）导入任务清单、指标体系和政策体系；有任何错误则不保存并以退出码 1 结束"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="任务清单 .xlsx 文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不保存")
        parser.add_argument("--create-units", action="store_true", help="自动新建不存在的单位（挂在最上级单位下）")
        parser.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")
        parser.add_argument("--user", help="以该督查室用户的身份导入（留痕记录操作人）；默认为系统")
        parser.add_argument("--programme", help="导入到该专项（名称或 id）；默认为用户所在的专项或默认专项")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"用户“{options['user']}”不存在")
        programme = None
        if options["programme"]:
            wanted = options["programme"].strip()
            programme = Programme.objects.filter(name=wanted).first() or (
                Programme.objects.filter(pk=int(wanted)).first() if wanted.isascii() and wanted.isdigit() else None
            )
            if programme is None:
                raise CommandError(f"专项“{wanted}”不存在")
        try:
            report = tasklist_import(
                actor=actor,
                file=options["file"],
                dry_run=options["dry_run"],
                create_units=options["create_units"],
                programme=programme,
            )
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self.stdout.write(format_report(report))
        if not report.ok:
            sys.exit(1)
