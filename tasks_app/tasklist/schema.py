"""The task-list template: sheets, columns, required columns, column widths, field lengths, accepted words, limits."""

from __future__ import annotations

from indicators.models import Indicator

TASK_SHEET = "任务清单"
INDICATOR_SHEET = "指标体系"
POLICY_SHEET = "政策体系"
SHEETS = (TASK_SHEET, INDICATOR_SHEET, POLICY_SHEET)

TASK_COLUMNS = (
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
)
INDICATOR_COLUMNS = (
    "任务编号",
    "指标名称",
    "计量单位",
    "指标方向",
    "基线值",
    "基线日期",
    "目标值",
    "目标日期",
    "数据来源",
)
POLICY_COLUMNS = ("任务编号", "政策名称", "文号", "发文机关", "发布日期")
COLUMNS = {TASK_SHEET: TASK_COLUMNS, INDICATOR_SHEET: INDICATOR_COLUMNS, POLICY_SHEET: POLICY_COLUMNS}
REQUIRED = {
    TASK_SHEET: ("编号", "任务名称", "牵头单位"),
    INDICATOR_SHEET: ("任务编号", "指标名称", "目标值"),
    POLICY_SHEET: ("任务编号", "政策名称"),
}
COLUMN_WIDTHS = {
    "编号": 10,
    "任务名称": 44,
    "领域": 18,
    "维度": 10,
    "牵头单位": 16,
    "配合单位": 28,
    "责任人": 10,
    "开始日期": 12,
    "完成时限": 12,
    "权重": 8,
    "工作举措": 48,
    "评价标准": 36,
    "任务编号": 10,
    "指标名称": 34,
    "计量单位": 10,
    "指标方向": 10,
    "基线值": 10,
    "基线日期": 12,
    "目标值": 10,
    "目标日期": 12,
    "数据来源": 20,
    "政策名称": 48,
    "文号": 22,
    "发文机关": 24,
    "发布日期": 12,
}
# Model field lengths, so an over-long cell is a row error instead of a database error.
MAX_LENGTHS = {
    "编号": 64,
    "任务名称": 300,
    "责任人": 64,
    "牵头单位": 100,
    "配合单位": 100,
    "指标名称": 200,
    "计量单位": 32,
    "数据来源": 200,
    "政策名称": 300,
    "文号": 100,
    "发文机关": 200,
}

DIMENSIONS = {"治理": "is_governance", "服务": "is_service"}
DIRECTIONS = {
    "正向": Indicator.Direction.HIGHER,
    "越高越好": Indicator.Direction.HIGHER,
    "反向": Indicator.Direction.LOWER,
    "越低越好": Indicator.Direction.LOWER,
}
NO_DEADLINE_WORDS = ("持续推进", "长期", "长期推进", "长期坚持", "常态化", "常态化推进", "持续")
BLANK_MARKS = {"-", "—", "——", "/", "无", "暂无"}

# Query ``code IN (…)`` in chunks: PostgreSQL takes at most 65,535 parameters per statement.
LOOKUP_CHUNK = 5_000
BULK_BATCH = 1_000
