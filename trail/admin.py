"""The trace in the admin: read-only for everyone, superusers included; entries are never added or changed here."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reform.admin_access import ReadOnlyAdmin, RoleAccess

from .events import label_of
from .models import TraceEntry, TraceVerification


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
        return label_of(obj.action)

    @admin.display(description=gettext_lazy("任务"), ordering="task__sort_key")
    def task_code(self, obj: TraceEntry) -> str:
        # Trace rows outlive their tasks (no database constraint), so the task may be gone.
        try:
            return obj.task.code if obj.task is not None else "-"
        except ObjectDoesNotExist:
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
