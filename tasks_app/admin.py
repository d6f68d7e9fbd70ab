"""Django admin for the task list, its systems, the supervision objects and the (read-only) trace.

Access follows the product's roles rather than Django model permissions: the supervision office
(督查室) edits the task list, leaders and auditors read it, unit users have no admin. Task and unit
writes go through the services, so codes, parents, sort keys, depths, paths and the trace stay
consistent; the workflow state and the light are shown, never edited (the FSM owns them). The trace
cannot be added to, changed or deleted here by anyone.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from indicators.models import Indicator
from reform.errors import DomainError

from . import services, tree
from .events import action_label
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
    OrgUnit,
    Policy,
    ProblemReport,
    Task,
    TraceEntry,
    TraceVerification,
)

if TYPE_CHECKING:
    from accounts.models import User

EDIT_ROLES = frozenset({Role.OFFICE})
READ_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.AUDITOR})
INDENT = "\u3000"  # an ideographic space: the page's CSP forbids inline styles

admin.site.site_header = gettext_lazy("数字化改革任务清单管理")
admin.site.site_title = gettext_lazy("任务清单管理")
admin.site.index_title = gettext_lazy("任务清单与督办数据")

_django_site_permission = admin.site.has_permission


def _site_has_permission(request: HttpRequest) -> bool:
    """Staff as Django has it, plus the office, leaders and auditors by role (each page checks its own rights)."""
    user = request.user
    return _django_site_permission(request) or (user.is_active and getattr(user, "role", None) in READ_ROLES)


admin.site.has_permission = _site_has_permission  # type: ignore[method-assign]


def may_read(user: Any) -> bool:
    return user.is_active and (user.is_superuser or user.role in READ_ROLES)


def may_edit(user: Any) -> bool:
    return user.is_active and (user.is_superuser or user.role in EDIT_ROLES)


def may_call_services(user: Any) -> bool:
    """Task and unit services accept the office role only; a superuser without it reads."""
    return user.is_active and user.role in EDIT_ROLES


class RoleAccess:
    """Grant admin rights by role: ``editable`` models are edited by the office, the rest are read-only."""

    editable = True
    deletable = True
    service_backed = False

    def _may_edit(self, request: HttpRequest) -> bool:
        if not self.editable:
            return False
        return may_call_services(request.user) if self.service_backed else may_edit(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_read(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_read(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and self._may_edit(request)


class ReadOnlyAdmin(RoleAccess, admin.ModelAdmin):
    """Supervision objects have their own lifecycles (services); the admin only shows them."""

    editable = False
    list_select_related: ClassVar[Any] = ("task",)
    search_fields = ("task__code", "task__title")

    @admin.display(description=gettext_lazy("任务"), ordering="task__sort_key")
    def task_link(self, obj: Any) -> str:
        return f"{obj.task.code} {obj.task.title}" if obj.task_id else "-"


class ServiceErrorsAsMessages:
    """A service refusal (DomainError) becomes an error message on the page instead of a 500."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().delete_view(request, *args, **kwargs)  # type: ignore[misc]
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
            return HttpResponseRedirect(request.get_full_path())


def _actor(request: HttpRequest) -> User:
    """The acting user; the admin only lets authenticated users this far."""
    return cast("User", request.user)


def _copy_saved(target: Any, saved: Any) -> None:
    """Make the admin's unsaved instance the row the service saved, so inlines attach to it."""
    for field in saved._meta.concrete_fields:
        if field.attname != "status":  # the FSM field is protected; both are the default (草稿)
            setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# --- Units and domains -------------------------------------------------------------------------


class OrgUnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "short_code", "level", "parent"]


@admin.register(OrgUnit)
class OrgUnitAdmin(ServiceErrorsAsMessages, RoleAccess, admin.ModelAdmin):
    form = OrgUnitForm
    service_backed = True
    list_display = ("indented_name", "short_code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "short_code")
    ordering = ("path",)
    readonly_fields = ("path", "depth")

    @admin.display(description=gettext_lazy("单位名称"), ordering="path")
    def indented_name(self, obj: OrgUnit) -> str:
        return INDENT * obj.depth + obj.name

    def get_readonly_fields(self, request: HttpRequest, obj: OrgUnit | None = None) -> tuple[str, ...]:
        # Moving a unit would rewrite its subtree's paths; that is not an admin edit.
        return (*self.readonly_fields, "parent") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: OrgUnit | None = None) -> Any:
        fields = ["name", "short_code", "level", "parent"]
        return [*fields, "path", "depth"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: forms.ModelForm, change: bool) -> None:
        if change:
            obj.save(update_fields=["name", "short_code", "level"])
            return
        data = form.cleaned_data
        unit = services.orgunit_create(
            actor=_actor(request),
            name=data["name"],
            short_code=data["short_code"],
            level=data["level"],
            parent=data.get("parent"),
        )
        _copy_saved(obj, unit)


@admin.register(Domain)
class DomainAdmin(RoleAccess, admin.ModelAdmin):
    editable = False  # the five domains come from a data migration
    list_display = ("name", "code", "order", "task_count")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Domain]:
        return super().get_queryset(request).annotate(task_count=Count("tasks"))

    @admin.display(description=gettext_lazy("任务数"), ordering="task_count")
    def task_count(self, obj: Any) -> int:
        return obj.task_count


# --- Tasks -------------------------------------------------------------------------------------


class RoleInline(RoleAccess):
    extra = 0
    show_change_link = False


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
            elif Task.objects.filter(code=code).exists():
                self.add_error("code", _("编号“%(code)s”已存在") % {"code": code})
            elif parent and not Task.objects.filter(code=parent).exists():
                self.add_error("code", _("上级任务“%(code)s”不存在") % {"code": parent})
            elif not parent and not data.get("domain"):
                self.add_error("domain", _("顶层任务必须选择改革领域"))
        checked = {k: data.get(k) for k in ("weight", "start_date", "deadline") if k in data}
        if "title" in data:
            checked["title"] = data["title"]
        for field, errors in services._validate_task_fields(checked).items():
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
            (None, {"fields": ["code", "title", "description", "domain", ("is_governance", "is_service")]}),
            (_("责任单位"), {"fields": ["lead_unit", "cooperating_units", "owner_name", "owner"]}),
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
        return ("code", *self.state_fields)

    def save_model(self, request: HttpRequest, obj: Task, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {f: data[f] for f in form.changed_data if f in services.TASK_EDIT_FIELDS}
            if "cooperating_units" in form.changed_data:
                changes["cooperating_units"] = list(data["cooperating_units"])
            if changes:
                services.task_update(actor=_actor(request), task=obj, **changes)
            return
        task = services.task_create(
            actor=_actor(request),
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
        _copy_saved(obj, task)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Cooperating units were saved (and traced) by the service; only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Task) -> None:
        services.task_delete(actor=_actor(request), task=obj)


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


# --- The trace: read-only for everyone ---------------------------------------------------------


@admin.register(TraceEntry)
class TraceEntryAdmin(RoleAccess, admin.ModelAdmin):
    """留痕 is append-only: nobody, not even a superuser, adds, changes or deletes an entry here."""

    editable = False
    deletable = False
    list_display = ("seq", "created_at", "actor_name", "action_text", "task_code", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("=seq", "actor_name", "task__code", "object_id")
    list_select_related = ("task",)
    ordering = ("-seq",)
    actions = None
    fields = (
        "seq",
        "created_at",
        "actor_name",
        "action_text",
        "task_code",
        "object_type",
        "object_id",
        "from_state",
        "to_state",
        "payload_text",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("动作"), ordering="action")
    def action_text(self, obj: TraceEntry) -> str:
        return action_label(obj.action)

    @admin.display(description=gettext_lazy("任务"), ordering="task__sort_key")
    def task_code(self, obj: TraceEntry) -> str:
        # Trace rows outlive their tasks (no database constraint), so the task may be gone.
        try:
            return obj.task.code if obj.task is not None else "-"
        except Task.DoesNotExist:
            return _("（已删除的任务 #%(id)s）") % {"id": obj.task_id}

    @admin.display(description=gettext_lazy("内容"))
    def payload_text(self, obj: TraceEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, ensure_ascii=False, indent=2))


@admin.register(TraceVerification)
class TraceVerificationAdmin(ReadOnlyAdmin):
    """Every walk of the chain (nightly and by command): what an auditor shows as proof of integrity."""

    list_display = ("started_at", "source", "ok", "count", "broken_seq", "seconds")
    list_filter = ("ok", "source")
    list_select_related = ()
    search_fields = ()
    ordering = ("-started_at",)
