"""Generated PDF reports: 督查通报, 旬报汇总, 月报 and 任务档案, with their parameters, status and trace anchor."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


def reports_storage() -> FileSystemStorage:
    """Files live under MEDIA_ROOT/reports/, outside the web root; only the access-checked view serves them.

    A report's path is fixed by its kind, issue and id, so a build redone after its worker was killed
    overwrites what the lost build left there instead of leaving it beside the new file.
    """
    return FileSystemStorage(location=settings.MEDIA_ROOT / "reports", base_url=None, allow_overwrite=True)


def report_path(instance: Report, filename: str) -> str:
    return f"{instance.year}/{instance.kind}-{instance.issue_no:03d}-{instance.pk}.pdf"


class Report(models.Model):
    class Kind(models.TextChoices):
        BULLETIN = "bulletin", _("督查通报")
        TENDAY = "tenday", _("旬报汇总")
        MONTHLY = "monthly", _("月报")
        DOSSIER = "dossier", _("任务档案")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("生成失败")

    kind = models.CharField(_("报告类型"), max_length=16, choices=Kind.choices)
    programme = models.ForeignKey(
        "tasks_app.Programme", verbose_name=_("专项"), on_delete=models.PROTECT, related_name="reports", null=True
    )
    scope = models.CharField(
        _("范围"), max_length=100, help_text=_("programme | domain:<代码> | unit:<id> | task:<编号>")
    )
    scope_label = models.CharField(_("范围说明"), max_length=300)
    # The unit subtree a unit-scoped or task-scoped report belongs to (empty: programme or domain).
    unit_path = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    period = models.CharField(_("期间"), max_length=16, blank=True, help_text=_("2026-11（月）或 2026-11-2（中旬）"))
    period_label = models.CharField(_("期间说明"), max_length=64, blank=True)
    period_start = models.DateField(_("期间开始"), null=True, blank=True)
    period_end = models.DateField(_("期间结束"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    issue_no = models.PositiveIntegerField(_("期号"))
    title = models.CharField(_("标题"), max_length=300)
    parameters = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(_("错误信息"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("生成次数"), default=0)
    file = models.FileField(_("文件"), storage=reports_storage, upload_to=report_path, max_length=255, blank=True)
    file_size = models.PositiveIntegerField(_("文件大小"), null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    trace_first_seq = models.BigIntegerField(_("留痕起始序号"), null=True, blank=True)
    trace_last_seq = models.BigIntegerField(_("留痕截止序号"), null=True, blank=True)
    chain_hash = models.CharField(_("链哈希"), max_length=64, blank=True)
    timings = models.JSONField(_("耗时（秒）"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始生成"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "year", "issue_no"], name="report_issue_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def issue_label(self) -> str:
        return f"{self.year}年第{self.issue_no}期"

    @property
    def doc_number(self) -> str:
        """文号 style: 数改督〔2026〕12号."""
        return f"{settings.REPORT_DOC_PREFIXES[self.kind]}〔{self.year}〕{self.issue_no}号"

    @property
    def download_name(self) -> str:
        return f"{self.get_kind_display()}_{self.year}年第{self.issue_no}期_{self.scope_label[:40]}.pdf"
