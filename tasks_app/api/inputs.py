"""What the task API accepts: one input serializer per action (named in ``tasks_app.actions``) and the import.

Each validates the request body into exactly the keyword arguments of its service.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orgs.models import OrgUnit
from reform.params import MAX_ID, PlausibleDateField

from ..models import Feedback, Notice, Programme
from ..services.handdown import MAX_PARTS, Part
from ..workflow import Status

LONG_TEXT = 20000


def text_field(*, required: bool = True, label: Any = None, **kwargs: Any) -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=LONG_TEXT, label=label, **kwargs)
    return serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True, default="", **kwargs)


class TransitionInput(serializers.Serializer):
    expected_status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text=gettext_lazy("乐观锁：调用者看到的状态；任务已被他人改变时答复 409"),
    )


class AssignInput(TransitionInput):
    comment = text_field(required=False)


class AcceptInput(TransitionInput):
    pass


class SubmitCompletionInput(TransitionInput):
    summary = text_field(label=gettext_lazy("办结情况"))
    correction_answer = text_field(required=False, help_text=gettext_lazy("有整改通知时必填：整改情况"))
    open_children_reason = text_field(required=False, help_text=gettext_lazy("下级事项尚未全部办结时必填：说明原因"))


class DeclineInput(TransitionInput):
    reason = text_field(label=gettext_lazy("退回理由"))


class ReassignInput(TransitionInput):
    lead_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("改派给的单位 id；不传则维持原牵头单位"),
    )
    comment = text_field(required=False)


class UnitSignoffInput(TransitionInput):
    approve = serializers.BooleanField(
        help_text=gettext_lazy("true 审核通过报送督查室，false 退回经办人（须填写 comment）")
    )
    comment = text_field(required=False)


class RequestCorrectionInput(TransitionInput):
    requirement = text_field(label=gettext_lazy("整改要求"))
    due_date = PlausibleDateField(label=gettext_lazy("整改时限"))


class ApproveInput(TransitionInput):
    comment = text_field(required=False)


class EvaluateInput(TransitionInput):
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False),
        allow_empty=False,
        help_text=gettext_lazy('各项得分：评价标准 id → 分数；没有评价标准时用 {"overall": 0–100}'),
    )
    comment = text_field(required=False)
    period_end = PlausibleDateField(required=False, help_text=gettext_lazy("评价期，默认今天"))


class ReasonInput(TransitionInput):
    reason = text_field(label=gettext_lazy("理由"))


class InstructionIssueInput(serializers.Serializer):
    text = text_field(label=gettext_lazy("批示内容"))
    due_date = PlausibleDateField(label=gettext_lazy("回复时限"))
    target_units = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=200,
        help_text=gettext_lazy("承办单位 id；不传则为牵头单位"),
    )

    def validate_target_units(self, ids: list[int]) -> list[OrgUnit]:
        units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=set(ids))}
        missing = sorted(set(ids) - set(units))
        if missing:
            raise serializers.ValidationError(_("单位不存在：%(ids)s") % {"ids": "、".join(map(str, missing))})
        return [units[i] for i in dict.fromkeys(ids)]


class InstructionAnswerInput(serializers.Serializer):
    response = text_field(label=gettext_lazy("回复内容"))


class ReviewInput(serializers.Serializer):
    approve = serializers.BooleanField(help_text=gettext_lazy("true 同意，false 退回/驳回（须填写 comment）"))
    comment = text_field(required=False)


class NoticeIssueInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=Notice.Level.choices)
    reason = text_field(label=gettext_lazy("督办事由"))
    deadline = PlausibleDateField(required=False, allow_null=True, default=None)


class CommentInput(serializers.Serializer):
    comment = text_field(required=False)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "number"},
        "description": "指标 id → 本期数值（multipart 中为同样内容的 JSON 字符串）",
    }
)
class IndicatorValuesField(serializers.Field):
    """``{"<indicator id>": value}``, as a JSON object (JSON body) or a JSON string (multipart form)."""

    default_error_messages = {"invalid": gettext_lazy("应为对象：指标 id → 数值")}

    def to_internal_value(self, data: Any) -> dict[int, Any]:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        values: dict[int, Any] = {}
        for key, value in data.items():
            key_text = str(key)
            if not (key_text.isascii() and key_text.isdigit()) or int(key_text) > MAX_ID:
                self.fail("invalid")
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, str))):
                self.fail("invalid")
            values[int(key_text)] = value
        return values

    def to_representation(self, value: Any) -> Any:
        return value


class FeedbackInput(serializers.Serializer):
    text = text_field(label=gettext_lazy("工作进展"))
    progress = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices, default=Feedback.Kind.TENDAY)
    period_end = PlausibleDateField(required=False, allow_null=True, default=None)
    indicator_values = IndicatorValuesField(required=False, default=dict)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list, max_length=20
    )


class ProblemReportInput(serializers.Serializer):
    text = text_field(label=gettext_lazy("问题描述"))


class ProblemAnswerInput(serializers.Serializer):
    response = text_field(label=gettext_lazy("答复内容"))
    resolve = serializers.BooleanField(default=False, help_text=gettext_lazy("true：同时标记为已解决"))


class ExtensionRequestInput(serializers.Serializer):
    requested_deadline = PlausibleDateField(label=gettext_lazy("申请延至"))
    reason = text_field(label=gettext_lazy("申请理由"))


class TasklistImportInput(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("任务清单 .xlsx（导入模板格式）"))
    dry_run = serializers.BooleanField(default=False, help_text=gettext_lazy("只检查，不保存"))
    create_units = serializers.BooleanField(default=False, help_text=gettext_lazy("自动新建文件中不存在的单位"))
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("导入到哪个专项（id）；不传则为调用者所在的专项"),
    )


class SetShareInput(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), help_text=gettext_lazy("配合单位 id（须是该任务的配合单位）")
    )
    work = text_field(label=gettext_lazy("分工内容"))
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("分工时限；不传则随任务时限")
    )


class ShareReportInput(serializers.Serializer):
    text = text_field(label=gettext_lazy("进展情况"))
    done = serializers.BooleanField(default=False, help_text=gettext_lazy("true：报告该分工已完成"))


class ShareReopenInput(serializers.Serializer):
    reason = text_field(label=gettext_lazy("退回理由"))


class PartInput(serializers.Serializer):
    title = serializers.CharField(max_length=300, label=gettext_lazy("事项名称"))
    lead_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), help_text=gettext_lazy("承办单位 id：牵头单位的下级单位或内设处室")
    )
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy("不传则与上级事项相同")
    )
    description = text_field(required=False)


class HandDownInput(TransitionInput):
    parts = PartInput(many=True, allow_empty=False, max_length=MAX_PARTS, help_text=gettext_lazy("下发的下级事项"))

    def validate_parts(self, rows: list[dict[str, Any]]) -> list[Part]:
        return [Part(**row) for row in rows]
