"""Web forms: parse and check what a user typed; the services decide everything else.

Every action form carries ``expected_status`` (the task state the user saw), so a service can tell
"someone else acted first" from a real error.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orgs.models import OrgUnit
from reform.params import MAX_ID
from reform.periods import period_of

from .models import Notice, Programme, Rag
from .selectors.task_list import TaskFilters, units_governed_by
from .services.handdown import Part
from .workflow import Status

DATE_WIDGET = {"type": "date"}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")


def _text(label: Any, *, required: bool = True, rows: int = 3, max_length: int = 4000, help_text: Any = "") -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": _please_fill(label)},
    )


def _please_fill_now(label: Any) -> str:
    return gettext("请填写%(label)s") % {"label": label}


_please_fill = lazy(_please_fill_now, str)


# --- The task list's filters ----------------------------------------------------------------------


class TaskFilterForm(forms.Form):
    """The task list's query string: the /tasks/ page's filters and the cockpit's drill-down links.

    A bad value is reported next to its field (the page ignores it; a cockpit link answers 400);
    ``task_filters`` turns the valid ones into the one :class:`TaskFilters` every task list uses.
    """

    SORT_CHOICES = (
        ("code", _("按编号")),
        ("deadline", _("按完成时限")),
        ("progress", _("按进度（低→高）")),
        ("light", _("按亮灯（红→绿）")),
    )
    DIMENSION_CHOICES = (("", _("全部")), ("governance", _("治理")), ("service", _("服务")))
    INSTRUCTED_CHOICES = (
        ("", ""),
        ("issued", _("期间内作出的批示")),
        ("on_time", _("按期回复")),
        ("late", _("逾期回复")),
        ("overdue", _("逾期未回复")),
        ("pending", _("办理中")),
    )
    CLOSED_CHOICES = (("", ""), ("on_time", _("按期办结")), ("late", _("逾期办结")))

    programme = forms.IntegerField(label=_("专项"), required=False, min_value=1, max_value=MAX_ID)
    q = forms.CharField(label=_("编号或名称"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=(("", _("全部")), *Status.choices))
    rag = forms.ChoiceField(label=_("亮灯"), required=False, choices=(("", _("全部")), *Rag.choices))
    domain = forms.CharField(label=_("领域"), required=False, max_length=32)
    unit = forms.IntegerField(label=_("责任单位"), required=False, min_value=1, max_value=MAX_ID)
    lead = forms.IntegerField(label=_("牵头单位"), required=False, min_value=1, max_value=MAX_ID)
    lead_exact = forms.BooleanField(label=_("仅本级牵头"), required=False)
    overdue = forms.BooleanField(label=_("仅逾期"), required=False)
    open = forms.BooleanField(label=_("仅未办结"), required=False)
    cancelled = forms.ChoiceField(label=_("含已撤销"), required=False, choices=(("", ""), ("0", _("不含已撤销"))))
    deadline_after = forms.DateField(label=_("完成时限起"), required=False)
    deadline_before = forms.DateField(label=_("完成时限止"), required=False)
    dimension = forms.ChoiceField(label=_("维度"), required=False, choices=DIMENSION_CHOICES)
    leaf = forms.BooleanField(label=_("仅事项"), required=False)
    notice_level = forms.TypedChoiceField(
        label=_("督办等级"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=(("", _("全部")), *Notice.Level.choices),
    )
    instruction = forms.ChoiceField(label=_("批示"), required=False, choices=(("", ""), ("open", _("有待回复批示"))))
    instructed = forms.ChoiceField(label=_("批示办理"), required=False, choices=INSTRUCTED_CHOICES)
    instruction_after = forms.DateField(label=_("批示日期起"), required=False)
    instruction_before = forms.DateField(label=_("批示日期止"), required=False)
    closed = forms.ChoiceField(label=_("办结情况"), required=False, choices=CLOSED_CHOICES)
    closed_after = forms.DateField(label=_("办结日期起"), required=False)
    closed_before = forms.DateField(label=_("办结日期止"), required=False)
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORT_CHOICES)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        after, before = data.get("deadline_after"), data.get("deadline_before")
        if after and before and after > before:
            self.add_error("deadline_before", _("截止日期不能早于起始日期"))
        for name in ("unit", "lead"):
            if data.get(name) and name not in self.errors:
                unit = OrgUnit.objects.filter(pk=data[name]).first()
                if unit is None:
                    self.add_error(name, _("单位不存在"))
                data[name] = unit
        if data.get("programme") and "programme" not in self.errors:
            programme = Programme.objects.filter(pk=data["programme"]).first()
            if programme is None:
                self.add_error("programme", _("专项不存在"))
            data["programme"] = programme
        return data

    def valid_data(self) -> dict[str, Any]:
        """The cleaned values of the fields that passed validation (the others are left out)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    def task_filters(self, *, mine: Any = None, programme: Any = None) -> TaskFilters:
        """The filters; ``programme`` is the one to list when the query string names none."""
        data = self.valid_data()
        return TaskFilters(
            programme=data.get("programme") or programme,
            statuses=(data["status"],) if data.get("status") else (),
            lights=(data["rag"],) if data.get("rag") else (),
            domain=(data.get("domain") or "").strip(),
            unit=data.get("unit") or None,
            mine=mine,
            lead=data.get("lead") or None,
            lead_exact=bool(data.get("lead_exact")),
            overdue=True if data.get("overdue") else None,
            open_only=bool(data.get("open")),
            exclude_cancelled=data.get("cancelled") == "0",
            deadline_after=data.get("deadline_after"),
            deadline_before=data.get("deadline_before"),
            text=(data.get("q") or "").strip(),
            dimension=data.get("dimension") or "",
            leaf=bool(data.get("leaf")),
            notice_level=data.get("notice_level"),
            instruction_open=data.get("instruction") == "open",
            closed=data.get("closed") or "",
            closed_after=data.get("closed_after"),
            closed_before=data.get("closed_before"),
            instructed=data.get("instructed") or "",
            instruction_after=data.get("instruction_after"),
            instruction_before=data.get("instruction_before"),
        )


# --- Workflow transitions -------------------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of every action form: the state the user saw, sent back so a stale page is detected.

    A form is built with the task page it belongs to (``page``) and, for an action on a supervision
    object, that object (``obj``); ``action_kwargs`` turns what the user typed into the keyword
    arguments of the action's service.
    """

    expected_status = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, page: Any = None, obj: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page, self.obj, self.user = page, obj, user

    def action_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("expected_status", None)
        return data

    def field_for(self, service_field: str) -> str:
        """The form field that shows a service's error about ``service_field``."""
        return service_field


class TransitionForm(ActionForm):
    """A workflow transition: the service gets the state the user saw, to refuse a stale page (409)."""

    def action_kwargs(self) -> dict[str, Any]:
        data = super().action_kwargs()
        data["expected_status"] = self.cleaned_data.get("expected_status") or None
        return data


class AssignForm(TransitionForm):
    comment = _text(_("交办意见"), required=False, rows=2)


class AcceptForm(TransitionForm):
    pass


class SubmitCompletionForm(TransitionForm):
    summary = _text(_("办结情况"), rows=4, help_text=_("说明完成了什么、取得的成效和佐证材料"))
    correction_answer = _text(_("整改情况"), required=False, rows=4)
    open_children_reason = _text(_("下级事项未全部办结的说明"), required=False, rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        open_children = [c for c in self.page.children if not c.is_final] if self.page is not None else []
        if not open_children:
            del self.fields["open_children_reason"]
        else:
            field = self.fields["open_children_reason"]
            field.required = True
            field.help_text = _("仍在办理的下级事项：%(codes)s。请说明为何现在报送办结") % {
                "codes": "、".join(c.code for c in open_children[:10])
            }
        correction = self.page.open_correction if self.page is not None else None
        if correction is None:
            del self.fields["correction_answer"]
        else:
            field = self.fields["correction_answer"]
            field.required = True
            field.help_text = _("整改要求：%(req)s（时限 %(due)s）") % {
                "req": correction.requirement,
                "due": correction.due_date.isoformat(),
            }


class RequestCorrectionForm(TransitionForm):
    requirement = _text(_("整改要求"), rows=4)
    due_date = forms.DateField(
        label=_("整改时限"), widget=_date_input(), error_messages={"required": _("请填写整改时限")}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_date"].initial = timezone.localdate() + timedelta(days=7)


class ApproveForm(TransitionForm):
    comment = _text(_("审核意见"), required=False, rows=2)


class EvaluateForm(TransitionForm):
    """One score per criterion of the task's evaluation system, or one overall score when it has none."""

    comment = _text(_("评价意见"), required=False, rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(self.page.criteria) if self.page is not None else []
        scores: dict[str, forms.Field] = {}
        if not self.criteria:
            scores["overall"] = forms.DecimalField(
                label=_("综合评分（0–100）"),
                min_value=Decimal(0),
                max_value=Decimal(100),
                decimal_places=2,
                error_messages={"required": _("请填写综合评分")},
            )
        for criterion in self.criteria:
            max_score = criterion.max_score
            shown = f"{max_score.normalize():f}"
            scores[f"score_{criterion.pk}"] = forms.DecimalField(
                label=_("%(name)s（满分 %(max)s，权重 %(w)s）")
                % {
                    "name": criterion.name,
                    "max": shown,
                    "w": f"{criterion.weight.normalize():f}",
                },
                min_value=Decimal(0),
                max_value=max_score,
                decimal_places=2,
                help_text=criterion.method,
                error_messages={
                    "required": _("请为“%(name)s”打分") % {"name": criterion.name},
                    "max_value": _("得分不能超过满分 %(max)s") % {"max": shown},
                    "min_value": _("得分不能为负数"),
                },
            )
        self.fields = {**scores, **self.fields}

    def scores(self) -> dict[str, Any]:
        if not self.criteria:
            return {"overall": self.cleaned_data["overall"]}
        return {str(c.pk): self.cleaned_data[f"score_{c.pk}"] for c in self.criteria}

    def action_kwargs(self) -> dict[str, Any]:
        return {
            "scores": self.scores(),
            "comment": self.cleaned_data["comment"],
            "expected_status": self.cleaned_data.get("expected_status") or None,
        }

    def field_for(self, service_field: str) -> str:
        return service_field if service_field == "overall" or not service_field.isdigit() else f"score_{service_field}"


class DeclineForm(TransitionForm):
    """退回: the task is not this unit's to do; the office re-assigns it."""

    reason = _text(_("退回理由"), rows=3, help_text=_("说明为何不属于本单位职责，以及建议的承办单位"))


class ReassignForm(TransitionForm):
    """改派: another lead unit, or (unchanged) the same one (维持原交办)."""

    lead_unit = forms.ModelChoiceField(
        label=_("改派给"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("（维持原牵头单位）"),
        help_text=_("不选则维持原牵头单位（坚持交办）"),
    )
    comment = _text(_("改派说明"), required=False, rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lead_unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units_governed_by(self.user)

    def action_kwargs(self) -> dict[str, Any]:
        data = super().action_kwargs()
        if self.page is not None and data["lead_unit"] == self.page.task.lead_unit:
            data["lead_unit"] = None
        return data


class ReasonForm(TransitionForm):
    """撤销 / 重新打开: a reason is required."""

    reason = _text(_("理由"), rows=3)


# --- Supervision objects --------------------------------------------------------------------------


class InstructionIssueForm(ActionForm):
    text = _text(_("批示内容"), rows=4)
    due_date = forms.DateField(
        label=_("回复时限"), widget=_date_input(), error_messages={"required": _("请填写回复时限")}
    )
    target_units = forms.MultipleChoiceField(
        label=_("承办单位"), required=False, widget=forms.CheckboxSelectMultiple, help_text=_("不选则为牵头单位")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task = self.page.task if self.page is not None else None
        units = [task.lead_unit, *task.cooperating_units.all()] if task is not None else []
        self.units = {str(u.pk): u for u in units}
        self.fields["target_units"].choices = [(str(u.pk), u.name) for u in units]
        self.fields["due_date"].initial = timezone.localdate() + timedelta(days=7)

    def chosen_units(self) -> list[Any]:
        return [self.units[pk] for pk in self.cleaned_data.get("target_units") or []]

    def action_kwargs(self) -> dict[str, Any]:
        return {**super().action_kwargs(), "target_units": self.chosen_units()}


class InstructionAnswerForm(ActionForm):
    response = _text(_("回复内容"), rows=4, help_text=_("说明落实情况、采取的措施和结果"))


class ReviewForm(ActionForm):
    """审核批示回复 / 审批延期: approve or send back; a reason is required to send back."""

    APPROVE_LABEL: Any = _("同意")
    REJECT_LABEL: Any = _("退回")
    DECISIONS = (("approve", _("同意")), ("reject", _("退回")))
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        initial="approve",
        error_messages={"required": _("请选择审核结论")},
    )
    comment = _text(_("意见"), required=False, rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = (("approve", self.APPROVE_LABEL), ("reject", self.REJECT_LABEL))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("退回或驳回时请填写理由"))
        return data

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"

    def action_kwargs(self) -> dict[str, Any]:
        return {"approve": self.approve, "comment": self.cleaned_data["comment"]}


class UnitSignoffForm(ReviewForm, TransitionForm):
    """负责人审核: pass a handler's completion report on to the office, or send it back."""

    APPROVE_LABEL = _("审核通过，报送督查室")
    REJECT_LABEL = _("退回经办人")

    def action_kwargs(self) -> dict[str, Any]:
        return {**super().action_kwargs(), "expected_status": self.cleaned_data.get("expected_status") or None}


class InstructionReviewForm(ReviewForm):
    APPROVE_LABEL = _("已落实，确认")
    REJECT_LABEL = _("退回重办")


class ExtensionDecisionForm(ReviewForm):
    APPROVE_LABEL = _("同意延期")
    REJECT_LABEL = _("驳回")


class NoticeIssueForm(ActionForm):
    level = forms.TypedChoiceField(
        label=_("督办等级"), coerce=int, choices=Notice.Level.choices, initial=Notice.Level.SUPERVISE
    )
    reason = _text(_("督办事由"), rows=3)
    deadline = forms.DateField(label=_("办理时限"), required=False, widget=_date_input())


class NoticeLiftForm(ActionForm):
    comment = _text(_("销号说明"), required=False, rows=2)


class ExtensionRequestForm(ActionForm):
    requested_deadline = forms.DateField(
        label=_("申请延至"), widget=_date_input(), error_messages={"required": _("请填写申请延至的日期")}
    )
    reason = _text(_("申请理由"), rows=3)


class ProblemReportForm(ActionForm):
    text = _text(_("问题描述"), rows=4, help_text=_("说明遇到的困难、需要协调的事项"))


class ProblemAnswerForm(ActionForm):
    response = _text(_("答复内容"), rows=4)
    resolve = forms.BooleanField(label=_("问题已解决，办结该问题"), required=False)


class HandDownForm(TransitionForm):
    """下发分解: a few rows, each a sub-item for a unit below the lead unit; empty rows are skipped."""

    ROWS = 6

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task = self.page.task if self.page is not None else None
        units = (
            OrgUnit.objects.filter(path__startswith=task.lead_unit.path).exclude(pk=task.lead_unit_id).order_by("path")
            if task is not None
            else OrgUnit.objects.none()
        )
        self.rows = []
        for n in range(1, self.ROWS + 1):
            row = {"n": n}
            self.fields[f"title_{n}"] = forms.CharField(
                label=_("事项名称"),
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"aria-label": _("第 %(n)d 项：事项名称") % row}),
            )
            self.fields[f"unit_{n}"] = forms.ModelChoiceField(
                label=_("承办单位"),
                queryset=units,
                required=False,
                empty_label=_("（请选择）"),
                error_messages={"invalid_choice": _("请选择牵头单位的下级单位或内设处室")},
            )
            self.fields[f"unit_{n}"].widget.attrs["aria-label"] = _("第 %(n)d 项：承办单位") % row
            self.fields[f"deadline_{n}"] = forms.DateField(label=_("完成时限"), required=False, widget=_date_input())
            self.fields[f"deadline_{n}"].widget.attrs["aria-label"] = _("第 %(n)d 项：完成时限") % row
            self.rows.append(n)

    def row_fields(self) -> list[tuple[int, Any, Any, Any]]:
        """(row number, title field, unit field, deadline field) for the template's table."""
        return [(n, self[f"title_{n}"], self[f"unit_{n}"], self[f"deadline_{n}"]) for n in self.rows]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parts = []
        for n in self.rows:
            title, unit, deadline = (data.get(f"{k}_{n}") for k in ("title", "unit", "deadline"))
            if not (title or "").strip() and unit is None and deadline is None:
                continue
            if not (title or "").strip():
                self.add_error(f"title_{n}", _("请填写事项名称"))
            if unit is None:
                self.add_error(f"unit_{n}", _("请选择承办单位"))
            if (title or "").strip() and unit is not None:
                parts.append(Part(title=title, lead_unit=unit, deadline=deadline))
        if not parts and not self.errors:
            raise forms.ValidationError(_("请至少填写一个下级事项（名称和承办单位）"))
        data["parts"] = parts
        return data

    def action_kwargs(self) -> dict[str, Any]:
        return {
            "parts": self.cleaned_data["parts"],
            "expected_status": self.cleaned_data.get("expected_status") or None,
        }


class SetShareForm(ActionForm):
    """分工: one cooperating unit's part of the item, and its own deadline."""

    unit = forms.ChoiceField(
        label=_("配合单位"),
        error_messages={"required": _("请选择配合单位"), "invalid_choice": _("请选择该任务的配合单位")},
    )
    work = _text(_("分工内容"), rows=3, help_text=_("该配合单位承担的具体工作"))
    deadline = forms.DateField(
        label=_("分工时限"), required=False, widget=_date_input(), help_text=_("不填则随任务完成时限")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page's task comes with its cooperating units: no query for the choices.
        units = list(self.page.task.cooperating_units.all()) if self.page is not None else []
        self.units = {str(u.pk): u for u in units}
        self.fields["unit"].choices = [(str(u.pk), u.name) for u in units]

    def action_kwargs(self) -> dict[str, Any]:
        return {**super().action_kwargs(), "unit": self.units[self.cleaned_data["unit"]]}


class ShareReportForm(ActionForm):
    text = _text(_("进展情况"), rows=3)
    done = forms.BooleanField(label=_("本单位分工已完成"), required=False)


class ShareReopenForm(ActionForm):
    reason = _text(_("退回理由"), rows=3, help_text=_("说明分工哪些方面尚未完成"))


# --- Ten-day report -------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the attachment service, not here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


PERIODS_OFFERED = 3


class TenDayReportForm(ActionForm):
    """旬报: progress, what was done, the period, this period's indicator values and attachments."""

    period_end = forms.ChoiceField(label=_("报告期"))
    progress = forms.DecimalField(
        label=_("当前进度（%）"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        error_messages={"required": _("请填写当前进度")},
    )
    text = _text(_("工作进展"), rows=6, help_text=_("本旬完成的工作、下一步计划、存在的问题"))
    files = MultipleFileField(label=_("附件"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task = self.page.task if self.page is not None else None
        indicators = self.page.indicators if self.page is not None else []
        today = timezone.localdate()
        period = period_of(today)
        choices = []
        for _i in range(PERIODS_OFFERED):
            choices.append((period.end.isoformat(), period.label))
            period = period.previous()
        self.fields["period_end"].choices = choices
        self.fields["period_end"].initial = choices[0][0]
        if task is not None:
            self.fields["progress"].initial = task.progress.normalize()
        self.indicator_rows = list(indicators)
        fields: dict[str, forms.Field] = {}
        for row in self.indicator_rows:
            ind = row.indicator
            latest = f"{row.latest.value.normalize():f}{ind.unit}" if row.latest else "—"
            fields[f"indicator_{ind.pk}"] = forms.DecimalField(
                label=f"{ind.name}（{ind.unit}）" if ind.unit else ind.name,
                required=False,
                decimal_places=4,
                max_digits=18,
                help_text=_("基线 %(b)s，目标 %(t)s，最新 %(l)s")
                % {
                    "b": f"{ind.baseline_value.normalize():f}",
                    "t": f"{ind.target_value.normalize():f}",
                    "l": latest,
                },
            )
        # Indicator inputs come after the text and before the files.
        ordered = {}
        for name, value in self.fields.items():
            if name == "files":
                ordered.update(fields)
            ordered[name] = value
        self.fields = ordered

    @property
    def indicator_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("indicator_")]

    def indicator_values(self) -> dict[int, Any]:
        return {
            int(name.removeprefix("indicator_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("indicator_") and value is not None
        }

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "text": data["text"],
            "progress": data["progress"],
            "period_end": date.fromisoformat(data["period_end"]),
            "indicator_values": self.indicator_values(),
            "files": data["files"],
        }


# --- Office pages -----------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("任务清单文件（.xlsx）"),
        error_messages={"required": _("请选择要导入的 Excel 文件"), "empty": _("上传的文件是空的")},
    )
    create_units = forms.BooleanField(label=_("自动创建文件中不存在的责任单位"), required=False)
    programme = forms.ModelChoiceField(
        label=_("导入到专项"),
        queryset=Programme.objects.filter(is_active=True).order_by("order", "pk"),
        required=False,
        empty_label=_("（本人所在的专项）"),
        help_text=_("编号在每个专项内各自唯一；区县督查室只能导入本级的专项"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的 Excel 文件（可从“导出”下载模板）"))
        return upload
