"""Export the task list (or one subtree) in the import template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from reform.errors import DomainError
from tasks_app.tasklist.export import tasklist_export


class Command(BaseCommand):
    help = "把任务清单（含指标体系、政策体系）导出为 Excel（.xlsx），格式与导入模板相同"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, help="输出的 .xlsx 文件")
        parser.add_argument("--root", help="只导出该编号的任务及其下级任务")
        parser.add_argument("--user", help="以该督查室用户的身份导出；默认为系统")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"用户“{options['user']}”不存在")
        try:
            data = tasklist_export(actor=actor, root_code=options["root"])
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        path = Path(options["output"])
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"无法写入“{path}”：{exc.strerror}") from exc
        self.stdout.write(f"已导出到 {path}（{len(data) // 1024 + 1} KB）")
