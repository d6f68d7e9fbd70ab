from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from indicators.stored_values import limit_text, out_of_range_values


class Command(BaseCommand):
    help = (
        "检查已保存的指标实测值、轨迹目标、基线值和目标值是否超出允许范围（绝对值不小于 1,000,000,000,000）；"
        "发现时逐条列出并以非零状态退出。超出字段精度、页面无法读取的实测值已对页面隐藏，重新填报该期即可替换。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = out_of_range_values()
        if not found:
            self.stdout.write(f"未发现超出范围的指标数值（绝对值上限 {limit_text()}）")
            return
        for value in found:
            state = "（页面无法读取，已隐藏）" if value.unreadable else ""
            period = f" 期末 {value.period_end}" if value.period_end else ""
            self.stdout.write(
                f"{value.model} #{value.pk} 指标 #{value.indicator_id}{period} {value.field} = {value.value}{state}"
            )
        raise CommandError(f"发现 {len(found)} 个超出范围的指标数值，请核实后重新填报或更正")
