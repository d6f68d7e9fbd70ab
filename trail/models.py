"""The trace (留痕): an append-only, hash-chained log of every step, its head, and the record of its walks.

The tables predate this app (the trace lived in tasks_app), so their names are kept; a PostgreSQL
trigger (tasks_app migration 0002) refuses UPDATE and DELETE on the entries.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TraceHead(models.Model):
    """The single row writers lock to serialise the hash chain."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "tasks_app_tracehead"
        verbose_name = _("留痕链头")
        verbose_name_plural = _("留痕链头")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class TraceEntry(models.Model):
    """An append-only, hash-chained record of one step. Built only through ``trail.events`` event types."""

    seq = models.BigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    # Trace rows outlive what they describe, so references carry no database constraint.
    task = models.ForeignKey(
        "tasks_app.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="trace_entries",
    )
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    payload = models.JSONField(_("内容"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "tasks_app_traceentry"
        verbose_name = _("留痕记录")
        verbose_name_plural = _("留痕记录")
        ordering = ["seq"]
        indexes = [models.Index(fields=["task", "seq"], name="trace_task_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class RelayCursor(models.Model):
    """How far a consumer of the trace (e.g. the notification relay) has read: the trace is the outbox."""

    name = models.CharField(max_length=64, unique=True)
    seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "tasks_app_relaycursor"
        verbose_name = _("留痕消费进度")
        verbose_name_plural = _("留痕消费进度")

    def __str__(self) -> str:
        return f"{self.name}@{self.seq}"


class TraceVerification(models.Model):
    """One walk of the whole trace chain (nightly job or ``manage.py verify_trace``): the audit's proof."""

    class Source(models.TextChoices):
        NIGHTLY = "nightly", _("每日自动核验")
        COMMAND = "command", _("命令行核验")

    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    started_at = models.DateTimeField(_("开始时间"))
    seconds = models.FloatField(_("用时（秒）"))
    ok = models.BooleanField(_("链完整"))
    count = models.BigIntegerField(_("已核验条数"))
    head_hash = models.CharField(_("链头哈希"), max_length=64, blank=True)
    broken_seq = models.BigIntegerField(_("首条断裂序号"), null=True, blank=True)
    reason = models.TextField(_("断裂原因"), blank=True)

    class Meta:
        db_table = "tasks_app_traceverification"
        verbose_name = _("留痕核验记录")
        verbose_name_plural = _("留痕核验记录")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        state = _("完整") if self.ok else _("断裂")
        return f"{self.started_at:%Y-%m-%d %H:%M} {state} ({self.count})"
