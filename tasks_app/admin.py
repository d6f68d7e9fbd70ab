"""Django admin for the task list, its systems, the supervision objects and the (read-only) trace.

Access follows the product's roles rather than Django model permissions: the supervision office
(督查室) edits the task list, leaders and auditors read it, unit users have no admin. Task and unit
writes go through the services, so codes, parents, sort keys, depths, paths and the trace stay
consistent; the workflow state and the light are shown, never edited (the FSM owns them). The trace
cannot be added to, changed or deleted here by anyone.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.models import Indicator
from reform.admin_access import (
    ReadOnlyAdmin,
    RoleAccess,
    RoleInline,
    ServiceErrorsAsMessages,
    actor_of,
    copy_saved,
)

from . import services, tree
from .models import (
    Attachment,
    CorrectionOrder,
    Domain,
    Evaluation,
    EvaluationCriterion,
    ExtensionRequest,
    Feedback,
    Instruction,
    Measure,
    Milestone,
    Notice,
    Policy,
    ProblemReport,
    Programme,
    Task,
)
from .selectors.programmes import default_programme

INDENT = "\u3000"  # an ideographic space: the page's CSP forbids inline styles

# --- Units and domains -------------------------------------------------------------------------


@admin.register(Domain)
class DomainAdmin(RoleAccess, admin.ModelAdmin):
    """The domains programmes choose from: the five of the data migration, and those a later plan adds."""

    deletable = False  # tasks point at domains; a domain a programme no longer uses is just not chosen
    list_display = ("name", "programme", "code", "order", "task_count")
    list_filter = ("programme",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Domain]:
        return super().get_queryset(request).annotate(task_count=Count("tasks"))

    @admin.display(description=gettext_lazy("任务数"), ordering="task_count")
    def task_count(self, obj: Any) -> int:
        return obj.task_count


class DomainInline(RoleInline, admin.TabularInline):
    """A programme's own domain list (领域), edited with the programme."""

    model = Domain
    fields = ("order", "code", "name")
    extra = 0
    can_delete = False  # tasks point at domains


@admin.register(Programme)
class ProgrammeAdmin(RoleAccess, admin.ModelAdmin):
    """专项: the office sets up a programme (a district office's own, a year's key tasks) and its domains."""

    deletable = False  # tasks, reports and the trace point at it; an ended programme is set inactive
    list_display = ("name", "kind", "year", "owner", "is_default", "is_active", "task_count")
    list_filter = ("kind", "is_active")
    fields = ("name", "short_name", "kind", "year", "owner", "is_default", "is_active", "order")
    inlines = [DomainInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Programme]:
        return super().get_queryset(request).select_related("owner").annotate(task_count=Count("tasks"))

    @admin.display(description=gettext_lazy("任务数"), ordering="task_count")
    def task_count(self, obj: Any) -> int:
        return obj.task_count


# --- Tasks -------------------------------------------------------------------------------------


class MeasureInline(RoleInline, admin.TabularInline):
    model = Measure
    fields = ("order", "text")


class CriterionInline(RoleInline, admin.TabularInline):
    model = EvaluationCriterion
    fk_name = "task"
    fields = ("name", "weight", "max_score", "method")


class MilestoneInline(RoleInline, admin.TabularInline):
    model = Milestone
    fields = ("title", "due_date", "done_at")


class IndicatorInline(RoleInline, admin.TabularInline):
    model = Indicator
    fields = (
        "name",
        "unit",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
        "data_source",
        "period_kind",
    )
    show_change_link = True


TASK_FORM_FIELDS = [
    "programme",
    "leader_in_charge",
    "code",
    "title",
    "description",
    "domain",
    "is_governance",
    "is_service",
    "lead_unit",
    "cooperating_units",
    "owner_name",
    "owner",
    "start_date",
    "deadline",
    "weight",
]


class TaskAdminForm(forms.ModelForm):
    """Checks a user can act on before the service runs (the service checks again, under its lock)."""

    class Meta:
        model = Task
        fields = TASK_FORM_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "programme" in self.fields and self.instance.pk is None:
            self.fields["programme"].required = False
            self.fields["programme"].initial = default_programme().pk
            self.fields["programme"].help_text = _("不选则为默认专项")
        if "domain" in self.fields and self.instance.pk is None:
            self.fields["domain"].required = False
            self.fields["domain"].help_text = _("下级任务可留空，沿用上级任务的领域")
        if "code" in self.fields:
            self.fields["code"].help_text = _("以点分隔的编号，如 2.3.1（上级任务 2.3 须已存在）")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "code" in self.fields and "code" in data:
            code = tree.normalise_code(data["code"])
            data["code"] = code
            parent = tree.parent_code(code)
            if message := tree.code_error(code):
                self.add_error("code", message)
            elif (
                (in_programme := Task.objects.filter(programme=data.get("programme") or default_programme()))
                .filter(code=code)
                .exists()
            ):
                self.add_error("code", _("编号“%(code)s”已存在") % {"code": code})
            elif parent and not in_programme.filter(code=parent).exists():
                self.add_error("code", _("上级任务“%(code)s”不存在") % {"code": parent})
            elif not parent and not data.get("domain"):
                self.add_error("domain", _("顶层任务必须选择改革领域"))
        checked = {k: data.get(k) for k in ("weight", "start_date", "deadline") if k in data}
        if "title" in data:
            checked["title"] = data["title"]
        for field, errors in services.task_field_errors(checked).items():
            for message in errors:
                self.add_error(field, message)
        return data

    def validate_unique(self) -> None:
        # ``clean`` already reported a taken code in the services' words.
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        exclude.add("code")
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]


class TaskAdmin(ServiceErrorsAsMessages, RoleAccess, admin.ModelAdmin):
    form = TaskAdminForm
    service_backed = True
    list_display = (
        "code",
        "indented_title",
        "domain",
        "lead_unit",
        "status",
        "rag",
        "progress",
        "deadline",
    )
    list_display_links = ("code", "indented_title")
    list_filter = ("domain", "status", "rag", ("lead_unit", admin.RelatedOnlyFieldListFilter), "is_leaf", "depth")
    list_select_related = ("domain", "lead_unit")
    search_fields = ("^code", "title")
    ordering = ("sort_key",)
    list_per_page = 100
    filter_horizontal = ("cooperating_units",)
    inlines = (IndicatorInline, MilestoneInline, MeasureInline, CriterionInline)
    actions = None  # bulk deletion would bypass the service's checks
    state_fields = (
        "status",
        "progress",
        "rag",
        "rag_reason",
        "rag_rules_text",
        "closed_at",
        "parent",
        "depth",
        "sort_key",
        "is_leaf",
        "created_at",
        "updated_at",
    )

    @admin.display(description=gettext_lazy("任务名称"), ordering="sort_key")
    def indented_title(self, obj: Task) -> str:
        prefix = INDENT * (obj.depth - 1) + ("└ " if obj.depth > 1 else "")
        return prefix + obj.title

    @admin.display(description=gettext_lazy("触发规则"))
    def rag_rules_text(self, obj: Task) -> str:
        return json.dumps(obj.rag_rules, ensure_ascii=False) if obj.rag_rules else "-"

    def get_fieldsets(self, request: HttpRequest, obj: Task | None = None) -> Any:
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [
            (
                None,
                {"fields": ["programme", "code", "title", "description", "domain", ("is_governance", "is_service")]},
            ),
            (_("责任单位"), {"fields": ["lead_unit", "cooperating_units", "owner_name", "owner", "leader_in_charge"]}),
            (_("时限与权重"), {"fields": [("start_date", "deadline"), "weight"]}),
        ]
        if obj is not None:
            fieldsets += [
                (
                    _("办理状态（由流程维护，只读）"),
                    {"fields": [("status", "progress"), ("rag", "rag_reason"), "rag_rules_text", "closed_at"]},
                ),
                (
                    _("任务结构（只读）"),
                    {"fields": [("parent", "depth"), ("sort_key", "is_leaf"), ("created_at", "updated_at")]},
                ),
            ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Task | None = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        # The code is the task's place in the tree: changing it is a move (task_move), not an edit.
        return ("programme", "code", *self.state_fields)

    def save_model(self, request: HttpRequest, obj: Task, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in services.TASK_EDIT_FIELDS}
            if "cooperating_units" in form.changed_data:
                changes["cooperating_units"] = list(data["cooperating_units"])
            if changes:
                services.task_update(actor=actor_of(request), task=obj, **changes)
            return
        task = services.task_create(
            actor=actor_of(request),
            programme=data.get("programme"),
            code=data["code"],
            title=data["title"],
            description=data.get("description", ""),
            domain=data.get("domain"),
            is_governance=data.get("is_governance", False),
            is_service=data.get("is_service", False),
            lead_unit=data["lead_unit"],
            cooperating_units=list(data.get("cooperating_units") or []),
            owner_name=data.get("owner_name", ""),
            owner=data.get("owner"),
            start_date=data.get("start_date"),
            deadline=data.get("deadline"),
            weight=data["weight"] if data.get("weight") is not None else 1,
        )
        copy_saved(obj, task)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Cooperating units were saved (and traced) by the service; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Task) -> None:
        services.task_delete(actor=actor_of(request), task=obj)


admin.site.register(Task, TaskAdmin)


@admin.register(Policy)
class PolicyAdmin(RoleAccess, admin.ModelAdmin):
    list_display = ("title", "doc_number", "issuer", "issued_on", "task_count")
    search_fields = ("title", "doc_number", "issuer")
    list_filter = ("issuer",)
    autocomplete_fields = ("tasks",)
    ordering = ("-issued_on", "title")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Policy]:
        return super().get_queryset(request).annotate(task_count=Count("tasks"))

    @admin.display(description=gettext_lazy("关联任务数"), ordering="task_count")
    def task_count(self, obj: Any) -> int:
        return obj.task_count


@admin.register(Milestone)
class MilestoneAdmin(RoleAccess, admin.ModelAdmin):
    list_display = ("title", "task_link", "due_date", "done_at")
    list_select_related = ("task",)
    search_fields = ("title", "task__code", "task__title")
    autocomplete_fields = ("task",)
    ordering = ("due_date", "id")

    @admin.display(description=gettext_lazy("任务"), ordering="task__sort_key")
    def task_link(self, obj: Milestone) -> str:
        return f"{obj.task.code} {obj.task.title}"


# --- Supervision objects (read-mostly: each has its own lifecycle in the services) ----------------


@admin.register(Instruction)
class InstructionAdmin(ReadOnlyAdmin):
    list_display = ("text_short", "task_link", "author", "due_date", "state", "created_at")
    list_select_related = ("task", "author")
    list_filter = ("state",)

    @admin.display(description=gettext_lazy("批示内容"))
    def text_short(self, obj: Instruction) -> str:
        return obj.text[:40]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("task_link", "level", "source", "state", "deadline", "created_at")
    list_filter = ("level", "state", "source")


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("task_link", "kind", "period_end", "progress", "unit", "on_time", "submitted_at")
    list_select_related = ("task", "unit")
    list_filter = ("kind", "on_time")


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "task_link", "content_type", "size", "uploaded_at")
    exclude = ("file",)  # files are served only through the access-checked view


@admin.register(ProblemReport)
class ProblemReportAdmin(ReadOnlyAdmin):
    list_display = ("text_short", "task_link", "unit", "state", "created_at")
    list_select_related = ("task", "unit")
    list_filter = ("state",)

    @admin.display(description=gettext_lazy("问题描述"))
    def text_short(self, obj: ProblemReport) -> str:
        return obj.text[:40]


@admin.register(CorrectionOrder)
class CorrectionOrderAdmin(ReadOnlyAdmin):
    list_display = ("task_link", "due_date", "state", "created_at")
    list_filter = ("state",)


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ("task_link", "old_deadline", "requested_deadline", "state", "created_at")
    list_filter = ("state",)


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("task_link", "period_end", "total", "grade", "created_at")
    list_filter = ("grade",)
