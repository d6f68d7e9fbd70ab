"""The cockpit's roll-up tables: small aggregates the figures are read from, kept current from the trace.

Every figure is scoped by a *scope*: ``0`` is the whole programme, otherwise an org unit id meaning
"tasks that unit's subtree leads or cooperates on" (the same rule as ``/tasks/?unit=``). A task
belongs to scope 0 and to every ancestor-or-self of its lead unit and of each cooperating unit, so
each task contributes once to a handful of scopes, and reading a scope is an index lookup on a few
hundred rows whatever the size of the programme.

- ``TaskFact`` mirrors the few task fields the figures use, with the scopes the task belongs to:
  it is what was last added to the cells, so a change is applied as (new − old) increments.
- ``StateCell`` counts tasks per (scope, domain, leaf, status, light, led-within-scope).
- ``DueCell`` counts open items per (scope, domain, deadline): overdue is ``deadline < today``, so the
  cells never depend on the date.
- ``ClosureCell`` counts closed items per (scope, domain, ten-day period of closing): the trend.
- ``IndicatorFact`` holds each indicator's latest achievement against its trajectory, per scope.
- ``ReportCell`` counts ten-day reports owed and filed on time per (period, domain, lead unit).
- ``LightSnapshot`` keeps the light counts of past days (the live tables only know today).
- ``FigureCache`` keeps the computed JSON per filter set, valid while the watermark (trace head
  ``seq``, local date, ``CockpitState.epoch``) is unchanged.

``CockpitState`` (one row) records how far the roll-ups have read the trace.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

ALL_SCOPE = 0


class CockpitState(models.Model):
    """Singleton (pk=1): the roll-ups' watermark and the counter for changes the trace does not record."""

    epoch = models.BigIntegerField(_("版本"), default=0)
    built_epoch = models.BigIntegerField(_("已同步版本"), default=-1)
    seq = models.BigIntegerField(_("已同步留痕序号"), default=0)
    ranking_seq = models.BigIntegerField(_("红黑榜数据序号"), default=0)
    indicator_seq = models.BigIntegerField(_("指标数据序号"), default=0)
    report_seq = models.BigIntegerField(_("旬报数据序号"), default=0)
    snapshot_day = models.DateField(_("最近快照日期"), null=True, blank=True)
    bumped_at = models.DateTimeField(_("版本更新时间"), null=True, blank=True)
    reason = models.CharField(_("原因"), max_length=100, blank=True)
    synced_at = models.DateTimeField(_("同步时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("驾驶舱数据版本")
        verbose_name_plural = _("驾驶舱数据版本")

    def __str__(self) -> str:
        return f"seq {self.seq} epoch {self.epoch}"


class TaskFact(models.Model):
    """What the cells last counted for one task."""

    task_id = models.BigIntegerField(primary_key=True)
    code = models.CharField(max_length=64, db_index=True)
    domain_id = models.BigIntegerField()
    lead_unit_id = models.BigIntegerField()
    is_leaf = models.BooleanField()
    status = models.CharField(max_length=32)
    rag = models.CharField(max_length=8)
    is_governance = models.BooleanField()
    is_service = models.BooleanField()
    deadline = models.DateField(null=True)
    closed_on = models.DateField(null=True)
    scopes = models.CharField(max_length=1000, help_text="comma-separated scope ids, 0 first")

    class Meta:
        verbose_name = _("任务汇总镜像")
        verbose_name_plural = _("任务汇总镜像")

    def __str__(self) -> str:
        return self.code


class StateCell(models.Model):
    scope = models.BigIntegerField()
    domain_id = models.BigIntegerField()
    is_leaf = models.BooleanField()
    status = models.CharField(max_length=32)
    rag = models.CharField(max_length=8)
    led = models.BooleanField(help_text="the lead unit is within the scope's subtree")
    n = models.IntegerField(default=0)
    governance = models.IntegerField(default=0)
    service = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("任务状态汇总")
        verbose_name_plural = _("任务状态汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "domain_id", "is_leaf", "status", "rag", "led"], name="cockpit_statecell_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.domain_id}/{self.status}/{self.rag}: {self.n}"


class DueCell(models.Model):
    scope = models.BigIntegerField()
    domain_id = models.BigIntegerField()
    deadline = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("在办事项时限汇总")
        verbose_name_plural = _("在办事项时限汇总")
        constraints = [models.UniqueConstraint(fields=["scope", "domain_id", "deadline"], name="cockpit_duecell_key")]
        indexes = [models.Index(fields=["scope", "deadline"], name="cockpit_duecell_scope_dl")]

    def __str__(self) -> str:
        return f"{self.scope}/{self.domain_id}/{self.deadline}: {self.n}"


class ClosureCell(models.Model):
    scope = models.BigIntegerField()
    domain_id = models.BigIntegerField()
    period_end = models.DateField()
    closed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("办结汇总")
        verbose_name_plural = _("办结汇总")
        constraints = [
            models.UniqueConstraint(fields=["scope", "domain_id", "period_end"], name="cockpit_closurecell_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.domain_id}/{self.period_end}: {self.closed}"


class IndicatorFact(models.Model):
    class Bucket(models.TextChoices):
        AHEAD = "ahead", _("达到或超过轨迹")
        ON_TRACK = "on_track", _("略低于轨迹")
        BEHIND = "behind", _("明显落后（黄）")
        FAR_BEHIND = "far_behind", _("严重落后（红）")
        UNPLANNED = "unplanned", _("无轨迹")
        UNMEASURED = "unmeasured", _("未填报")

    indicator_id = models.BigIntegerField()
    scope = models.BigIntegerField()
    task_id = models.BigIntegerField()
    domain_id = models.BigIntegerField()
    bucket = models.CharField(max_length=16, choices=Bucket.choices)
    period_end = models.DateField(null=True)
    actual = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    planned = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    achievement = models.FloatField(null=True)
    expected = models.FloatField(null=True)
    gap = models.FloatField(null=True)

    class Meta:
        verbose_name = _("指标完成情况")
        verbose_name_plural = _("指标完成情况")
        constraints = [models.UniqueConstraint(fields=["indicator_id", "scope"], name="cockpit_indicatorfact_key")]
        indexes = [
            models.Index(fields=["scope", "gap"], name="cockpit_indfact_scope_gap"),
            models.Index(fields=["task_id"], name="cockpit_indfact_task"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}@{self.scope}: {self.bucket}"


class ReportCell(models.Model):
    period_end = models.DateField()
    domain_id = models.BigIntegerField()
    lead_unit_id = models.BigIntegerField()
    expected = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("旬报汇总")
        verbose_name_plural = _("旬报汇总")
        constraints = [
            models.UniqueConstraint(fields=["period_end", "domain_id", "lead_unit_id"], name="cockpit_reportcell_key")
        ]
        indexes = [models.Index(fields=["lead_unit_id"], name="cockpit_reportcell_unit")]

    def __str__(self) -> str:
        return f"{self.period_end}/{self.lead_unit_id}: {self.on_time}/{self.expected}"


class LightSnapshot(models.Model):
    """Item counts of one scope and domain on one day: lights, open, closed and overdue."""

    day = models.DateField(_("日期"))
    scope = models.BigIntegerField(_("范围"))
    domain_id = models.BigIntegerField(_("领域"))
    red = models.IntegerField(_("红灯"), default=0)
    yellow = models.IntegerField(_("黄灯"), default=0)
    green = models.IntegerField(_("绿灯"), default=0)
    open_items = models.IntegerField(_("在办事项"), default=0)
    closed_items = models.IntegerField(_("已办结事项"), default=0)
    overdue = models.IntegerField(_("逾期事项"), default=0)
    taken_at = models.DateTimeField(_("快照时间"))

    class Meta:
        verbose_name = _("亮灯快照")
        verbose_name_plural = _("亮灯快照")
        constraints = [models.UniqueConstraint(fields=["scope", "day", "domain_id"], name="cockpit_snapshot_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}/{self.domain_id}: 红{self.red}"


class FigureCache(models.Model):
    """The cockpit JSON for one filter set, valid while (day, seq, epoch) match the current watermark."""

    key = models.CharField(_("范围"), max_length=200, unique=True)
    day = models.DateField(_("日期"))
    seq = models.BigIntegerField(_("留痕序号"))
    epoch = models.BigIntegerField(_("版本"))
    payload = models.JSONField(_("指标数据"))
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("驾驶舱数据缓存")
        verbose_name_plural = _("驾驶舱数据缓存")

    def __str__(self) -> str:
        return f"{self.key} @{self.seq}"
