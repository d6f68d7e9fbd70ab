"""Admin of the unit tree: units are created through ``orgunit_create`` (path and depth); moves are not admin edits."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from reform.admin_access import RoleAccess, ServiceErrorsAsMessages, actor_of, copy_saved

from .models import OrgUnit
from .services import orgunit_create

INDENT = "\u3000"  # an ideographic space: the page's CSP forbids inline styles


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
        unit = orgunit_create(
            actor=actor_of(request),
            name=data["name"],
            short_code=data["short_code"],
            level=data["level"],
            parent=data.get("parent"),
        )
        copy_saved(obj, unit)
