"""What every admin page shares: access by the product's roles, and service refusals shown as messages.

Access follows the product's roles rather than Django model permissions: the supervision office
(督查室) edits, leaders and auditors read, unit users have no admin. Writes that keep invariants
(codes, paths, the trace) go through the services; a service's refusal is a message, never a 500.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy

from .errors import DomainError
from .roles import Role

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


def actor_of(request: HttpRequest) -> Any:
    """The acting user; the admin only lets authenticated users this far."""
    return request.user


def copy_saved(target: Any, saved: Any) -> None:
    """Make the admin's unsaved instance the row the service saved, so inlines attach to it."""
    for field in saved._meta.concrete_fields:
        if field.attname != "status":  # the FSM field is protected; both are the default (草稿)
            setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class RoleInline(RoleAccess):
    extra = 0
    show_change_link = False
