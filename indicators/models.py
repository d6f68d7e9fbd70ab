"""Indicators (指标体系): targets, trajectories and measured values."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reform.numbers import READABLE_LIMIT


class Indicator(models.Model):
    class Direction(models.TextChoices):
        HIGHER = "higher", _("正向（越高越好）")
        LOWER = "lower", _("反向（越低越好）")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("月")
        TENDAY = "tenday", _("旬")

    task = models.ForeignKey(
        "tasks_app.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="indicators"
    )
    name = models.CharField(_("指标名称"), max_length=200)
    unit = models.CharField(_("计量单位"), max_length=32, blank=True)
    direction = models.CharField(_("指标方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    baseline_value = models.DecimalField(_("基线值"), max_digits=18, decimal_places=4)
    baseline_date = models.DateField(_("基线日期"), null=True, blank=True)
    target_value = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4)
    target_date = models.DateField(_("目标日期"), null=True, blank=True)
    data_source = models.CharField(_("数据来源"), max_length=200, blank=True)
    period_kind = models.CharField(_("统计周期"), max_length=8, choices=PeriodKind.choices, default=PeriodKind.MONTH)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["task_id", "id"]
        constraints = [models.UniqueConstraint(fields=["task", "name"], name="indicator_task_name_unique")]

    def __str__(self) -> str:
        return self.name


class TrajectoryPoint(models.Model):
    """The expected value of an indicator at the end of a period."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="trajectory")
    period_end = models.DateField(_("期末"))
    expected_value = models.DecimalField(_("本期目标"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("指标轨迹")
        verbose_name_plural = _("指标轨迹")
        ordering = ["indicator_id", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period_end"], name="trajectory_indicator_period_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period_end}: {self.expected_value}"


def _readable() -> Q:
    return Q(value__gt=-READABLE_LIMIT, value__lt=READABLE_LIMIT)


class MeasurementQuerySet(models.QuerySet["Measurement"]):
    def unreadable(self) -> MeasurementQuerySet:
        """Rows whose value the column cannot read back (select their ids; loading one fails)."""
        return self.exclude(_readable())


class ReadableMeasurements(models.Manager["Measurement"]):
    """Every measurement whose value reads back: the default manager, so every page and report uses it.

    Only SQLite can hold a value outside the column (it stores a float, and Django's read of
    ``1E+20`` into ``max_digits=18`` fails): such a row, left by an old version that did not check
    numbers, would make every page showing its indicator fail. It is hidden here, listed by
    ``manage.py check_stored_values``, and replaced by the next report of its period.
    """

    def get_queryset(self) -> MeasurementQuerySet:
        return MeasurementQuerySet(self.model, using=self._db).filter(_readable())


class Measurement(models.Model):
    """A measured value for a period; one per indicator and period (a re-report replaces it)."""

    class Source(models.TextChoices):
        WEB = "web", _("网页填报")
        API = "api", _("接口")
        TENDAY = "tenday", _("旬报")
        UPLOAD = "upload", _("文件导入")
        ADAPTER = "adapter", _("系统对接")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    period_end = models.DateField(_("期末"))
    value = models.DecimalField(_("实际值"), max_digits=18, decimal_places=4)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.TextField(_("佐证材料"), blank=True)
    attachment = models.ForeignKey(
        "tasks_app.Attachment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.WEB)
    reported_at = models.DateTimeField(_("填报时间"), auto_now=True)

    objects = ReadableMeasurements()
    stored = MeasurementQuerySet.as_manager()  # every row, readable or not (check_stored_values, replacing one)

    class Meta:
        verbose_name = _("指标实测值")
        verbose_name_plural = _("指标实测值")
        ordering = ["indicator_id", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period_end"], name="measurement_indicator_period_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.period_end}: {self.value}"
