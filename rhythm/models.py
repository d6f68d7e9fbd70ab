"""The supervision rhythm's own records: missed ten-day reports and webhook deliveries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MissedReport(models.Model):
    """A ten-day report (旬报) not filed by its due date; recorded once per task and period."""

    task = models.ForeignKey(
        "tasks_app.Task", verbose_name=_("任务"), on_delete=models.PROTECT, related_name="missed_reports"
    )
    period_end = models.DateField(_("报告期"))
    due_date = models.DateField(_("应报日期"))
    unit = models.ForeignKey("orgs.OrgUnit", verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("旬报缺报记录")
        verbose_name_plural = _("旬报缺报记录")
        ordering = ["-period_end", "task_id"]
        constraints = [models.UniqueConstraint(fields=["task", "period_end"], name="missed_report_task_period")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.period_end}"


class WebhookTarget(models.Model):
    """A messaging-platform robot the office configures in the admin (in addition to ``WEBHOOK_URLS``)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    url = models.URLField(_("推送地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=200, help_text=_("用于 HMAC-SHA256 签名，接收方据此验签"))
    events = models.JSONField(
        _("推送事件"), default=list, blank=True, help_text=_('为空表示推送全部事件，例如 ["notice.issue"]')
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("消息推送目标")
        verbose_name_plural = _("消息推送目标")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event sent to one webhook URL: attempts and the last error are kept, whatever the outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        RETRYING = "retrying", _("重试中")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("发送失败")

    target = models.ForeignKey(
        WebhookTarget, verbose_name=_("推送目标"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.URLField(_("推送地址"), max_length=500)
    event = models.CharField(_("事件"), max_length=64)
    payload = models.JSONField(_("内容"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    response_status = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息推送记录")
        verbose_name_plural = _("消息推送记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.url}"
