"""Admin: the office edits the rhythm's schedules (Celery beat rows) and webhook targets; records are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule

from reform.admin_access import ReadOnlyAdmin, RoleAccess

from .models import MissedReport, WebhookDelivery, WebhookTarget

# django-celery-beat registers its models with Django's model permissions; here the product's roles
# decide instead, like everywhere else in the admin: the office edits schedules, leaders and auditors read.
for model in (PeriodicTask, CrontabSchedule, IntervalSchedule, SolarSchedule, ClockedSchedule):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(RoleAccess, beat_admin.PeriodicTaskAdmin):
    pass


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(RoleAccess, beat_admin.CrontabScheduleAdmin):
    pass


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(RoleAccess, admin.ModelAdmin):
    pass


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(RoleAccess, beat_admin.ClockedScheduleAdmin):
    pass


@admin.register(SolarSchedule)
class SolarScheduleAdmin(RoleAccess, admin.ModelAdmin):
    pass


@admin.register(MissedReport)
class MissedReportAdmin(ReadOnlyAdmin):
    list_display = ("task_link", "period_end", "due_date", "unit", "recorded_at")
    list_select_related = ("task", "unit")
    list_filter = ("period_end", "unit")
    date_hierarchy = "period_end"


class WebhookTargetForm(forms.ModelForm):
    """The secret is write-only: never shown again, kept when the field is left empty."""

    url = forms.URLField(label=_("推送地址"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("签名密钥"), required=False, widget=forms.PasswordInput(render_value=False), max_length=200
    )

    class Meta:
        model = WebhookTarget
        fields = ("name", "url", "secret", "events", "is_active")

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        if not value and self.instance.pk:
            return self.instance.secret
        if not value:
            raise forms.ValidationError(_("请填写签名密钥"))
        return value


@admin.register(WebhookTarget)
class WebhookTargetAdmin(RoleAccess, admin.ModelAdmin):
    form = WebhookTargetForm
    list_display = ("name", "url", "is_active")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ("name", "url", "secret", "events", "is_active")
        return fields if self._may_edit(request) else tuple(f for f in fields if f != "secret")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RoleAccess, admin.ModelAdmin):
    editable = False
    list_display = ("created_at", "event", "url", "status", "attempts", "response_status", "short_error")
    list_filter = ("status", "event")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    @admin.display(description=_("最近错误"))
    def short_error(self, obj: WebhookDelivery) -> str:
        return obj.last_error[:60]
