"""Input and output shapes of the task API.

Output of the task list and detail is built as plain dicts by ``tasks_app.selectors.api`` (DRF
serializers are too slow for 500 rows); the ``Task*`` serializers here describe those dicts for the
schema, and a test checks every answer against the schema. The supervision objects (a handful per
task) are serialised by the serializers below.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from indicators.models import Indicator, Measurement

from ..access import TRANSITION_RULES
from ..models import (
    CorrectionOrder,
    Evaluation,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    Programme,
    Rag,
    TaskShare,
)
from ..workflow import Status
from .filters import DIMENSIONS

TRANSITION_CHOICES = [(name, rule.label) for name, rule in TRANSITION_RULES.items()]
LONG_TEXT = 20000


def person(user: Any) -> str | None:
    """A person as the API shows them: their display name (null when nobody)."""
    return user.display_name if user is not None else None


@extend_schema_field({"type": "string", "nullable": True, "description": "姓名（无则为 null）"})
class PersonField(serializers.Field):
    """A user shown by display name (read-only)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return person(value)


# --- References ---------------------------------------------------------------------------------


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProgrammeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DomainRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TaskRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    rag = serializers.ChoiceField(choices=Rag.choices)


class ChildRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices, allow_null=True)
    status_label = serializers.CharField(allow_blank=True)
    rag = serializers.ChoiceField(choices=Rag.choices, allow_null=True)
    progress = serializers.FloatField()
    visible = serializers.BooleanField(
        help_text=gettext_lazy("false：其他单位负责、您无权查看的事项（已隐去名称、状态和亮灯）")
    )


# --- Tasks (schema of the dicts built in selectors.py) ------------------------------------------


class ProgrammeSerializer(serializers.Serializer):
    """A programme (专项) as ``/api/programmes/`` lists it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Programme.Kind.choices)
    kind_label = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    owner = UnitRefSerializer(allow_null=True, help_text=gettext_lazy("主办单位（组织推进的一级）；市级为 null"))
    is_default = serializers.BooleanField()
    is_active = serializers.BooleanField()
    home = serializers.BooleanField(help_text=gettext_lazy("是否调用者默认所在的专项"))
    domains = DomainRefSerializer(many=True, help_text=gettext_lazy("本专项的改革领域清单"))
    tasks = serializers.IntegerField(help_text=gettext_lazy("调用者在本专项中可见的任务数"))


class TaskSerializer(serializers.Serializer):
    """A task as listed by ``/api/tasks/``."""

    id = serializers.IntegerField()
    code = serializers.CharField(help_text=gettext_lazy("点分编号，如 2.3.1"))
    title = serializers.CharField()
    programme = ProgrammeRefSerializer(help_text=gettext_lazy("所属专项"))
    parent = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("上级任务编号（同一专项内）；重大任务为 null")
    )
    domain = DomainRefSerializer(help_text=gettext_lazy("改革领域：代码与名称"))
    dimensions = serializers.ListField(
        child=serializers.ChoiceField(choices=DIMENSIONS), help_text=gettext_lazy("治理、服务维度（可兼有）")
    )
    lead_unit = UnitRefSerializer()
    cooperating_units = UnitRefSerializer(many=True)
    owner = serializers.CharField(allow_blank=True, help_text=gettext_lazy("责任人（姓名）；未指定为空字符串"))
    start_date = serializers.DateField(allow_null=True)
    deadline = serializers.DateField(allow_null=True, help_text=gettext_lazy("完成时限；null 表示持续推进"))
    weight = serializers.FloatField()
    progress = serializers.FloatField(help_text=gettext_lazy("进度 0–100"))
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    rag = serializers.ChoiceField(choices=Rag.choices)
    rag_reason = serializers.CharField(allow_blank=True, help_text=gettext_lazy("亮灯原因"))
    allowed_transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=TRANSITION_CHOICES),
        help_text=gettext_lazy("调用者此刻可以执行的流转（POST /api/tasks/{id}/transitions/{name}/）"),
    )


class MeasurementSerializer(serializers.ModelSerializer):
    source_label = serializers.CharField(source="get_source_display")
    reported_by = PersonField()
    value = serializers.DecimalField(max_digits=18, decimal_places=4, coerce_to_string=False)

    class Meta:
        model = Measurement
        fields = ["id", "indicator", "period_end", "value", "evidence", "attachment", "source", "source_label"]
        fields += ["reported_by", "reported_at"]


class LatestValueSerializer(serializers.Serializer):
    period_end = serializers.DateField()
    value = serializers.FloatField()
    source = serializers.ChoiceField(choices=Measurement.Source.choices)
    reported_at = serializers.DateTimeField()


class IndicatorSerializer(serializers.Serializer):
    """An indicator with its latest value and achievement (0–120 %, direction-aware)."""

    id = serializers.IntegerField()
    task = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True, help_text=gettext_lazy("计量单位"))
    direction = serializers.ChoiceField(choices=Indicator.Direction.choices)
    direction_label = serializers.CharField()
    baseline_value = serializers.FloatField()
    baseline_date = serializers.DateField(allow_null=True)
    target_value = serializers.FloatField()
    target_date = serializers.DateField(allow_null=True)
    data_source = serializers.CharField(allow_blank=True)
    period_kind = serializers.ChoiceField(choices=Indicator.PeriodKind.choices)
    latest = LatestValueSerializer(allow_null=True, help_text=gettext_lazy("最近一期实测值；尚未填报为 null"))
    achievement = serializers.FloatField(allow_null=True, help_text=gettext_lazy("达成度 %（0–120）；无实测值为 null"))


class MilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    done_at = serializers.DateField(allow_null=True)


class MeasureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class TaskForceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = serializers.ListField(child=serializers.CharField())
    members_text = serializers.CharField(allow_blank=True)


class PolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    doc_number = serializers.CharField(allow_blank=True, help_text=gettext_lazy("文号"))
    issuer = serializers.CharField(allow_blank=True)
    issued_on = serializers.DateField(allow_null=True)
    url = serializers.CharField(allow_blank=True)


class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.FloatField()
    max_score = serializers.FloatField()
    method = serializers.CharField(allow_blank=True)
    scope = serializers.ChoiceField(
        choices=[("task", gettext_lazy("本任务")), ("domain", gettext_lazy("领域通用"))],
        help_text=gettext_lazy("本任务自有的标准，或沿用领域通用标准"),
    )


# --- Supervision objects -------------------------------------------------------------------------


class InstructionSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    state_label = serializers.CharField(source="get_state_display")
    author = PersonField()
    responded_by = PersonField()
    target_units = UnitRefSerializer(many=True)

    class Meta:
        model = Instruction
        fields = ["id", "task", "task_code", "text", "due_date", "target_units", "state", "state_label", "author"]
        fields += ["response", "responded_by", "responded_at", "review_comment", "created_at"]


class NoticeSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    level_label = serializers.CharField(source="get_level_display")
    source_label = serializers.CharField(source="get_source_display")
    state_label = serializers.CharField(source="get_state_display")
    issued_by = PersonField()
    lifted_by = PersonField()

    class Meta:
        model = Notice
        fields = ["id", "task", "task_code", "level", "level_label", "reason", "deadline", "source", "source_label"]
        fields += ["state", "state_label", "issued_by", "lifted_by", "lifted_at", "created_at"]


class AttachmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Any) -> str:
        return f"/attachments/{obj.pk}/"


class FeedbackSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    kind_label = serializers.CharField(source="get_kind_display")
    unit = UnitRefSerializer()
    submitted_by = PersonField()
    progress = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)
    attachments = AttachmentRefSerializer(many=True)

    class Meta:
        model = Feedback
        fields = ["id", "task", "task_code", "kind", "kind_label", "period_end", "text", "progress", "unit"]
        fields += ["submitted_by", "submitted_at", "on_time", "attachments"]


class ProblemSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    state_label = serializers.CharField(source="get_state_display")
    unit = UnitRefSerializer()
    reported_by = PersonField()
    responded_by = PersonField()

    class Meta:
        model = ProblemReport
        fields = ["id", "task", "task_code", "text", "unit", "reported_by", "state", "state_label", "response"]
        fields += ["responded_by", "responded_at", "created_at"]


class ShareSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    state_label = serializers.CharField(source="get_state_display")
    unit = UnitRefSerializer()
    created_by = PersonField()
    overdue = serializers.BooleanField(help_text=gettext_lazy("未完成且已过分工时限"))

    class Meta:
        model = TaskShare
        fields = ["id", "task", "task_code", "unit", "work", "deadline", "state", "state_label", "overdue"]
        fields += ["done_at", "done_note", "created_by", "created_at"]


class CorrectionSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    state_label = serializers.CharField(source="get_state_display")
    issued_by = PersonField()
    answered_by = PersonField()

    class Meta:
        model = CorrectionOrder
        fields = ["id", "task", "task_code", "requirement", "due_date", "issued_by", "state", "state_label"]
        fields += ["answer", "answered_by", "answered_at", "created_at"]


class ExtensionSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    state_label = serializers.CharField(source="get_state_display")
    requested_by = PersonField()
    decided_by = PersonField()

    class Meta:
        model = ExtensionRequest
        fields = ["id", "task", "task_code", "old_deadline", "requested_deadline", "reason", "requested_by"]
        fields += ["state", "state_label", "decided_by", "decided_at", "decision_comment", "created_at"]


class EvaluationSerializer(serializers.ModelSerializer):
    task_code = serializers.CharField(source="task.code")
    evaluator = PersonField()
    total = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    scores = serializers.DictField(
        child=serializers.CharField(), help_text=gettext_lazy("各项得分：评价标准 id（或 overall）→ 分数")
    )

    class Meta:
        model = Evaluation
        fields = ["id", "task", "task_code", "period_end", "scores", "total", "grade", "evaluator", "comment"]
        fields += ["created_at"]


class OpenSupervisionSerializer(serializers.Serializer):
    instructions = InstructionSerializer(many=True, help_text=gettext_lazy("未落实的批示"))
    notices = NoticeSerializer(many=True, help_text=gettext_lazy("未销号的督办"))
    corrections = CorrectionSerializer(many=True, help_text=gettext_lazy("整改中的整改通知"))
    extensions = ExtensionSerializer(many=True, help_text=gettext_lazy("待审批的延期申请"))
    problems = ProblemSerializer(many=True, help_text=gettext_lazy("未解决的问题反馈"))


class TaskDetailSerializer(TaskSerializer):
    """A task with its five systems and its open supervision objects."""

    description = serializers.CharField(allow_blank=True)
    depth = serializers.IntegerField()
    is_leaf = serializers.BooleanField()
    closed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    ancestors = TaskRefSerializer(many=True, help_text=gettext_lazy("上级任务，自重大任务起"))
    children = ChildRefSerializer(
        many=True,
        help_text=gettext_lazy(
            "下级任务；不在您可见范围内的只给出编号和进度（visible=false），名称为“其他单位负责的事项”"
        ),
    )
    indicators = IndicatorSerializer(many=True)
    milestones = MilestoneSerializer(many=True)
    measures = MeasureSerializer(many=True)
    task_forces = TaskForceSerializer(many=True)
    policies = PolicySerializer(many=True)
    criteria = CriterionSerializer(many=True, help_text=gettext_lazy("评价标准（本任务自有，否则领域通用）"))
    open = OpenSupervisionSerializer(help_text=gettext_lazy("未办结的督办对象"))


class TimelineItemSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text=gettext_lazy("留痕链序号"))
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_blank=True)
    actor_username = serializers.CharField(allow_blank=True, help_text=gettext_lazy("操作人用户名（姓名可能重复）"))
    action = serializers.CharField()
    label = serializers.CharField()
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    payload = serializers.DictField(child=serializers.JSONField(), help_text=gettext_lazy("原始留痕内容"))


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    link = serializers.CharField(allow_blank=True)
    task = serializers.IntegerField(source="task_id", allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    due_count = serializers.IntegerField(help_text=gettext_lazy("期内到期的事项数"))
    closed_on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("按期办结率 %"))
    average_score = serializers.FloatField(allow_null=True, help_text=gettext_lazy("期内评价平均分"))
    overdue_count = serializers.IntegerField()
    instructions_issued = serializers.IntegerField()
    instructions_on_time = serializers.IntegerField()
    follow_through_rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("批示落实率 %"))
    score = serializers.FloatField(help_text=gettext_lazy("综合得分"))


class RankingSerializer(serializers.Serializer):
    programme = ProgrammeRefSerializer()
    start = serializers.DateField()
    end = serializers.DateField()
    domain = DomainRefSerializer(allow_null=True)
    rows = RankingRowSerializer(many=True)


class ImportIssueSerializer(serializers.Serializer):
    sheet = serializers.CharField(allow_blank=True)
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportCountsSerializer(serializers.Serializer):
    tasks = serializers.IntegerField()
    indicators = serializers.IntegerField()
    policies = serializers.IntegerField()
    units = serializers.IntegerField()


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    sha256 = serializers.CharField(allow_blank=True)
    created = ImportCountsSerializer(help_text=gettext_lazy("新建（试导入时为将新建）的数量"))
    errors = ImportIssueSerializer(many=True)
    warnings = ImportIssueSerializer(many=True)


class ImportFailedSerializer(serializers.Serializer):
    """The error shape; with ``report`` when the file was read and has errors (nothing was saved)."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    report = ImportReportSerializer(required=False, help_text=gettext_lazy("逐个单元格的错误报告（文件已读取时）"))


class CountSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text=gettext_lazy("本次标记为已读的条数"))
